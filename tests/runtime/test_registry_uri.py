"""Which registry the runtime opens, and what it says when the platform refuses a call.

The selection is pure (select_tracking_uri / select_registry_uri). That it reaches the right
service is shown with MLflow's own Databricks stores against a recording HTTP server standing
in for the workspace (DATABRICKS_HOST): the workspace registry's REST paths are
`/api/2.0/mlflow/registered-models/...` and `/model-versions/...`, Unity Catalog's
`/api/2.0/mlflow/unity-catalog/...`, and neither may reach the other's.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest

from mlopsgen.runtime import TaskFailed, main, registry
from mlopsgen.runtime.errors import PlatformError
from mlopsgen.runtime.registry import open_registry, select_registry_uri, select_tracking_uri
from mlopsgen.runtime.tags import set_version_tag

MLFLOW = "/api/2.0/mlflow/"
UNITY_CATALOG = "/api/2.0/mlflow/unity-catalog/"


@pytest.mark.parametrize(
    ("kind", "tracking", "expected"),
    [
        ("unity-catalog", "databricks", "databricks-uc"),
        ("workspace", "databricks", "databricks"),
        ("unity-catalog", "databricks://prod", "databricks-uc://prod"),
        ("workspace", "databricks://prod:key", "databricks://prod:key"),
        ("unity-catalog", "http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("workspace", "https://mlflow.example", "https://mlflow.example"),
    ],
)
def test_the_spec_registry_chooses_the_registry_uri(
    kind: str, tracking: str, expected: str
) -> None:
    assert select_registry_uri(kind, tracking) == expected


def test_the_tracking_uri_is_explicit_or_this_cluster_or_an_error() -> None:
    assert select_tracking_uri({"MLFLOW_TRACKING_URI": " http://h:5000 "}) == "http://h:5000"
    assert select_tracking_uri({"DATABRICKS_RUNTIME_VERSION": "17.3"}) == "databricks"
    with pytest.raises(TaskFailed, match="MLFLOW_TRACKING_URI is not set"):
        select_tracking_uri({})
    with pytest.raises(TaskFailed, match="--registry must be 'unity-catalog' or 'workspace'"):
        select_registry_uri("uc", "databricks")


@dataclass
class Recorder:
    """A Databricks workspace that records every path and answers with `status`."""

    status: int = 200
    paths: list[str] = field(default_factory=list)

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        if not path.startswith(MLFLOW):
            return 404, {"error_code": "NOT_FOUND", "message": "no such page"}
        self.paths.append(path.split("?")[0])
        if self.status != 200:
            return self.status, {"error_code": "PERMISSION_DENIED", "message": "User lacks it"}
        return 200, {}  # an empty object: every field of MLflow's answers is optional


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    import mlflow

    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = recorder.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for key in [k for k in os.environ if k.startswith(("DATABRICKS_", "MLFLOW_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_HOST", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("DATABRICKS_TOKEN", "test-token")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "databricks")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        # open_registry set MLflow's globals: forget them (None unsets, whatever the annotation)
        mlflow.set_registry_uri("")
        cast(Any, mlflow.set_tracking_uri)(None)


def _use(kind: str) -> None:
    """What the tasks do with a registry: read aliases / stages, a version, tag it."""
    reg = open_registry({"model_name": "main.ml.wine", "registry": kind})
    registry.champion(reg)
    registry.stage_holder(reg, "staging")
    registry.existing_version(reg, "1")
    set_version_tag(reg, "1", "mlopsgen_gate_staging", "passed")


def test_the_workspace_registry_never_reaches_unity_catalog(workspace: Recorder) -> None:
    import mlflow

    _use("workspace")
    assert mlflow.get_registry_uri() == "databricks"
    assert workspace.paths and not [p for p in workspace.paths if p.startswith(UNITY_CATALOG)]
    assert {p.split("/")[4] for p in workspace.paths} == {"registered-models", "model-versions"}
    assert f"{MLFLOW}model-versions/set-tag" in workspace.paths


def test_unity_catalog_never_reaches_the_workspace_registry(workspace: Recorder) -> None:
    import mlflow

    _use("unity-catalog")
    assert mlflow.get_registry_uri() == "databricks-uc"
    assert workspace.paths and all(p.startswith(UNITY_CATALOG) for p in workspace.paths)
    assert f"{UNITY_CATALOG}model-versions/set-tag" in workspace.paths


def test_a_refused_call_is_one_line_that_says_what_to_check(
    workspace: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.status = 403
    params = {"model_name": "main.ml.wine", "registry": "unity-catalog", "stage": "staging"}
    params |= {"model_version": "1", "final_stage": "false", "deploy_mode": "deploy"}
    params |= {"target": "", "endpoint": ""}
    with pytest.raises(SystemExit) as exited:
        main("promote", params)
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert error.startswith("mlopsgen promote: error: MLflow get_model_version(")
    assert "failed: PERMISSION_DENIED: User lacks it" in error
    assert "; check the privileges of the identity the job runs as" in error
    with pytest.raises(PlatformError) as raised:  # on Databricks it raises, with the code
        main("promote", params, dbutils=object())
    assert raised.value.error_code == "PERMISSION_DENIED"
