"""The example training notebooks keep the hand-over contract on the MLflow their runtime ships.

Each runs as its Databricks job task would (`notebook_runner.py`: the rendered job's
parameters as widgets, a strict `dbutils`) in `.venv-dbr/mlflow-<version>`, with the MLflow
of the Databricks runtime its spec selects (`runtimes.py`), against a real local tracking
server: in train mode it must register a version under model.yaml's `model.name`, with every
metric the spec's gates read, and hand that version over as the task value `model_version`; in
PR mode it must register nothing. MLflow 2.x has no `log_model(name=...)` and no
`ModelInfo.registered_model_version`, so a notebook written against MLflow 3 only fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from render.examples import EXAMPLES, SPECS, example_spec, example_tree
from runtime.support import base_env
from training_notebooks.runtimes import (
    HERE,
    REPO,
    notebook_mlflow,
    pinned,
    requirements_file,
    venv_python,
)

from mlopsgen import layout
from mlopsgen.render import tasks
from mlopsgen.runtime import contract

RUNNER = HERE / "notebook_runner.py"
REGISTRY_URIS = {"unity-catalog": "databricks-uc", "workspace": "databricks"}
MLOPSGEN_PARAMETERS = {
    contract.TRAINING_MODEL_NAME,
    contract.TRAINING_REGISTRY,
    contract.TRAINING_MODE,
}


def _requirements(path: Path) -> dict[str, str]:
    pins = [line.split("==") for line in path.read_text().split() if "==" in line]
    return {name.lower(): version for name, version in pins}


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_has_an_environment_with_its_mlflow(name: str) -> None:
    spec = example_spec(name)
    version = notebook_mlflow(spec)
    pins = _requirements(requirements_file(version))
    assert pins["mlflow"] == version
    sklearn = pinned(spec, "scikit-learn")
    assert sklearn is None or pins["scikit-learn"] == sklearn  # what the spec installs


def test_every_environment_serves_an_example() -> None:
    used = {requirements_file(notebook_mlflow(example_spec(n))) for n in EXAMPLES}
    assert set(HERE.glob("requirements-mlflow-*.txt")) == used


@pytest.mark.parametrize("name", EXAMPLES)
def test_notebooks_do_not_hard_code_the_model(name: str) -> None:
    spec = example_spec(name)
    text = (SPECS / name / spec.training.notebook).read_text(encoding="utf-8")
    assert spec.model.name not in text
    for parameter in MLOPSGEN_PARAMETERS:
        assert f'"{parameter}"' in text


def _job_parameters(name: str, mode: str) -> dict[str, str]:
    """The base parameters the rendered job passes to the training task."""
    tree = example_tree(name)
    job = "pr-check" if mode == "pr" and "databricks/pr-check.json" in tree else "train"
    settings = json.loads(tree[f"databricks/{job}.json"])
    (task,) = (t for t in settings["tasks"] if t["task_key"] == layout.TRAIN_TASK_KEY)
    parameters: dict[str, str] = dict(task["notebook_task"]["base_parameters"])
    parameters[contract.TRAINING_MODE] = mode  # the train job without a pr-check job
    return parameters


MODES = ("train", "pr")


@dataclass(frozen=True)
class Outcome:
    """One notebook run: what the runner recorded, or why it could not run here."""

    result: dict[str, Any]
    missing: str = ""  # the reason when the environment is missing


def _run(name: str, mode: str, server: str, folder: Path) -> Outcome:
    spec = example_spec(name)
    version = notebook_mlflow(spec)
    python = venv_python(version)
    if not python.exists():
        reason = (
            f"no {python.relative_to(REPO)}: `.ci/run` creates it (python3 -m venv "
            f".venv-dbr/mlflow-{version} && .venv-dbr/mlflow-{version}/bin/pip install -r "
            f"{requirements_file(version).relative_to(REPO)})"
        )
        return Outcome({}, missing=reason)
    folder.mkdir(parents=True)
    parameters = folder / "parameters.json"
    parameters.write_text(json.dumps(_job_parameters(name, mode)), encoding="utf-8")
    result = folder / "result.json"
    notebook = SPECS / name / spec.training.notebook
    command = [str(python), str(RUNNER), str(notebook), str(parameters), str(result)]
    done = subprocess.run(
        command, env=base_env(server), capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{name} ({mode}): {done.stderr[-3000:]}"
    return Outcome(json.loads(result.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def notebook_runs(
    tracking_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Outcome]:
    """Every example in both modes, a few at a time (each run is mostly imports and I/O)."""
    root = tmp_path_factory.mktemp("notebook-runs")
    jobs = [(name, mode) for name in EXAMPLES for mode in MODES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            job: pool.submit(_run, *job, tracking_server, root / f"{job[0]}-{job[1]}")
            for job in jobs
        }
        return {job: future.result() for job, future in futures.items()}


def _outcome(runs: dict[tuple[str, str], Outcome], name: str, mode: str) -> dict[str, Any]:
    outcome = runs[(name, mode)]
    if outcome.missing:
        if os.environ.get("CI"):  # CI creates the environments: never skip there
            pytest.fail(outcome.missing)
        pytest.skip(outcome.missing)
    spec = example_spec(name)
    result = outcome.result
    assert result["mlflow"] == notebook_mlflow(spec)
    assert result["registry_uris"] == [REGISTRY_URIS[spec.model.registry]]
    # the notebook reads mlopsgen's parameters and every one its job passes
    assert set(_job_parameters(name, mode)) <= set(result["widgets"])
    return result


@pytest.mark.dbr_mlflow
@pytest.mark.mlflow_server
@pytest.mark.parametrize("name", EXAMPLES)
def test_train_mode_registers_and_hands_over(
    name: str, notebook_runs: dict[tuple[str, str], Outcome], tracking_server: str
) -> None:
    from mlflow import MlflowClient

    result = _outcome(notebook_runs, name, "train")
    spec = example_spec(name)
    client = MlflowClient(tracking_uri=tracking_server, registry_uri=tracking_server)
    assert result["task_values"] == {contract.MODEL_VERSION_KEY: "1"}
    # the train run registered exactly one version (and the PR run none)
    (version,) = client.search_model_versions(f"name='{spec.model.name}'")
    assert version.version in ("1", 1)
    assert version.run_id is not None
    metrics = client.get_run(version.run_id).data.metrics
    assert set(tasks.gate_metrics(spec)) <= set(metrics)


@pytest.mark.dbr_mlflow
@pytest.mark.mlflow_server
@pytest.mark.parametrize("name", EXAMPLES)
def test_pr_mode_hands_nothing_over(
    name: str, notebook_runs: dict[tuple[str, str], Outcome]
) -> None:
    result = _outcome(notebook_runs, name, "pr")
    assert result["task_values"] == {}
