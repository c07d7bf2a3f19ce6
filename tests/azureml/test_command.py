"""`mlopsgen azureml-deploy`, the command the pipeline's AzureCLI@2 step runs, as a process:
a stub `az` first on PATH (tests/fakes/azure_ml_cli.py) and, for the whole way through, a
real local MLflow registry (a sqlite store) holding the model the gate passed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from azureml.conftest import StubAz

REPO = Path(__file__).resolve().parents[2]
ENDPOINT = "credit-risk-staging"
MODEL = "credit_risk"  # the example's workspace-registry model


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    folder = tmp_path / "credit-risk"
    shutil.copytree(REPO / "specs" / "credit-risk", folder)
    return folder / "model.yaml"


def azureml_deploy(spec: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mlopsgen", "azureml-deploy", str(spec), *args]
    env = env | {"PYTHONPATH": str(REPO), "MLFLOW_DISABLE_TELEMETRY": "true"}
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def serving_version_1() -> dict[str, Any]:
    """Azure ML as the previous rollout left it: version 1 serves; version 2 is registered."""
    deployment = {"name": "version-1", "endpoint_name": ENDPOINT, "model": f"azureml:{MODEL}:1"}
    return {
        "models": {f"{MODEL}:1": {}, f"{MODEL}:2": {}},
        "endpoints": {
            ENDPOINT: {"traffic": {"version-1": 100}, "deployments": {"version-1": deployment}}
        },
    }


def test_a_failed_smoke_test_exits_1_with_one_line_and_changes_no_traffic(
    stub_az: StubAz, spec: Path
) -> None:
    stub_az.set_state(serving_version_1() | {"broken": ["version-2"]})
    done = azureml_deploy(spec, stub_az.env, "--stage", "staging", "--version", "2")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: smoke test of 'version-2': ")
    assert "424 Model Error" in done.stderr
    calls = [c[:3] for c in stub_az.calls()]
    assert calls[-1] == ["ml", "online-endpoint", "invoke"]  # no update, no delete after it
    assert ["ml", "online-deployment", "create"] in calls
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 100, "version-2": 0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage", "qa", "--version", "2"], "no stage 'qa' in the spec"),
        (["--stage", "staging", "--version", "latest"], "--version must be a model version"),
        (["--stage", "staging", "--version", "2", "--deploy-mode", "x"], "--deploy-mode must"),
    ],
)
def test_usage_errors_exit_2_before_any_az_call(
    stub_az: StubAz, spec: Path, args: list[str], message: str
) -> None:
    done = azureml_deploy(spec, stub_az.env, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert stub_az.calls() == []


@pytest.mark.slow  # a new sqlite MLflow store takes seconds to create its tables
def test_rolls_out_then_moves_the_registry_to_what_serves(
    stub_az: StubAz, spec: Path, tmp_path: Path
) -> None:
    import mlflow

    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text("flavors: {}\n")
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    client.create_registered_model(MODEL)
    client.create_model_version(MODEL, source=str(model))
    client.set_model_version_tag(MODEL, "1", "mlopsgen_gate_staging", "passed")
    stub_az.set_state({"extensions": []})

    env = stub_az.env | {"MLFLOW_TRACKING_URI": tracking}
    done = azureml_deploy(spec, env, "--stage", "staging", "--version", "1")

    assert done.returncode == 0, done.stderr
    verb = {"extension": 1, "ml": 2}
    assert [c[:3] for c in stub_az.calls() if c[verb[c[0]]] not in ("show", "list")] == [
        ["extension", "add", "--name"],
        ["ml", "model", "create"],
        ["ml", "online-endpoint", "create"],
        ["ml", "online-deployment", "create"],
        ["ml", "online-endpoint", "invoke"],
        ["ml", "online-endpoint", "update"],
    ]
    (create,) = [r for r in stub_az.records() if r["args"][:3] == ["ml", "model", "create"]]
    assert "MLmodel" in create["model_files"]  # downloaded from the registry
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 100}
    lines = done.stdout.splitlines()
    moved = next(i for i, line in enumerate(lines) if "all traffic -> version-1" in line)
    promoted = next(i for i, line in enumerate(lines) if line.startswith(f"promote {MODEL}:"))
    assert moved < promoted  # the registry moves to what serves, after it serves
    assert client.get_model_version(MODEL, "1").current_stage == "Staging"
    assert client.get_registered_model(MODEL).tags["mlopsgen_stage_staging"] == "1"
    assert json.loads(stub_az.state_file.read_text())["extensions"] == ["ml"]
