"""Edge cases of gate, promote and candidate against the real MLflow server, in process.

The rendered notebooks as subprocesses are proven in test_registry.py; here the runtime's
task functions run in the test process (each subprocess costs seconds of `import mlflow`),
on fresh registered models, for the cases where a gate or a promotion could go wrong quietly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mlopsgen.runtime import TaskFailed
from mlopsgen.runtime.candidate import run_candidate
from mlopsgen.runtime.contract import MODEL_VERSION_KEY
from mlopsgen.runtime.gate import run_gate
from mlopsgen.runtime.promote import run_promote
from runtime.test_registry import GOOD, MEDIUM, REGISTRIES, crown, placement

pytestmark = pytest.mark.mlflow_server

COMPARE_RMSE = {"metric": "rmse", "compare": "champion", "higher_is_better": False}
THRESHOLDS = [{"metric": "r2", "min": 0.35}, {"metric": "rmse", "max": 0.75}]


@pytest.fixture(autouse=True)
def tracking(mlflow_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The runtime's own `MlflowClient()` finds the test server through the environment."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    yield


def gate(name: str, registry: str, stage: str, version: str, gates: list[Any]) -> Any:
    params = {"model_name": name, "registry": registry, "stage": stage}
    return run_gate(params | {"model_version": version, "gates": json.dumps(gates)}, None)


def promote(name: str, registry: str, stage: str, version: str, final: str = "true") -> Any:
    params = {"model_name": name, "registry": registry, "stage": stage, "final_stage": final}
    return run_promote(params | {"model_version": version}, None)


def results(client: Any, name: str, version: str, stage: str) -> dict[str, Any]:
    tag = client.get_model_version(name, version).tags[f"mlopsgen.gate.{stage}.results"]
    return {r["metric"]: r for r in json.loads(tag)}


def test_a_metric_logged_several_times_counts_with_its_latest_value(
    client: Any, make_versions: Any
) -> None:
    name = make_versions({"rmse": 0.3})
    run_id = client.get_model_version(name, "1").run_id
    client.log_metric(run_id, "r2", 0.9, step=0)
    client.log_metric(run_id, "r2", 0.1, step=1)  # the final value fails r2 >= 0.35
    with pytest.raises(TaskFailed, match="r2 \\(out of bounds\\)"):
        gate(name, "unity-catalog", "staging", "1", THRESHOLDS)
    assert results(client, name, "1", "staging")["r2"]["candidate"] == 0.1


def test_a_nan_metric_blocks_and_is_recorded_as_text(client: Any, make_versions: Any) -> None:
    name = make_versions({"rmse": 0.3, "r2": float("nan")})
    with pytest.raises(TaskFailed, match="r2 \\(metric is nan on candidate\\)"):
        gate(name, "unity-catalog", "staging", "1", THRESHOLDS)
    assert results(client, name, "1", "staging")["r2"]["candidate"] == "nan"


def test_metrics_logged_only_on_the_logged_model_are_read(client: Any, make_versions: Any) -> None:
    """An MLflow 3 evaluation run logs metrics against the model, not the training run."""
    name = make_versions()
    experiment = client.get_experiment_by_name("Default").experiment_id
    training = client.create_run(experiment).info.run_id
    client.log_metric(training, "rmse", 0.3)
    model = client.create_logged_model(experiment, source_run_id=training).model_id
    evaluation = client.create_run(experiment).info.run_id
    client.log_metric(evaluation, "r2", 0.2, step=0, model_id=model)
    client.log_metric(evaluation, "r2", 0.8, step=1, model_id=model)
    client.log_metric(evaluation, "rmse", 0.9, model_id=model)  # the source run's 0.3 wins
    client.create_model_version(name, f"models:/{model}", run_id=training, model_id=model)

    gate(name, "unity-catalog", "staging", "1", THRESHOLDS)

    got = results(client, name, "1", "staging")
    assert (got["r2"]["candidate"], got["rmse"]["candidate"]) == (0.8, 0.3)


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_champion_candidate_is_compared_with_the_one_it_replaced_never_itself(
    client: Any, make_versions: Any, registry: str
) -> None:
    name = make_versions(GOOD, MEDIUM)
    crown(client, name, registry, "1")
    first = gate(name, registry, "production", "1", [COMPARE_RMSE])
    assert first[0].passed and "no earlier champion" in first[0].note

    crown(client, name, registry, "2")  # crowned by hand although worse than version 1
    if registry == "unity-catalog":
        client.set_registered_model_alias(name, "previous", "1")
    else:
        client.transition_model_version_stage(name, "1", "Archived")
        client.set_registered_model_tag(name, "mlopsgen.previous_production", "1")
    with pytest.raises(TaskFailed, match="rmse"):
        gate(name, registry, "production", "2", [COMPARE_RMSE])
    assert "champion v1 0.27" in results(client, name, "2", "production")["rmse"]["bound"]


@pytest.mark.parametrize("registry", REGISTRIES)
def test_promote_refuses_a_version_without_a_passed_gate_for_its_stage(
    client: Any, make_versions: Any, registry: str
) -> None:
    name = make_versions(GOOD)
    before = placement(client, name)
    with pytest.raises(
        TaskFailed, match=r"has not passed the gate of stage 'staging' \(tag \S+ has no verdict"
    ):
        promote(name, registry, "staging", "1")
    client.set_model_version_tag(name, "1", "mlopsgen.gate.staging", "failed")
    with pytest.raises(TaskFailed, match="says 'failed'"):
        promote(name, registry, "staging", "1")
    gate(name, registry, "production", "1", THRESHOLDS)  # another stage's pass does not count
    with pytest.raises(TaskFailed, match="has not passed"):
        promote(name, registry, "staging", "1")
    assert placement(client, name) == before


@pytest.mark.parametrize("registry", REGISTRIES)
def test_promoting_the_champion_again_changes_nothing_and_keeps_previous(
    client: Any, make_versions: Any, registry: str
) -> None:
    name = make_versions(GOOD)
    crown(client, name, registry, "1")
    gate(name, registry, "production", "1", THRESHOLDS)
    gate(name, registry, "staging", "1", THRESHOLDS)
    before = placement(client, name)
    assert promote(name, registry, "production", "1") == []
    # an earlier stage re-run for the production version must not demote it to Staging
    promoted = promote(name, registry, "staging", "1", final="false")
    after = placement(client, name)
    assert (
        "previous" not in after["aliases"] and "mlopsgen.previous_production" not in after["tags"]
    )
    if registry == "unity-catalog":
        assert promoted == ["alias 'staging' -> version 1"]
        assert after["aliases"] == before["aliases"] | {"staging": "1"}
    else:
        assert promoted == ["tag mlopsgen.stage.staging -> version 1"]
        assert after["stages"] == before["stages"] == {"1": "Production"}


def test_an_unclear_final_stage_flag_is_an_error_not_false(client: Any, make_versions: Any) -> None:
    name = make_versions(GOOD)
    gate(name, "unity-catalog", "production", "1", THRESHOLDS)
    before = placement(client, name)
    with pytest.raises(TaskFailed, match="--final_stage must be true or false, not 'ture'"):
        promote(name, "unity-catalog", "production", "1", final="ture")
    assert placement(client, name) == before


class FakeDbutils:
    """The two parts of `dbutils` the candidate task uses, with recorded calls."""

    def __init__(self, handed_over: str) -> None:
        self.handed_over = handed_over
        self.values: dict[str, str] = {}
        self.exited: list[str] = []
        self.jobs = type("Jobs", (), {"taskValues": self})()
        self.notebook = type("Notebook", (), {"exit": self.exited.append})()

    def get(self, taskKey: str, key: str, debugValue: str) -> str:
        # the runtime asks for the hand-over key, with a debug value for interactive runs
        assert (key, debugValue) == (MODEL_VERSION_KEY, "")
        if taskKey != "train":
            raise ValueError(f"no task {taskKey}")
        return self.handed_over

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


def test_candidate_takes_the_handed_over_version_and_checks_it_exists(
    make_versions: Any,
) -> None:
    name = make_versions(GOOD, MEDIUM)
    params = {"model_name": name, "registry": "unity-catalog", "train_task_key": "train"}
    dbutils = FakeDbutils(" 1 ")
    assert run_candidate(params | {"job_start_time_ms": ""}, dbutils) == "1"  # not newest
    assert dbutils.values == {"model_version": "1"}
    assert dbutils.exited == ['{"model_version": "1"}']
    with pytest.raises(TaskFailed, match="has no version '7'"):
        run_candidate(params | {"job_start_time_ms": "0"}, FakeDbutils("7"))
    for start in ("", "{{job.start_time.timestamp_ms}}"):
        with pytest.raises(TaskFailed, match="must be epoch milliseconds"):
            run_candidate(params | {"job_start_time_ms": start}, FakeDbutils(""))
    empty = make_versions()
    with pytest.raises(TaskFailed, match=f"no version of {empty} was created"):
        run_candidate(params | {"model_name": empty, "job_start_time_ms": "0"}, None)


def test_serving_without_a_version_serves_exactly_what_the_stage_holds(
    client: Any, make_versions: Any
) -> None:
    from mlopsgen.runtime.registry import open_registry
    from mlopsgen.runtime.serving import serving_version

    name = make_versions(GOOD, MEDIUM)
    params = {"model_name": name, "registry": "workspace", "stage": "staging"}
    crown(client, name, "workspace", "1")  # Production: version 1
    with pytest.raises(TaskFailed, match="no candidate model version"):
        serving_version(open_registry(params), params, None)
    client.transition_model_version_stage(name, "2", "Staging")
    client.set_registered_model_tag(name, "mlopsgen.stage.staging", "2")
    assert serving_version(open_registry(params), params, None) == "2"
