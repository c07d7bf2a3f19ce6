"""deploy_serving and smoke_test notebooks, rendered from the example spec and run as scripts,
and `go_live` (which promote calls), in the order the deploy job runs them: blue/green.

The smoke test talks to a real MLflow model server on loopback; Databricks Model Serving is
the strict fake workspace (tests/fakes), spoken to through the real databricks-sdk. Azure ML
is served from the pipeline agent: tests/azureml.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.databricks_server import FakeDatabricks

from mlopsgen.runtime import TaskFailed
from mlopsgen.runtime.serving import go_live, served_entity_name
from runtime.support import (
    EXAMPLE_SPEC,
    free_port,
    run_notebook,
    start_group,
    stop_group,
    task_parameters,
    wait_for_http,
)
from runtime.test_endpoints import workspace_fixture  # noqa: F401 - go_live runs in process

pytestmark = pytest.mark.mlflow_server

SAMPLE_REQUEST = EXAMPLE_SPEC.parent / "tests" / "sample_request.json"
ENDPOINT = "wine-quality-staging"


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


# ---------------------------------------------------------------- Databricks Model Serving


class Stage:
    """The staging deploy job's serving tasks, run as the job runs them."""

    def __init__(self, rendered: Path, env: dict[str, str], fake: FakeDatabricks, name: str):
        self.rendered, self.env, self.fake, self.name = rendered, env | fake.env(), fake, name

    def params(self, task: str, version: str) -> dict[str, str]:
        values = task_parameters(self.rendered, "deploy-staging", task)
        values |= {"model_name": self.name, "model_version": version}
        if "endpoint_url" in values:  # the rendered URL, on the fake's host
            values["endpoint_url"] = f"{self.fake.url}/serving-endpoints/{ENDPOINT}/invocations"
        if "request_file" in values:
            values["request_file"] = str(SAMPLE_REQUEST)
        return values

    def run(self, task: str, version: str) -> Any:
        return run_notebook(self.rendered, task, self.params(task, version), self.env)

    def go_live(self, version: str) -> list[str]:
        params = task_parameters(self.rendered, "deploy-staging", "promote")
        return go_live(self.name, version, params)

    def entity(self, version: str) -> str:
        return served_entity_name(self.name, version)


@pytest.fixture
def stage(
    rendered: Path, env: dict[str, str], workspace: FakeDatabricks, make_versions: Any
) -> Stage:
    return Stage(rendered, env, workspace, make_versions({"rmse": 0.3}, {"rmse": 0.2}))


def test_a_new_endpoint_serves_the_first_version_with_all_traffic(stage: Stage) -> None:
    created = stage.run("deploy_serving", "1")
    assert created.returncode == 0, created.stderr
    (create,) = stage.fake.calls("POST", "/api/2.0/serving-endpoints")
    assert create.body["config"]["served_entities"] == [
        {
            "name": stage.entity("1"),
            "entity_name": stage.name,
            "entity_version": "1",
            "workload_size": "Small",
            "scale_to_zero_enabled": True,
        }
    ]
    assert stage.fake.serving.traffic(ENDPOINT) == {stage.entity("1"): 100}
    assert f"{stage.entity('1')} (version 1) is ready, 100% of traffic" in created.stdout

    tested = stage.run("smoke_test", "1")
    assert tested.returncode == 0, tested.stderr
    (invocation,) = stage.fake.serving.invocations
    assert (
        invocation.path
        == f"/serving-endpoints/{ENDPOINT}/served-models/{stage.entity('1')}/invocations"
    )
    assert stage.go_live("1") == []  # it has all the traffic already


def test_blue_green_the_candidate_is_served_tested_then_given_the_traffic(stage: Stage) -> None:
    assert stage.run("deploy_serving", "1").returncode == 0
    stage.fake.clear_requests()

    served = stage.run("deploy_serving", "2")
    assert served.returncode == 0, served.stderr
    (update,) = stage.fake.calls("PUT", f"/api/2.0/serving-endpoints/{ENDPOINT}/config")
    assert [e["entity_version"] for e in update.body["served_entities"]] == ["1", "2"]
    assert stage.fake.serving.traffic(ENDPOINT) == {stage.entity("1"): 100, stage.entity("2"): 0}
    assert "traffic stays" in served.stdout and "0% of traffic" in served.stdout

    tested = stage.run("smoke_test", "2")
    assert tested.returncode == 0, tested.stderr
    assert [i.served_entity for i in stage.fake.serving.invocations] == [stage.entity("2")]

    assert stage.go_live("2") == [
        f"serving endpoint '{ENDPOINT}': all traffic -> {stage.entity('2')}; "
        f"stopped serving {stage.entity('1')}"
    ]
    assert stage.fake.serving.traffic(ENDPOINT) == {stage.entity("2"): 100}
    assert stage.fake.serving.served(ENDPOINT) == [stage.entity("2")]

    stage.fake.clear_requests()  # both again: nothing to change
    assert stage.go_live("2") == []
    again = stage.run("deploy_serving", "2")
    assert again.returncode == 0, again.stderr
    assert "serves" in again.stdout and "already: no change" in again.stdout
    assert stage.fake.mutating_calls() == []


def test_a_failed_smoke_test_leaves_the_traffic_on_the_version_that_served(stage: Stage) -> None:
    assert stage.run("deploy_serving", "1").returncode == 0
    assert stage.run("deploy_serving", "2").returncode == 0
    stage.fake.serving.broken.add(stage.entity("2"))

    tested = stage.run("smoke_test", "2")
    assert tested.returncode == 1
    (line,) = tested.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith("mlopsgen smoke_test: error: ") and "answered HTTP 400" in line
    assert f"/served-models/{stage.entity('2')}/invocations" in line
    # the job stops here: promote (and go_live) never runs, the old version keeps everything
    assert stage.fake.serving.traffic(ENDPOINT) == {stage.entity("1"): 100, stage.entity("2"): 0}


def test_a_failed_config_update_leaves_the_endpoint_as_it_was(stage: Stage) -> None:
    assert stage.run("deploy_serving", "1").returncode == 0
    stage.fake.serving.fail_updates = True
    failed = stage.run("deploy_serving", "2")
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        f"mlopsgen deploy_serving: error: the config update of serving endpoint '{ENDPOINT}' "
        "ended UPDATE_FAILED; its previous config keeps serving (see the endpoint's events and "
        "build logs in the Serving UI)"
    )
    assert stage.fake.serving.traffic(ENDPOINT) == {stage.entity("1"): 100}
    with pytest.raises(TaskFailed, match=f"does not serve {stage.entity('2')}"):
        stage.go_live("2")


def test_a_candidate_that_failed_before_is_replaced_not_kept(stage: Stage) -> None:
    assert stage.run("deploy_serving", "1").returncode == 0
    assert stage.run("deploy_serving", "2").returncode == 0  # its smoke test failed, say
    assert stage.run("deploy_serving", "1").returncode == 0  # a rollback to the live one
    assert stage.fake.serving.traffic(ENDPOINT) == {stage.entity("1"): 100}
    assert stage.fake.serving.served(ENDPOINT) == [stage.entity("1")]
