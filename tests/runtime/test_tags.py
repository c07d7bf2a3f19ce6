"""The tags mlopsgen writes, and the runtime's own guard that refuses what Unity Catalog would.

The guard (mlopsgen/runtime/tags.py) and the double's rules (fakes/uc_rules.py) are written
separately, each from the documentation (Microsoft Learn, "Apply tags to Unity Catalog
securable objects"); here they must agree on every case, and the guard must refuse before
anything is sent.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

import pytest
from fakes import uc_rules
from fakes.mlflow_double import MlflowDouble
from mlflow import MlflowClient

from mlopsgen.runtime import TaskFailed, contract
from mlopsgen.runtime.errors import ExplainedClient, PlatformError
from mlopsgen.runtime.metrics import write_snapshot
from mlopsgen.runtime.registry import Registry
from mlopsgen.runtime.tags import set_version_tag, tag_problem

STAGE = re.compile(r"^[a-z][a-z0-9_]*$")  # the spec's stage names (schemas/model.v1)
STAGES = ["staging", "production", "run_x", "x", "gate_x", "stage_x", "a_b_c", "z9"]

CASES: list[tuple[str, str, int]] = [
    ("mlopsgen_gate_staging", "passed", 0),
    ("mlopsgen_gate_staging", "v" * 1000, 0),
    ("k" * 255, "", 49),
    ("k", "v", 50),  # a key the object holds already (below): updating it adds no tag
    *[(f"mlopsgen{c}gate", "passed", 0) for c in ".,-=/:"],
    ("k" * 256, "v", 0),
    ("key", "v" * 1001, 0),
    ("new_key", "v", 50),
]


@pytest.mark.parametrize(("key", "value", "held"), CASES)
def test_the_guard_and_the_double_agree_on_every_rule(key: str, value: str, held: int) -> None:
    existing = {f"held_{i}": "x" for i in range(held)}
    if (key, held) == ("k", 50):
        existing = {"k": "old"} | {f"held_{i}": "x" for i in range(49)}
    ours = tag_problem(key, value, existing)
    theirs = uc_rules.tag_error(key, value, existing)
    assert bool(ours) == (theirs is not None), (ours, theirs)


def test_every_key_mlopsgen_writes_is_legal_and_no_two_families_collide() -> None:
    keys = {contract.METRICS_TAG, contract.METRICS_SOURCE_TAG, contract.PREVIOUS_PRODUCTION_TAG}
    makers = (contract.gate_tag, contract.gate_run_tag, contract.rollback_tag, contract.stage_tag)
    assert all(STAGE.match(s) for s in STAGES)
    made = [(maker, stage, maker(stage)) for maker in makers for stage in STAGES]
    for _maker, _stage, key in made:
        assert tag_problem(key, "x" * contract.TAG_VALUE_MAX, {}) == "", key
    # a stage named `run_x` must not write the gate-run pointer of stage `x`
    for (m1, s1, k1), (m2, s2, k2) in itertools.combinations(made, 2):
        assert k1 != k2 or (m1, s1) == (m2, s2), (k1, m1.__name__, m2.__name__)
    assert not keys & {key for _m, _s, key in made}
    for a, b in itertools.permutations(contract.STAGE_TAG_FAMILIES, 2):
        assert not b.startswith(a), (a, b)  # no family's prefix is a prefix of another's


def test_the_metrics_snapshot_keeps_every_value_including_non_finite_ones() -> None:
    metrics = {"r2": 0.8812345678901234, "rmse": float("nan"), "up": math.inf, "down": -math.inf}
    value = contract.metrics_tag_value(metrics)
    assert json.loads(value)["rmse"] == "NaN"  # strict JSON: no bare NaN
    back = contract.parse_metrics_tag(value)
    assert back["r2"] == metrics["r2"] and back["up"] == math.inf and back["down"] == -math.inf
    assert math.isnan(back["rmse"])
    for wrong in ('["r2"]', '{"r2": "0.5"}', '{"r2": true}', '{"r2": NaN}', "{"):
        with pytest.raises(ValueError):
            contract.parse_metrics_tag(wrong)


class Version:
    """A model version as the snapshot code reads it (no run, no logged model)."""

    version = "1"
    run_id = ""
    source = ""


class Client:
    """The two calls the snapshot makes: one run to read, tags to write (recorded)."""

    def __init__(self, metrics: dict[str, float]) -> None:
        self.run = type("Run", (), {"data": type("Data", (), {"metrics": metrics})()})()
        self.written: list[tuple[Any, ...]] = []

    def get_run(self, _run_id: str) -> Any:
        return self.run

    def set_model_version_tag(self, *args: Any) -> None:
        self.written.append(args)


def test_a_snapshot_over_1000_characters_fails_clearly_before_anything_is_written() -> None:
    many = {f"metric_with_a_long_name_{i:03d}": 0.123456789 for i in range(40)}
    version = Version()
    version.run_id = "r1"
    client = Client(many)
    with pytest.raises(TaskFailed, match=r"take \d+ characters as tag mlopsgen_metrics, over"):
        write_snapshot(Registry(client, "main.ml.m", True), version, sorted(many))
    assert client.written == []


@pytest.mark.mlflow_server
def test_the_guard_refuses_before_the_service_sees_the_tag(
    make_versions: Any, doubles: dict[str, MlflowDouble]
) -> None:
    from runtime.scenarios import GOOD

    name = make_versions(GOOD, snapshot=False)
    double = doubles["unity-catalog"]
    url = double.url("B")
    reg = Registry(ExplainedClient(MlflowClient(url, url)), name, True)
    sent = len(double.calls("B", "model-versions/set-tag"))
    with pytest.raises(TaskFailed, match=r"refusing to set tag 'mlopsgen\.gate' on version 1"):
        set_version_tag(reg, "1", "mlopsgen.gate", "passed")
    with pytest.raises(TaskFailed, match="the value has 1001 characters"):
        set_version_tag(reg, "1", "mlopsgen_gate", "v" * 1001)
    assert len(double.calls("B", "model-versions/set-tag")) == sent
    # without the guard the service refuses it, and that is one line too
    with pytest.raises(PlatformError) as refused:
        reg.client.set_model_version_tag(name, "1", "mlopsgen.gate", "passed")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "reserved characters" in str(refused.value) and "\n" not in str(refused.value)
