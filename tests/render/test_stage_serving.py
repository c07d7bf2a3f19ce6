"""What each stage gets: its own endpoint, scale-to-zero setting and batch tables, and the
runtime tasks' compute (the MLflow and databricks-sdk the runtime is tested with, never on the
cluster the user's notebook runs on)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from render.examples import EXAMPLES, SPECS, churn_on_training_compute, example_tree, origin_of

from mlopsgen.render import render_spec
from mlopsgen.render.compute import RUNTIME_REQUIREMENTS
from mlopsgen.runtime import contract
from mlopsgen.spec.compile import compile_text, folder_reader
from mlopsgen.spec.schema import schema_defaults

PINS = [{"pypi": {"package": p}} for p in RUNTIME_REQUIREMENTS]
RUNTIME_TASKS = set(contract.TASKS)


def _tree(name: str, *replacements: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """The example's jobs after `replacements`; churn-batch with every workload on its
    training compute."""
    path = SPECS / name / "model.yaml"
    text = churn_on_training_compute() if name == "churn-batch" else path.read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    result = compile_text(text, path, read_file=folder_reader(path.parent), origin=origin_of(name))
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    files = render_spec(result.spec).files()
    return {a.path: json.loads(a.text) for a in files if a.path.startswith("databricks/")}


def _params(job: dict[str, Any], task: str) -> dict[str, str]:
    (found,) = (t for t in job["tasks"] if t["task_key"] == task)
    return dict(found["notebook_task"]["base_parameters"])


def test_each_stage_serves_on_its_own_endpoint_unless_it_names_one() -> None:
    jobs = _tree(
        "wine-quality",
        ("    service_connection: sc-databricks-prod\n",
         "    service_connection: sc-databricks-prod\n    serving: {endpoint: wine-live}\n"),
    )  # fmt: skip
    staging, production = (
        jobs["databricks/deploy-staging.json"],
        jobs["databricks/deploy-production.json"],
    )
    assert _params(staging, contract.DEPLOY_SERVING)[contract.ENDPOINT] == "wine-quality-staging"
    for task in (contract.DEPLOY_SERVING, contract.SMOKE_TEST, contract.PROMOTE):
        assert _params(production, task)[contract.ENDPOINT] == "wine-live"
    url = _params(production, contract.SMOKE_TEST)[contract.ENDPOINT_URL]
    assert url.endswith("/serving-endpoints/wine-live/invocations")


@pytest.mark.parametrize(
    ("serving", "production", "expected"),
    [
        ("  scale_to_zero: true\n", "", ("true", "false")),  # the last stage: off by default
        ("  scale_to_zero: false\n", "", ("false", "false")),
        ("  scale_to_zero: true\n", "    serving: {scale_to_zero: true}\n", ("true", "true")),
        ("  scale_to_zero: false\n", "    serving: {scale_to_zero: true}\n", ("false", "true")),
    ],
)
def test_scale_to_zero_is_off_on_the_last_stage_unless_it_says_so(
    serving: str, production: str, expected: tuple[str, str]
) -> None:
    """Databricks: scale to zero "is not recommended for production endpoints, as latency is
    greater and capacity is not guaranteed" (Mosaic AI Model Serving concepts)."""
    jobs = _tree(
        "wine-quality",
        ("  scale_to_zero: true\n", serving),
        ("    service_connection: sc-databricks-prod\n",
         "    service_connection: sc-databricks-prod\n" + production),
    )  # fmt: skip
    got = tuple(
        _params(jobs[f"databricks/deploy-{s}.json"], contract.DEPLOY_SERVING)[
            contract.SCALE_TO_ZERO
        ]
        for s in ("staging", "production")
    )
    assert got == expected


def test_each_stage_scores_into_its_own_table() -> None:
    jobs = _tree(
        "churn-batch",
        ("  input_table: main.growth.active_customers",
         "  input_table: '{stage}.growth.customers'"),
        ("    environment: churn-batch-prod\n",
         "    environment: churn-batch-prod\n"
         "    serving: {output_table: prod.growth.churn_scores}\n"),
    )  # fmt: skip
    dev = _params(jobs["databricks/batch-dev.json"], contract.BATCH_SCORE)
    prod = _params(jobs["databricks/batch-prod.json"], contract.BATCH_SCORE)
    assert (dev[contract.INPUT_TABLE], dev[contract.OUTPUT_TABLE]) == (
        "dev.growth.customers",
        "main.growth.churn_scores_dev",
    )
    assert (prod[contract.INPUT_TABLE], prod[contract.OUTPUT_TABLE]) == (
        "prod.growth.customers",
        "prod.growth.churn_scores",
    )


def _runtime_runs_with_the_pins(job: dict[str, Any], task: dict[str, Any]) -> None:
    if "environment_key" in task:  # serverless: the environment's dependencies
        (env,) = (e for e in job["environments"] if e["environment_key"] == task["environment_key"])
        assert set(RUNTIME_REQUIREMENTS) <= set(env["spec"]["dependencies"])
        assert "libraries" not in task
        return
    assert "existing_cluster_id" not in task  # never installs on an all-purpose cluster
    assert task["libraries"][-len(PINS) :] == PINS
    train_clusters = {
        t.get("job_cluster_key") for t in job["tasks"] if t["task_key"] not in RUNTIME_TASKS
    }
    assert task["job_cluster_key"] not in train_clusters  # its libraries stay off that cluster


@pytest.mark.parametrize("name", EXAMPLES)
def test_runtime_tasks_run_on_the_tested_mlflow_beside_the_users_cluster(name: str) -> None:
    for path, text in example_tree(name).items():
        if path.startswith("databricks/"):
            job = json.loads(text)
            for task in job["tasks"]:
                if task["task_key"] in RUNTIME_TASKS:
                    _runtime_runs_with_the_pins(job, task)
                else:  # the user's notebook keeps its runtime's MLflow
                    assert all(lib not in task.get("libraries", []) for lib in PINS)


def test_beside_an_existing_cluster_the_runtime_gets_a_single_node_cluster() -> None:
    jobs = _tree(
        "churn-batch",
        ("    serverless: true\n", "    existing_cluster_id: 0101-120000-abcd1234\n"),
    )
    defaults = schema_defaults()["training.compute"]
    for path, job in jobs.items():
        for task in job["tasks"]:
            if task["task_key"] == "train":
                assert task["existing_cluster_id"] == "0101-120000-abcd1234"
                continue
            _runtime_runs_with_the_pins(job, task)
            (cluster,) = job["job_clusters"]
            new = cluster["new_cluster"]
            assert (new["spark_version"], new["node_type_id"], new["num_workers"]) == (
                defaults["spark_version"],
                defaults["node_type"],
                0,
            ), path
    (score,) = jobs["databricks/batch-prod.json"]["tasks"]
    assert [lib["pypi"]["package"] for lib in score["libraries"]] == [
        "xgboost==2.1.1",
        "scikit-learn==1.5.2",  # the training's mlflow==3.0.1 gives way to the runtime's
        *RUNTIME_REQUIREMENTS,
    ]
