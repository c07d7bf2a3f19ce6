"""Edge cases of gate, promote and candidate through the strict MLflow double, in process.

The rendered notebooks as subprocesses are proven in test_registry.py; here the runtime's
task functions run in the test process (each subprocess costs seconds of `import mlflow`),
on fresh registered models, for the cases where a gate or a promotion could go wrong quietly.
Each task runs where the job would run it: the candidate in workspace A (training), a
stage's gate and promote in that stage's workspace (scenarios.workspace_of).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes.mlflow_double import MlflowDouble

from mlopsgen.runtime import TaskFailed
from mlopsgen.runtime.candidate import run_candidate
from mlopsgen.runtime.contract import (
    METRICS_SOURCE_TAG,
    METRICS_TAG,
    PREVIOUS_PRODUCTION_TAG,
    gate_tag,
    stage_tag,
)
from runtime.inprocess import GATE_METRICS, FakeDbutils, Tasks
from runtime.scenarios import (
    GOOD,
    MEDIUM,
    REGISTRIES,
    crown,
    placement,
)

pytestmark = pytest.mark.mlflow_server

COMPARE_RMSE = {"metric": "rmse", "compare": "champion", "higher_is_better": False}
THRESHOLDS = [{"metric": "r2", "min": 0.35}, {"metric": "rmse", "max": 0.75}]


def test_a_metric_logged_several_times_counts_with_its_latest_value(
    client: Any, make_versions: Any, tasks: Tasks
) -> None:
    name = make_versions({"rmse": 0.3}, snapshot=False)
    run_id = client.get_model_version(name, "1").run_id
    client.log_metric(run_id, "r2", 0.9, step=0)
    client.log_metric(run_id, "r2", 0.1, step=1)  # the final value fails r2 >= 0.35
    tasks.candidate(name, "1")
    tags = client.get_model_version(name, "1").tags
    assert json.loads(tags[METRICS_TAG]) == {"r2": 0.1, "rmse": 0.3}
    assert json.loads(tags[METRICS_SOURCE_TAG]) == {"run_id": run_id}
    with pytest.raises(TaskFailed, match="r2 \\(out of bounds\\)"):
        tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS)
    assert tasks.results(client, name, "1", "production", "unity-catalog")["r2"]["candidate"] == 0.1


def test_a_nan_metric_blocks_and_is_recorded_as_text(
    client: Any, make_versions: Any, tasks: Tasks
) -> None:
    name = make_versions({"rmse": 0.3, "r2": float("nan")})
    assert json.loads(client.get_model_version(name, "1").tags[METRICS_TAG])["r2"] == "NaN"
    with pytest.raises(TaskFailed, match="r2 \\(metric is nan on candidate\\)"):
        tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS)
    got = tasks.results(client, name, "1", "production", "unity-catalog")
    assert got["r2"]["candidate"] == "nan"


def test_metrics_logged_only_on_the_logged_model_are_read(
    client: Any, make_versions: Any, tasks: Tasks
) -> None:
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

    tasks.candidate(name, "1")
    tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS)

    source = json.loads(client.get_model_version(name, "1").tags[METRICS_SOURCE_TAG])
    assert source == {"model_id": model, "run_id": training}
    got = tasks.results(client, name, "1", "production", "unity-catalog")
    assert (got["r2"]["candidate"], got["rmse"]["candidate"]) == (0.8, 0.3)


def test_the_gate_reads_the_snapshot_only_never_a_run(
    client: Any, make_versions: Any, tasks: Tasks, doubles: dict[str, MlflowDouble]
) -> None:
    """In workspace B the training run does not exist: the snapshot is all a gate has."""
    name = make_versions(GOOD, MEDIUM)
    crown(client, name, "unity-catalog", "1")
    b = doubles["unity-catalog"]
    before = len(b.requests)
    tasks.gate(name, "unity-catalog", "production", "2", [COMPARE_RMSE | {"tolerance": 0.3}])
    during = [r.path for r in b.requests[before:] if r.workspace == "B"]
    training = [client.get_model_version(name, v).run_id for v in ("1", "2")]
    assert not [path for path in during if any(run in path for run in training)]
    assert not [path for path in during if "/logged-models" in path]
    assert any("/model-versions/get" in path for path in during)

    bare = make_versions(GOOD, snapshot=False)  # a version the candidate task never saw
    with pytest.raises(TaskFailed) as failed:
        tasks.gate(bare, "unity-catalog", "production", "1", THRESHOLDS)
    assert "r2 (metric missing on candidate), rmse (metric missing on candidate)" in str(
        failed.value
    )
    assert f"version 1 has no tag {METRICS_TAG}" in str(failed.value)


def test_the_gate_experiment_is_made_once_per_workspace_and_a_deleted_one_is_named(
    client: Any, make_versions: Any, tasks: Tasks, doubles: dict[str, MlflowDouble]
) -> None:
    from mlflow import MlflowClient

    name = make_versions(GOOD)
    experiment = f"/Shared/mlopsgen/{name}/gate_results"
    for _ in range(2):  # the second gate finds the experiment the first created
        tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS, gate_experiment=experiment)
    b = MlflowClient(tracking_uri=doubles["unity-catalog"].url("B"))
    found = b.get_experiment_by_name(experiment)
    assert found is not None and len(b.search_runs([found.experiment_id])) == 2
    assert client.get_experiment_by_name(experiment) is None  # B's, not the training one's
    b.delete_experiment(found.experiment_id)
    with pytest.raises(TaskFailed, match=f"the gate experiment '{experiment}' is deleted"):
        tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS, gate_experiment=experiment)


def test_a_candidate_task_in_the_wrong_workspace_says_what_to_check(
    make_versions: Any, tasks: Tasks
) -> None:
    """Only the training workspace has the version's run: elsewhere it is one clear line."""
    name = make_versions(GOOD, snapshot=False)
    tasks.at("unity-catalog", "B")
    params = {"model_name": name, "registry": "unity-catalog", "train_task_key": "train"}
    params |= {"job_start_time_ms": "0", "gate_metrics": GATE_METRICS}
    with pytest.raises(TaskFailed) as failed:
        run_candidate(params, FakeDbutils("1"))
    message = str(failed.value)
    assert message.startswith("MLflow get_run(") and "\n" not in message
    assert "RESOURCE_DOES_NOT_EXIST" in message
    assert "exist only in the workspace that created them" in message


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_champion_candidate_is_compared_with_the_one_it_replaced_never_itself(
    client: Any, make_versions: Any, tasks: Tasks, registry: str
) -> None:
    name = make_versions(GOOD, MEDIUM)
    crown(client, name, registry, "1")
    first = tasks.gate(name, registry, "production", "1", [COMPARE_RMSE])
    assert first[0].passed and "no earlier champion" in first[0].note

    crown(client, name, registry, "2")  # crowned by hand although worse than version 1
    if registry == "unity-catalog":
        client.set_registered_model_alias(name, "previous", "1")
    else:
        client.transition_model_version_stage(name, "1", "Archived")
        client.set_registered_model_tag(name, PREVIOUS_PRODUCTION_TAG, "1")
    with pytest.raises(TaskFailed, match="rmse"):
        tasks.gate(name, registry, "production", "2", [COMPARE_RMSE])
    got = tasks.results(client, name, "2", "production", registry)
    assert "champion v1 0.27" in got["rmse"]["bound"]


@pytest.mark.parametrize("registry", REGISTRIES)
def test_promote_refuses_a_version_without_a_passed_gate_for_its_stage(
    client: Any, make_versions: Any, tasks: Tasks, registry: str
) -> None:
    name = make_versions(GOOD)
    before = placement(client, name)
    with pytest.raises(
        TaskFailed, match=r"has not passed the gate of stage 'staging' \(tag \S+ has no verdict"
    ):
        tasks.promote(name, registry, "staging", "1")
    client.set_model_version_tag(name, "1", gate_tag("staging"), "failed")
    with pytest.raises(TaskFailed, match="says 'failed'"):
        tasks.promote(name, registry, "staging", "1")
    tasks.gate(name, registry, "production", "1", THRESHOLDS)  # another stage's pass: no
    with pytest.raises(TaskFailed, match="has not passed"):
        tasks.promote(name, registry, "staging", "1")
    with pytest.raises(TaskFailed, match="has not passed"):  # a rollback is no exception
        tasks.promote(name, registry, "staging", "1", deploy_mode="rollback")
    assert placement(client, name) == before


@pytest.mark.parametrize("registry", REGISTRIES)
def test_promoting_the_champion_again_changes_nothing_and_keeps_previous(
    client: Any, make_versions: Any, tasks: Tasks, registry: str
) -> None:
    name = make_versions(GOOD)
    crown(client, name, registry, "1")
    tasks.gate(name, registry, "production", "1", THRESHOLDS)
    tasks.gate(name, registry, "staging", "1", THRESHOLDS)
    before = placement(client, name)
    assert tasks.promote(name, registry, "production", "1") == []
    # an earlier stage re-run for the production version must not demote it to Staging
    promoted = tasks.promote(name, registry, "staging", "1", final="false")
    after = placement(client, name)
    assert "previous" not in after["aliases"] and PREVIOUS_PRODUCTION_TAG not in after["tags"]
    if registry == "unity-catalog":
        assert promoted == ["alias 'staging' -> version 1"]
        assert after["aliases"] == before["aliases"] | {"staging": "1"}
    else:
        assert promoted == [f"tag {stage_tag('staging')} -> version 1"]
        assert after["stages"] == before["stages"] == {"1": "Production"}


def test_an_unclear_final_stage_flag_is_an_error_not_false(
    client: Any, make_versions: Any, tasks: Tasks
) -> None:
    name = make_versions(GOOD)
    tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS)
    before = placement(client, name)
    with pytest.raises(TaskFailed, match="--final_stage must be true or false, not 'ture'"):
        tasks.promote(name, "unity-catalog", "production", "1", final="ture")
    with pytest.raises(TaskFailed, match="--target must be 'databricks-serving', 'azureml'"):
        tasks.promote(name, "unity-catalog", "production", "1", target="databricks")
    assert placement(client, name) == before


def test_candidate_takes_the_handed_over_version_and_checks_it_exists(
    make_versions: Any, tasks: Tasks
) -> None:
    name = make_versions(GOOD, MEDIUM)
    tasks.at("unity-catalog", "A")
    params = {"model_name": name, "registry": "unity-catalog", "train_task_key": "train"}
    params |= {"gate_metrics": GATE_METRICS}
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
    client: Any, make_versions: Any, tasks: Tasks
) -> None:
    from mlopsgen.runtime.registry import open_registry
    from mlopsgen.runtime.serving import serving_version

    name = make_versions(GOOD, MEDIUM)
    params = {"model_name": name, "registry": "workspace", "stage": "staging"}
    tasks.at("workspace", "A")
    crown(client, name, "workspace", "1")  # Production: version 1
    with pytest.raises(TaskFailed, match="no candidate model version"):
        serving_version(open_registry(params), params, None)
    client.transition_model_version_stage(name, "2", "Staging")
    client.set_registered_model_tag(name, stage_tag("staging"), "2")
    assert serving_version(open_registry(params), params, None) == "2"
