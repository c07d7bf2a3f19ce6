"""Serving rules: which keys each target uses (in `serving` and in a stage's own `serving`),
and what every stage gets from them: its own endpoint and its own batch output table.

Each stage's values are resolved with the same functions the model uses (`mlopsgen.layout`),
so what is checked here is what render writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from mlopsgen import layout
from mlopsgen.spec.findings import DataPath, Finding
from mlopsgen.spec.schema import schema_document
from mlopsgen.spec.shape import as_map, dict_items, text

# Keys each serving target uses; any other key (but target and smoke_test) does not apply.
SERVING_KEYS = {
    "databricks-serving": {"endpoint", "workload_size", "scale_to_zero", "smoke_test"},
    "azureml": {"endpoint", "instance_type", "instance_count", "smoke_test"},
    "batch": {"input_table", "output_table", "cron", "timezone"},
}
# Keys that belong to some target; anything else is the schema's "unknown key" (E201) alone.
_ANY_SERVING_KEY = set().union(*SERVING_KEYS.values())
SERVING_REQUIRED = {
    "databricks-serving": ("endpoint",),
    "azureml": ("endpoint",),
    "batch": ("input_table", "output_table"),
}
# What a stage may set for itself, by target.
STAGE_SERVING_KEYS = {
    "databricks-serving": {"endpoint", "scale_to_zero"},
    "azureml": {"endpoint"},
    "batch": {"input_table", "output_table"},
}
_ANY_STAGE_KEY = set().union(*STAGE_SERVING_KEYS.values())
ENDPOINT_TARGETS = ("databricks-serving", "azureml")


@cache
def endpoint_name_pattern() -> re.Pattern[str]:
    """The schema's endpoint name rule: Model Serving endpoint names "can consist of
    alphanumeric characters, dashes, and underscores" (databricks-sdk, serving_endpoints.create);
    mlopsgen also wants a letter first and at most 63 characters."""
    return re.compile(schema_document()["$defs"]["endpointName"]["pattern"])


def azureml_stages(data: dict[str, Any]) -> Iterator[Finding]:
    target = as_map(data.get("serving")).get("target")
    for i, stage in dict_items(data.get("stages")):
        if target == "azureml" and "azureml" not in stage:
            msg = "serving target azureml needs 'azureml: {resource_group, workspace}' here"
            yield Finding(("stages", i), "E310", msg)
        elif target != "azureml" and "azureml" in stage:
            msg = f"'azureml' applies only to serving target azureml (target is {target})"
            yield Finding(("stages", i, "azureml"), "E311", msg, at="key")


def serving_keys(data: dict[str, Any]) -> Iterator[Finding]:
    serving = as_map(data.get("serving"))
    target = serving.get("target")
    if not isinstance(target, str) or target not in SERVING_KEYS:
        return
    for key in SERVING_REQUIRED[target]:
        if key not in serving:
            msg = f"serving target {target} needs '{key}'"
            yield Finding(("serving",), "E312", msg, at="key")
    for key in serving:
        if key in _ANY_SERVING_KEY and key not in SERVING_KEYS[target]:
            msg = f"'{key}' does not apply to serving target {target}; remove it"
            yield Finding(("serving", key), "E313", msg, at="key")
    if target == "batch" and "timezone" in serving and "cron" not in serving:
        msg = "'timezone' applies only together with 'cron'"
        yield Finding(("serving", "timezone"), "E313", msg, at="key")


def stage_serving_keys(data: dict[str, Any]) -> Iterator[Finding]:
    """A stage's own `serving` overrides only what its target uses."""
    serving = data.get("serving")
    target = as_map(serving).get("target")
    for i, stage in dict_items(data.get("stages")):
        if "serving" not in stage:
            continue
        if serving is None:
            msg = "'serving' applies only when the spec has a serving block; remove it"
            yield Finding(("stages", i, "serving"), "E313", msg, at="key")
            continue
        if not isinstance(target, str) or target not in STAGE_SERVING_KEYS:
            continue
        for key in as_map(stage["serving"]):
            if key in _ANY_STAGE_KEY - STAGE_SERVING_KEYS[target]:
                msg = f"'{key}' does not apply to serving target {target}; remove it"
                yield Finding(("stages", i, "serving", key), "E313", msg, at="key")


def _stages(data: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """(index, name, own serving) of every stage with a name."""
    return [
        (i, name, as_map(stage.get("serving")))
        for i, stage in dict_items(data.get("stages"))
        if (name := text(stage.get("name"))) is not None
    ]


def endpoint_names(data: dict[str, Any]) -> Iterator[Finding]:
    """Each stage's endpoint (its own or `<endpoint>-<stage>`) must be a valid name."""
    serving = as_map(data.get("serving"))
    base = text(serving.get("endpoint"))
    if serving.get("target") not in ENDPOINT_TARGETS or base is None:
        return
    if not endpoint_name_pattern().fullmatch(base):
        return  # the schema reports the base name itself
    for _, name, own in _stages(data):
        if "endpoint" in own:
            continue  # the schema checks a stage's own name
        derived = layout.default_endpoint(base, name)
        if not endpoint_name_pattern().fullmatch(derived):
            msg = (
                f"stage '{name}' would serve on '{derived}' ({len(derived)} characters): endpoint "
                "names are at most 63 letters, digits, '-' and '_'; shorten the endpoint or "
                "give the stage its own stages[].serving.endpoint"
            )
            yield Finding(("serving", "endpoint"), "E327", msg)


def unique_endpoints(data: dict[str, Any]) -> Iterator[Finding]:
    """No two stages serve on one endpoint: names are unique within a Databricks workspace
    (databricks-sdk, serving_endpoints.create) and Azure ML endpoint URLs per region, which
    mlopsgen cannot see; distinct names also keep each stage's traffic apart."""
    serving = as_map(data.get("serving"))
    base = text(serving.get("endpoint"))
    if serving.get("target") not in ENDPOINT_TARGETS or base is None:
        return
    yield from _unique(
        data,
        "endpoint",
        lambda name: layout.default_endpoint(base, name),
        ("serving", "endpoint"),
        "E328",
        lambda name, value, other: (
            f"stage '{name}' would serve on '{value}', the endpoint of stage '{other}'; "
            "every stage needs its own endpoint"
        ),
    )


def unique_output_tables(data: dict[str, Any]) -> Iterator[Finding]:
    """No two stages write one batch table: the metastore, and so every table, is shared by all
    the workspaces attached to it, so two stages would overwrite each other's predictions."""
    serving = as_map(data.get("serving"))
    template = text(serving.get("output_table"))
    if serving.get("target") != "batch" or template is None:
        return
    yield from _unique(
        data,
        "output_table",
        lambda name: layout.stage_table(template, name),
        ("serving", "output_table"),
        "E329",
        lambda name, value, other: (
            f"stage '{name}' would write '{value}', the table of stage '{other}'; every stage "
            f"needs its own: put {layout.STAGE_PLACEHOLDER} in serving.output_table or set "
            "stages[].serving.output_table"
        ),
    )


def _unique(
    data: dict[str, Any],
    key: str,
    default: Callable[[str], str],
    default_path: DataPath,
    code: str,
    message: Callable[[str, str, str], str],
) -> Iterator[Finding]:
    """Each stage's value (its own `key`, else `default(name)`) differs from every earlier
    stage's; a clash is reported at the later stage's own value, else at the spec's."""
    seen: dict[str, str] = {}
    for i, name, own in _stages(data):
        mine = text(own.get(key))
        value = mine if mine is not None else default(name)
        other = seen.setdefault(value.lower(), name)  # names are compared ignoring case
        if other != name:
            path = ("stages", i, "serving", key) if mine is not None else default_path
            yield Finding(path, code, message(name, value, other))
