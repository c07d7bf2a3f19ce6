"""Rules a JSON Schema cannot express: one small function and one code each.

They run even when the schema layer found problems (so one run reports everything), so each
rule reads the data defensively: a value of the wrong shape is the schema's to report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from mlopsgen.spec import (
    auth_rules,
    compute_rules,
    cron,
    file_rules,
    permission_rules,
    pipeline_rules,
    schedule_rules,
    serving_rules,
    tag_rules,
    value_rules,
    workspace_rules,
)
from mlopsgen.spec.file_rules import FileExists, ReadFile
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import as_map, dict_items, number, text

_THREE_PART = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_PLAIN_MODEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ -]*")


def check_api_version(data: dict[str, Any], supported: Sequence[str]) -> Finding | None:
    """Checked before anything else: another version's spec would only drown in errors."""
    version = data.get("apiVersion")
    if version in supported:
        return None
    names = ", ".join(supported)
    if "apiVersion" not in data:
        return Finding((), "E100", f"missing apiVersion; supported versions: {names}", at="key")
    return Finding(
        ("apiVersion",), "E100", f"unsupported version {version!r}; supported versions: {names}"
    )


def check(data: dict[str, Any], exists: FileExists, read_file: ReadFile | None) -> list[Finding]:
    """Every semantic problem in `data` (which passed the YAML layer). `exists` answers whether
    a file beside the spec exists, `read_file` (when given) what it holds."""
    found: list[Finding] = []
    for rule in _RULES:
        found.extend(rule(data))
    found.extend(file_rules.file_rules(data, exists, read_file))
    return found


def unique_stage_names(data: dict[str, Any]) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, stage in dict_items(data.get("stages")):
        name = text(stage.get("name"))
        if name is None:
            continue
        if name in seen:
            msg = f"stage name '{name}' is already used by stages[{seen[name]}]"
            yield Finding(("stages", i, "name"), "E301", msg)
        seen.setdefault(name, i)


def cron_rules(data: dict[str, Any]) -> Iterator[Finding]:
    for path in (("schedule", "cron"), ("serving", "cron")):
        expression = text(as_map(data.get(path[0])).get(path[1]))
        if expression is None:
            continue
        try:
            cron.parse(expression)
        except cron.EitherDaysError as exc:
            yield Finding(path, "E306", str(exc))
        except cron.CronError as exc:
            yield Finding(path, "E305", str(exc))


def timezone_rules(data: dict[str, Any]) -> Iterator[Finding]:
    for path in (("schedule", "timezone"), ("serving", "timezone")):
        zone = text(as_map(data.get(path[0])).get(path[1]))
        if zone is not None and not schedule_rules.known_zone(zone):
            msg = f"'{zone}' is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"
            yield Finding(path, "E307", msg)


def registry_name(data: dict[str, Any]) -> Iterator[Finding]:
    model = as_map(data.get("model"))
    name, registry = text(model.get("name")), model.get("registry", "unity-catalog")
    if name is None or registry not in ("unity-catalog", "workspace"):
        return
    if registry == "unity-catalog" and not _THREE_PART.fullmatch(name):
        msg = f"'{name}': with registry unity-catalog the name must be catalog.schema.model"
        yield Finding(("model", "name"), "E308", msg)
    elif registry == "workspace" and not _PLAIN_MODEL.fullmatch(name):
        msg = f"'{name}': with registry workspace the name must be plain (no dots or slashes)"
        yield Finding(("model", "name"), "E308", msg)


def one_workspace_registry(data: dict[str, Any]) -> Iterator[Finding]:
    """The workspace registry lives in one workspace, so every stage must deploy there."""
    if as_map(data.get("model")).get("registry") != "workspace":
        return
    first: str | None = None
    for i, stage in dict_items(data.get("stages")):
        host = text(stage.get("workspace"))
        if host is None:
            continue
        if first is None:
            first = host.rstrip("/").lower()
        elif host.rstrip("/").lower() != first:
            msg = f"with registry workspace every stage must use one workspace ({first})"
            yield Finding(("stages", i, "workspace"), "E309", msg)


def libraries(data: dict[str, Any]) -> Iterator[Finding]:
    listed = as_map(data.get("training")).get("libraries")
    if not isinstance(listed, list):
        return
    for i, requirement in enumerate(listed):
        reason = _requirement_problem(requirement) if isinstance(requirement, str) else None
        if reason:
            msg = f"'{requirement}' is not a valid PyPI requirement ({reason})"
            yield Finding(("training", "libraries", i), "E315", msg)


# `name` or `name==1.2.3`: always a valid requirement, and what nearly every spec lists;
# packaging (~20 ms to import) is asked about anything else (issue 15).
_PLAIN_PIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:==[0-9]+(?:\.[0-9]+)*)?")


@lru_cache(maxsize=1024)
def _requirement_problem(requirement: str) -> str | None:
    if _PLAIN_PIN.fullmatch(requirement):
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(requirement)
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0]
    return None


def gate_ranges(data: dict[str, Any]) -> Iterator[Finding]:
    for i, stage in dict_items(data.get("stages")):
        for j, gate in dict_items(stage.get("gates")):
            low, high = gate.get("min"), gate.get("max")
            if number(low) and number(high) and low > high:
                msg = f"min ({low}) is above max ({high}): no model could ever pass"
                yield Finding(("stages", i, "gates", j, "min"), "E319", msg)


_RULES: tuple[Callable[[dict[str, Any]], Iterator[Finding]], ...] = (
    unique_stage_names,
    cron_rules,
    timezone_rules,
    schedule_rules.pipeline_schedule,
    schedule_rules.fixed_offset_zones,
    registry_name,
    one_workspace_registry,
    serving_rules.azureml_stages,
    serving_rules.serving_keys,
    serving_rules.stage_serving_keys,
    serving_rules.endpoint_names,
    serving_rules.unique_endpoints,
    serving_rules.unique_output_tables,
    tag_rules.stage_name_length,
    tag_rules.stage_count,
    tag_rules.gate_metrics_snapshot,
    value_rules.literal_secrets,
    value_rules.secret_parameter_names,
    libraries,
    gate_ranges,
    value_rules.pipeline_strings,
    value_rules.reserved_parameters,
    value_rules.finite_numbers,
    value_rules.number_range,
    value_rules.approver_commas,
    *pipeline_rules.RULES,
    *auth_rules.RULES,
    *permission_rules.RULES,
    *workspace_rules.RULES,
    *compute_rules.RULES,
)
