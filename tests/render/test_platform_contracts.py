"""Behaviour the platforms need from the generated files that the vendor schemas cannot see:
timeouts long enough for what a job waits on, conditions that respect a cancel, runs that
queue instead of being skipped, and a batch task that can load the model it scores."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from render.examples import (
    EXAMPLES,
    SPECS,
    churn_on_training_compute,
    example_tree,
    job_key,
    job_steps,
    origin_of,
)

from mlopsgen.render import render_spec
from mlopsgen.render.compute import RUNTIME_REQUIREMENTS
from mlopsgen.spec.compile import compile_text, folder_reader

_WAIT = re.compile(r"--timeout (\d+)")


def _jobs(tree: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {p: json.loads(t) for p, t in tree.items() if p.startswith("databricks/")}


def _pipeline_jobs(name: str) -> list[tuple[str, dict[str, Any]]]:
    pipeline = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
    return [(s["stage"], job) for s in pipeline["stages"] for job in s["jobs"]]


def _step_script(step: dict[str, Any]) -> str:
    return str(step.get("script") or step.get("inputs", {}).get("inlineScript") or "")


@pytest.mark.parametrize("name", EXAMPLES)
def test_agent_jobs_outlive_the_databricks_runs_they_wait_for(name: str) -> None:
    # Without timeoutInMinutes an agent job is cancelled after 60 minutes, whatever
    # `mlopsgen run --timeout` says.
    for stage, job in _pipeline_jobs(name):
        waits = [int(m) for s in job_steps(job) for m in _WAIT.findall(_step_script(s))]
        if waits:
            assert "timeoutInMinutes" in job, f"{stage}.{job_key(job)} has no timeoutInMinutes"
            assert int(job["timeoutInMinutes"]) > max(waits), f"{stage}.{job_key(job)}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_custom_stage_conditions_do_not_run_after_a_cancel(name: str) -> None:
    pipeline = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
    for stage in pipeline["stages"]:
        condition = stage.get("condition")
        if condition and not condition.startswith("and(succeeded(),"):
            assert condition.startswith("and(not(canceled()),"), stage["stage"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_pipeline_says_how_prs_run_in_azure_repos(name: str) -> None:
    text = example_tree(name)["azure-pipelines.yml"]
    comment, _, _ = text.partition("\npr:\n")
    assert "Build Validation branch policy" in comment.rsplit("\n\n", 1)[-1]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_job_queues_instead_of_skipping(name: str) -> None:
    for path, body in _jobs(example_tree(name)).items():
        assert body["queue"] == {"enabled": True}, path


def _churn_tree(compute: str) -> dict[str, str]:
    """churn-batch with every workload on the training compute, which `compute` describes."""
    path = SPECS / "churn-batch" / "model.yaml"
    text = churn_on_training_compute().replace("    serverless: true\n", compute)
    result = compile_text(
        text,
        path,
        read_file=folder_reader(path.parent),
        origin=origin_of("churn-batch"),
    )
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    return {a.path: a.text for a in render_spec(result.spec).files()}


def test_batch_scoring_gets_the_training_libraries_on_serverless() -> None:
    batch = _jobs(_churn_tree("    serverless: true\n"))["databricks/batch-prod.json"]
    (task,) = batch["tasks"]
    env = next(e for e in batch["environments"] if e["environment_key"] == task["environment_key"])
    deps = env["spec"]["dependencies"]
    # the runtime's MLflow replaces the one the training pins (mlflow==3.0.1)
    assert deps == ["xgboost==2.1.1", "scikit-learn==1.5.2", *RUNTIME_REQUIREMENTS]


def test_batch_scoring_gets_the_training_libraries_on_a_cluster() -> None:
    cluster = (
        "    spark_version: 15.4.x-cpu-ml-scala2.12\n"
        "    node_type: Standard_DS3_v2\n"
        "    workers: 1\n"
    )
    batch = _jobs(_churn_tree(cluster))["databricks/batch-dev.json"]
    (task,) = batch["tasks"]
    # the job's own cluster: the model's libraries and the runtime's pins, which replace the
    # training's mlflow pin (pip refuses two pins of one package)
    assert task["libraries"] == [
        {"pypi": {"package": "xgboost==2.1.1"}},
        {"pypi": {"package": "scikit-learn==1.5.2"}},
        {"pypi": {"package": "mlflow==3.17.2"}},
        {"pypi": {"package": "databricks-sdk==0.156.0"}},
    ]
