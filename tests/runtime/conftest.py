"""Real parts for the runtime tests: an MLflow tracking server, trained models, rendered notebooks.

One `mlflow server` (SQLite store, local artifacts, a free loopback port) serves the whole
session; it runs in its own process group, which is stopped by its PID at the end. In front
of it, two strict doubles of MLflow on Databricks (fakes/mlflow_double.py), each with two
workspaces: `A`, where training runs, and `B`, another stage's; one with Unity Catalog's
registry rules, one with the workspace registry's. The tests' own `client` talks to the
server directly and plays workspace A. The example training notebook trains and registers
the one real model; further versions with chosen metrics point at that same model, so every
test starts from a fresh registered model.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes.mlflow_double import MlflowDouble

from mlopsgen.runtime.errors import ExplainedClient
from mlopsgen.runtime.metrics import write_snapshot
from mlopsgen.runtime.registry import Registry
from runtime.inprocess import Tasks
from runtime.support import EXAMPLE_SPEC, base_env, mlflow_server_at, render_tree

SOURCE_MODEL = "wine_quality_source"
_MODELS = itertools.count()
# The metrics the example spec's gates read (the train job's `gate_metrics`).
GATE_METRICS = ("r2", "rmse")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with mlflow_server_at(tmp_path_factory.mktemp("mlflow")) as url:
        yield url


@pytest.fixture(scope="session")
def doubles(mlflow_server: str) -> Iterator[dict[str, MlflowDouble]]:
    """The strict doubles in front of the server, by the spec's `registry`."""
    with (
        MlflowDouble(mlflow_server, unity_catalog=True) as unity_catalog,
        MlflowDouble(mlflow_server, unity_catalog=False) as workspace,
    ):
        yield {"unity-catalog": unity_catalog, "workspace": workspace}


@pytest.fixture(scope="session")
def env(mlflow_server: str) -> dict[str, str]:
    return base_env(mlflow_server)


@pytest.fixture(scope="session")
def client(mlflow_server: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)


@dataclass(frozen=True)
class Trained:
    source: str  # the registered model's artifact source (models:/m-...)
    version_uri: str  # the registered version itself (models:/<name>/1)
    model_id: str  # the MLflow 3 logged model holding the artifacts
    train: subprocess.CompletedProcess[str]
    pr: subprocess.CompletedProcess[str]


def _train_notebook(env: Mapping[str, str], **params: str) -> subprocess.Popen[str]:
    notebook_env = dict(env) | {f"MLOPSGEN_{k.upper()}": v for k, v in params.items()}
    return subprocess.Popen(
        [sys.executable, str(EXAMPLE_SPEC.parent / "notebooks" / "train.py")],
        env=notebook_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="session")
def trained(env: dict[str, str], client: Any) -> Trained:
    """The example training notebook, run for real: once to register, once in PR mode."""
    jobs = [
        _train_notebook(env, model_name=SOURCE_MODEL, alpha="0.05", mlopsgen_mode="train"),
        _train_notebook(env, model_name=f"{SOURCE_MODEL}_pr", mlopsgen_mode="pr"),
    ]
    done = []
    for job in jobs:
        out, err = job.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(job.args, job.returncode, out, err))
    assert done[0].returncode == 0, done[0].stderr
    version = client.get_model_version(SOURCE_MODEL, "1")
    source = str(version.source)  # models:/<model_id>
    model_id = source.removeprefix("models:/")
    uri = f"models:/{SOURCE_MODEL}/1"
    return Trained(source, uri, model_id, train=done[0], pr=done[1])


@pytest.fixture
def make_versions(client: Any, trained: Trained, request: pytest.FixtureRequest) -> Any:
    """A fresh registered model whose versions carry the given metrics (1, 2, ... in order)."""

    def make(*metrics: Mapping[str, float], servable: bool = True, snapshot: bool = True) -> str:
        """servable=False: each version gets its own empty logged model instead of the
        trained one, whose metrics (rmse, r2 of the training run) the gates would also read.
        snapshot=True: the candidate task's metrics snapshot is written on each version, as
        the train job does in workspace A (the runtime's own code, on the tests' client)."""
        # unique in the session: two parameters may read alike once made a name
        name = f"wine_{request.node.name}_{next(_MODELS)}"
        name = "".join(c if c.isalnum() else "_" for c in name)
        client.create_registered_model(name)
        experiment = client.get_experiment_by_name("Default").experiment_id
        for values in metrics:
            run_id = client.create_run(experiment).info.run_id
            for key, value in values.items():
                client.log_metric(run_id, key, value)
            client.set_terminated(run_id)
            model_id = trained.model_id
            if not servable:
                model_id = client.create_logged_model(experiment, source_run_id=run_id).model_id
            version = client.create_model_version(
                name, f"models:/{model_id}", run_id=run_id, model_id=model_id
            )
            if snapshot:
                wanted = sorted(set(GATE_METRICS) | set(values))
                write_snapshot(Registry(ExplainedClient(client), name, True), version, wanted)
        return name

    return make


@pytest.fixture
def tasks(doubles: dict[str, MlflowDouble], monkeypatch: pytest.MonkeyPatch) -> Tasks:
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return Tasks(doubles, monkeypatch)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_tree(EXAMPLE_SPEC, tmp_path_factory.mktemp("rendered"))
