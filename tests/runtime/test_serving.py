"""deploy_serving and smoke_test notebooks, rendered from the example spec and run as scripts.

The smoke test talks to a real MLflow model server on loopback; the Databricks deploy goes
through the real databricks-sdk to the strict fake workspace (tests/fakes); the Azure ML
deploy runs a fake `az` on PATH that records its arguments and what it was given.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.databricks_server import FakeDatabricks

from mlopsgen.runtime.serving import served_entity_name
from runtime.support import (
    EXAMPLE_SPEC,
    free_port,
    run_notebook,
    start_group,
    stop_group,
    task_parameters,
    wait_for_http,
)

pytestmark = pytest.mark.mlflow_server

SAMPLE_REQUEST = EXAMPLE_SPEC.parent / "tests" / "sample_request.json"


@pytest.fixture(scope="module")
def model_server(
    env: dict[str, str], trained: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`mlflow models serve` of the registered example model, on a free loopback port."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "models", "serve",
        "-m", trained.version_uri, "--env-manager", "local",
        "--host", "127.0.0.1", "-p", str(port), "--workers", "1",
    ]  # fmt: skip
    process = start_group(command, log, env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/ping", process, log, timeout=90)
        yield f"http://127.0.0.1:{port}/invocations"
    finally:
        stop_group(process)


def smoke_params(rendered: Path, url: str, request_file: Path) -> dict[str, str]:
    values = task_parameters(rendered, "deploy-staging", "smoke_test")
    return values | {"endpoint_url": url, "request_file": str(request_file)}


def test_the_smoke_test_passes_against_a_real_model_server(
    rendered: Path, env: dict[str, str], model_server: str
) -> None:
    result = run_notebook(
        rendered, "smoke_test", smoke_params(rendered, model_server, SAMPLE_REQUEST), env
    )
    assert result.returncode == 0, result.stderr
    assert 'answer: {"predictions": [' in result.stdout
    assert "smoke test passed: 2 predictions for 2 records" in result.stdout


def test_the_smoke_test_fails_on_a_wrong_payload_shape(
    rendered: Path, env: dict[str, str], model_server: str, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}))
    result = run_notebook(rendered, "smoke_test", smoke_params(rendered, model_server, wrong), env)
    assert result.returncode == 1
    assert "answered HTTP 400" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_to_databricks_serving_creates_then_updates_and_waits(
    rendered: Path, env: dict[str, str], make_versions: Any
) -> None:
    name = make_versions({"rmse": 0.3}, {"rmse": 0.2})
    values = task_parameters(rendered, "deploy-staging", "deploy_serving")
    with FakeDatabricks() as fake:
        run_env = env | fake.env()
        created = run_notebook(
            rendered, "deploy_serving", values | {"model_name": name, "model_version": "1"}, run_env
        )
        assert created.returncode == 0, created.stderr
        updated = run_notebook(
            rendered, "deploy_serving", values | {"model_name": name, "model_version": "2"}, run_env
        )
        assert updated.returncode == 0, updated.stderr
        fake.serving.fail_updates = True
        failed = run_notebook(
            rendered, "deploy_serving", values | {"model_name": name, "model_version": "1"}, run_env
        )

    assert "creating serving endpoint 'wine-quality-staging'" in created.stdout
    (create,) = fake.calls("POST", "/api/2.0/serving-endpoints")
    entity = create.body["config"]["served_entities"][0]
    assert create.body["name"] == "wine-quality-staging"
    assert entity == {
        "name": served_entity_name(name, "1"),
        "entity_name": name,
        "entity_version": "1",
        "workload_size": "Small",
        "scale_to_zero_enabled": True,
    }
    update = fake.calls("PUT", "/api/2.0/serving-endpoints/wine-quality-staging/config")[0]
    assert update.body["served_entities"][0]["entity_version"] == "2"
    assert update.body["traffic_config"] == {
        "routes": [{"served_model_name": served_entity_name(name, "2"), "traffic_percentage": 100}]
    }
    assert "is ready and serves version 2" in updated.stdout
    assert failed.returncode == 1 and "UPDATE_FAILED" in failed.stderr


FAKE_AZ = """#!{python}
import json, os, sys
args = sys.argv[1:]
record = {{"args": args}}
if "--path" in args:
    record["model_files"] = sorted(os.listdir(args[args.index("--path") + 1]))
if "--file" in args:
    record["file"] = json.load(open(args[args.index("--file") + 1]))
with open(os.environ["FAKE_AZ_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if args[2] == "show":
    sys.exit(1)  # nothing exists yet
if args[2] == "invoke":
    print(json.dumps(json.dumps([5.1, 6.2])))  # az prints the answer as a JSON string
"""


@pytest.fixture
def fake_az(tmp_path: Path, env: dict[str, str]) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "az"
    script.write_text(FAKE_AZ.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "az.log"
    return env | {"PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "FAKE_AZ_LOG": str(log)}, log


def test_deploy_to_azureml_registers_the_model_and_routes_all_traffic(
    rendered: Path, fake_az: tuple[dict[str, str], Path], make_versions: Any
) -> None:
    run_env, log = fake_az
    name = make_versions({"rmse": 0.3})
    values = task_parameters(rendered, "deploy-staging", "deploy_serving") | {
        "model_name": name,
        "model_version": "1",
        "target": "azureml",
        "azureml_resource_group": "rg-ml",
        "azureml_workspace": "ws-ml",
    }
    result = run_notebook(rendered, "deploy_serving", values, run_env)
    assert result.returncode == 0, result.stderr

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    where = ["--resource-group", "rg-ml", "--workspace-name", "ws-ml"]
    assert [c["args"][:3] for c in calls] == [
        ["ml", "model", "show"],
        ["ml", "online-endpoint", "show"],
        ["ml", "online-deployment", "show"],
        ["ml", "model", "create"],
        ["ml", "online-endpoint", "create"],
        ["ml", "online-deployment", "create"],
    ]
    assert all(c["args"][-4:] == where for c in calls)
    create_model = calls[3]["args"]
    assert create_model[3:9] == ["--name", name, "--version", "1", "--type", "mlflow_model"]
    assert "MLmodel" in calls[3]["model_files"]
    assert calls[4]["args"][3:5] == ["--name", "wine-quality-staging"]
    assert "--all-traffic" in calls[5]["args"]
    assert calls[5]["file"] | {"$schema": ""} == {
        "$schema": "",
        "name": "version-1",
        "endpoint_name": "wine-quality-staging",
        "model": f"azureml:{name}:1",
        "instance_type": "Standard_DS3_v2",
        "instance_count": 1,
    }


def test_the_azureml_smoke_test_invokes_the_endpoint_with_az(
    rendered: Path, fake_az: tuple[dict[str, str], Path]
) -> None:
    run_env, log = fake_az
    values = smoke_params(rendered, "", SAMPLE_REQUEST) | {
        "target": "azureml",
        "azureml_resource_group": "rg-ml",
        "azureml_workspace": "ws-ml",
    }
    result = run_notebook(rendered, "smoke_test", values, run_env)
    assert result.returncode == 0, result.stderr
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call["args"][:5] == ["ml", "online-endpoint", "invoke", "--name", "wine-quality-staging"]
    assert "smoke test passed: 2 predictions for 2 records" in result.stdout
