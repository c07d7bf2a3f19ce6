"""What must fit into Unity Catalog tags (keys <= 255 characters, values <= 1000, at most 50
tags per object: Microsoft Learn, "Apply tags to Unity Catalog securable objects", numbers in
`mlopsgen.runtime.contract`) is checked by `validate`, at its bounds."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from mlopsgen.model import Origin
from mlopsgen.runtime import contract
from mlopsgen.spec import tag_rules
from mlopsgen.spec.compile import compile_text

# The per-stage tag keys the runtime writes, from the runtime's own list of key families.
STAGE_KEYS = tuple(functools.partial(str.__add__, prefix) for prefix in contract.STAGE_TAG_FAMILIES)


def _spec(stages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "mlopsgen/v1",
        "name": "demo-model",
        "model": {"name": "main.ml.demo"},
        "training": {"notebook": "train.py"},
        "stages": stages,
    }


def _stage(name: str, gates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    stage = {
        "name": name,
        "workspace": "https://adb-1.1.azuredatabricks.net",
        "variable_group": "vg",
    }
    return stage | ({"gates": gates} if gates else {})


def _codes(data: dict[str, Any]) -> list[str]:
    result = compile_text(
        yaml.safe_dump(data), Path("m.yaml"), file_exists=lambda _: True, origin=Origin("m", ".")
    )
    return [d.code for d in result.diagnostics]


def test_the_longest_stage_name_keeps_every_stage_tag_key_within_the_limit() -> None:
    longest = "s" * tag_rules.STAGE_NAME_MAX
    for key in STAGE_KEYS:
        assert len(key(longest)) <= contract.TAG_KEY_MAX
        # room for the runtime's next per-stage key, too
        assert len(key(longest)) <= contract.TAG_KEY_MAX - 150
    assert _codes(_spec([_stage(longest)])) == []
    assert _codes(_spec([_stage(longest + "s")])) == ["E324"]


def test_the_most_stages_keep_a_model_versions_tags_within_the_limit() -> None:
    budget = tag_rules.MAX_STAGES * tag_rules.TAGS_PER_STAGE + tag_rules.SPEC_WIDE_TAGS
    assert budget <= contract.TAGS_PER_OBJECT_MAX
    assert len(STAGE_KEYS) <= tag_rules.TAGS_PER_STAGE
    stages = [_stage(f"s{i}") for i in range(tag_rules.MAX_STAGES)]
    assert _codes(_spec(stages)) == []
    assert _codes(_spec([*stages, _stage("one_more")])) == ["E325"]


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(finite)
def test_the_worst_case_metric_is_the_longest_json_float(value: float) -> None:
    worst = json.dumps(tag_rules.WORST_CASE_METRIC)
    assert math.isfinite(tag_rules.WORST_CASE_METRIC)
    assert len(json.dumps(value)) <= len(worst)


def _metric_spec(names: list[str]) -> dict[str, Any]:
    return _spec([_stage("staging", [{"metric": n, "min": 0.5} for n in names])])


def _names_filling(limit: int) -> list[str]:
    """Metric names whose worst-case snapshot is exactly `limit` characters long."""
    names = [f"metric_{i:03d}_" for i in range(20)]
    size = len(contract.metrics_tag_value(dict.fromkeys(names, tag_rules.WORST_CASE_METRIC)))
    names[-1] += "x" * (limit - size)
    return names


def test_gate_metrics_fit_the_tag_value_up_to_its_last_character() -> None:
    names = _names_filling(contract.TAG_VALUE_MAX)
    worst = dict.fromkeys(names, tag_rules.WORST_CASE_METRIC)
    assert len(contract.metrics_tag_value(worst)) == contract.TAG_VALUE_MAX
    assert _codes(_metric_spec(names)) == []
    names[-1] += "x"
    assert _codes(_metric_spec(names)) == ["E326"]


def test_a_metric_gated_twice_counts_once() -> None:
    names = _names_filling(contract.TAG_VALUE_MAX)
    data = _metric_spec(names)
    data["stages"].append(_stage("production", [{"metric": names[0], "max": 2.0}]))
    assert _codes(data) == []
