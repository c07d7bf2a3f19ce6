"""Every default the schema declares is what the model carries when a spec omits the key.

The schema is the one place defaults are written. The defaults are found here by walking the
schema (independently of `mlopsgen.spec.schema.schema_defaults`, which the model uses); for
each one a valid spec that omits the key is compiled, and the model must hold the schema's
value. A default added to the schema that the model does not apply fails here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mlopsgen import layout
from mlopsgen.model import Origin, Spec
from mlopsgen.spec.compile import compile_text
from mlopsgen.spec.compute_rules import CLUSTER_SETTINGS
from mlopsgen.spec.schema import schema_document

SCHEMA = schema_document()
DataPath = tuple[str, ...]  # a data path; "[]" stands for the first item of a list

# A valid spec holding every object that has defaults, each with its required keys only.
SKELETON: dict[str, Any] = {
    "apiVersion": "mlopsgen/v1",
    "name": "demo-model",
    "model": {"name": "main.ml.demo"},
    "training": {"notebook": "train.py", "pr_check": {}},
    "schedule": {"cron": "0 3 * * 1"},
    "stages": [
        {
            "name": "staging",
            "workspace": "https://adb-1.1.azuredatabricks.net",
            "variable_group": "vg",
            "approval": {"approvers": ["someone@example.com"]},
            "gates": [{"metric": "rmse", "compare": "champion", "higher_is_better": False}],
        }
    ],
    "serving": {
        "target": "batch",
        "input_table": "main.ml.input",
        "output_table": "main.ml.output",
        "cron": "0 4 * * *",
    },
}
# The compute blocks: where the model keeps each one's new cluster.
_CLUSTERS: dict[DataPath, DataPath] = {
    ("training", "compute"): ("training", "compute", "new_cluster"),
    ("serving", "compute"): ("serving", "compute", "new_cluster"),
    ("runtime_compute",): ("runtime_compute", "cluster"),
}
# Where the model keeps a value under another path than the spec's (the longest prefix wins).
MODEL_PATHS: dict[DataPath, DataPath] = {
    **_CLUSTERS,
    **{
        (*block, key): (*cluster, "settings", key)
        for block, cluster in _CLUSTERS.items()
        for key in CLUSTER_SETTINGS
    },
    ("serving", "timezone"): ("serving", "batch_schedule", "timezone"),
}
# Defaults the model expresses as something else than a field.
MODEL_VALUES: dict[DataPath, Callable[[Spec], Any]] = {
    ("training", "compute", "serverless"): lambda spec: spec.training.compute.kind == "serverless",
    ("serving", "compute", "serverless"): lambda spec: (
        spec.serving is not None
        and spec.serving.compute is not None
        and spec.serving.compute.kind == "serverless"
    ),
    ("runtime_compute", "serverless"): lambda spec: spec.runtime_compute.serverless,
}


def declared_defaults(
    node: Mapping[str, Any], path: DataPath, seen: set[int]
) -> Iterator[tuple[DataPath, Any]]:
    """(data path, default) for every default in the schema below `node`."""
    if "default" in node:
        seen.add(id(node))
        yield path, node["default"]
    if "$ref" in node:
        yield from declared_defaults(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]], path, seen)
    for variant in (*node.get("oneOf", ()), *node.get("anyOf", ()), *node.get("allOf", ())):
        yield from declared_defaults(variant, path, seen)
    for key, sub in node.get("properties", {}).items():
        yield from declared_defaults(sub, (*path, key), seen)
    if isinstance(node.get("items"), dict):
        yield from declared_defaults(node["items"], (*path, "[]"), seen)


def nodes_with_a_default(node: Any) -> Iterator[int]:
    """Every schema object that has a `default`, wherever it sits."""
    if isinstance(node, dict):
        if "default" in node:
            yield id(node)
        for key, value in node.items():
            if key not in ("default", "const", "enum", "examples"):
                yield from nodes_with_a_default(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes_with_a_default(value)


REACHED: set[int] = set()
DEFAULTS: list[tuple[DataPath, Any]] = list(declared_defaults(SCHEMA, (), REACHED))


def test_the_walk_finds_every_default_in_the_schema() -> None:
    assert DEFAULTS
    assert set(nodes_with_a_default(SCHEMA)) == REACHED


def test_an_object_default_agrees_with_its_keys_defaults() -> None:
    """training.compute's default spells out its keys' defaults; they must not drift apart."""
    declared = dict(DEFAULTS)
    for path, default in DEFAULTS:
        if isinstance(default, dict):
            for key, value in default.items():
                assert declared.get((*path, key), value) == value, (path, key)


def without(path: DataPath) -> dict[str, Any]:
    """The skeleton with the key at `path` removed (its parent objects created if missing)."""
    data = copy.deepcopy(SKELETON)
    node: Any = data
    for step in path[:-1]:
        node = node[0] if step == "[]" else node.setdefault(step, {})
    node.pop(path[-1], None)
    return data


def model_value(spec: Spec, path: DataPath) -> Any:
    if path in MODEL_VALUES:
        return MODEL_VALUES[path](spec)
    for prefix in sorted(MODEL_PATHS, key=len, reverse=True):
        if path[: len(prefix)] == prefix:
            path = MODEL_PATHS[prefix] + path[len(prefix) :]
            break
    value: Any = spec
    for step in path:
        value = value[0] if step == "[]" else getattr(value, step)
    return value


def plain(value: Any, like: Any) -> Any:
    """The model's value in the schema's terms (lists, dicts) for comparison with `like`."""
    if hasattr(type(value), "_fields") and isinstance(like, dict):  # a model record
        return {key: plain(getattr(value, key), like[key]) for key in like}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def shown(path: DataPath) -> str:
    return ".".join(path).replace(".[]", "[]")


@pytest.mark.parametrize(("path", "default"), DEFAULTS, ids=[shown(p) for p, _ in DEFAULTS])
def test_the_model_carries_the_schema_default(path: DataPath, default: Any) -> None:
    result = compile_text(
        json.dumps(without(path)),
        Path("model.yaml"),
        file_exists=lambda _: True,
        origin=Origin("model.yaml", "."),
    )
    assert [d.format() for d in result.diagnostics] == []
    assert result.spec is not None
    value = plain(model_value(result.spec, path), default)
    assert value == default
    assert isinstance(value, bool) == isinstance(default, bool)  # False is not 0


def test_the_workspace_folder_default_comes_from_layout() -> None:
    result = compile_text(
        json.dumps(SKELETON),
        Path("model.yaml"),
        file_exists=lambda _: True,
        origin=Origin("model.yaml", "."),
    )
    assert result.spec is not None
    assert result.spec.stages[0].workspace_folder == layout.default_workspace_folder("demo-model")
    stage = SCHEMA["$defs"]["stage"]["properties"]
    assert layout.DEFAULT_WORKSPACE_ROOT in stage["workspace_folder"]["description"]
