"""A strict double of MLflow on Databricks, in front of a real `mlflow server`: two workspaces
(A, the training workspace, and B, another stage's) that share one model registry.

    with MlflowDouble(upstream_url, unity_catalog=True) as double:
        env = {"MLFLOW_TRACKING_URI": double.url("A")}   # or double.url("B")

Each workspace listens on its own loopback port (chosen at run time); every request is
forwarded to the real server after the checks below, and recorded (`double.requests`).

Workspace isolation (tracking). Runs, their metrics, params and artifacts, experiments and
logged models live in the workspace that created them: from another workspace they are
RESOURCE_DOES_NOT_EXIST (404), as `get_run` of another workspace's run answers on Databricks;
copying them takes an export and an import (Databricks, "Copy MLflow objects between
workspaces", https://docs.databricks.com/mlflow/migrate-mlflow-objects.html). Experiment names
are per workspace too: B's `/Shared/x` is not A's (the double stores B's under a prefix and
hides it). Objects the double did not see created (the tests' direct client, the server's
Default experiment) belong to A: the tests play the training workspace with it.

The registry. `unity_catalog=True` (specs with `registry: unity-catalog`): registered models,
versions, tags and aliases are one registry seen through both ports (models in Unity Catalog
are shared "across workspaces and environments", https://docs.databricks.com/en/machine-learning/manage-model-lifecycle/upgrade-models.html),
under Unity Catalog's rules (fakes/uc_rules.py: tag keys and values, 50 tags per object, no
registry stages, no tags or aliases in search results). `unity_catalog=False` (`registry:
workspace`): the legacy registry belongs to its workspace, so B does not see A's models.

Model artifacts. The real server writes artifacts to a local folder that clients read and
write directly, so artifact bytes never pass through the double; run artifacts are still
isolated because MLflow finds a run's artifact location with `get_run` first. Model downloads
(`models:/...`, serving and batch tests) go to the server directly: MLflow's OSS client
resolves an MLflow 3 version through its logged model (a tracking call), while Unity Catalog
serves a version's files from the version's own storage to every workspace, so routing them
through the double would refuse what the service allows.

Any other endpoint (traces, datasets, webhooks, ...) answers 404 ENDPOINT_NOT_FOUND: a
double that forwarded what it does not model would prove nothing about it.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fakes.errors import ApiError, not_found
from fakes.mlflow_routes import HOME, PREFIX, REGISTRY, TRACKING, Call, registry, tracking

WORKSPACES = ("A", "B")
PASS_THROUGH = ("/health", "/version")


@dataclass(frozen=True)
class Recorded:
    workspace: str
    method: str
    path: str  # with the query string
    status: int


@dataclass
class MlflowDouble:
    upstream: str
    unity_catalog: bool
    requests: list[Recorded] = field(default_factory=list)
    # (kind, id) -> workspace; kinds: experiment, run, logged_model, model (workspace registry)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    _servers: dict[str, ThreadingHTTPServer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ lifecycle
    def url(self, workspace: str) -> str:
        return f"http://127.0.0.1:{self._servers[workspace].server_address[1]}"

    def __enter__(self) -> MlflowDouble:
        for workspace in WORKSPACES:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, workspace))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers[workspace] = server
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def calls(self, workspace: str, route: str) -> list[Recorded]:
        """The recorded requests of one workspace to one endpoint (route after /mlflow/)."""
        return [r for r in self.requests if r.workspace == workspace and route in r.path]

    # ------------------------------------------------------------------ ownership
    def owner(self, kind: str, key: str) -> str:
        with self._lock:
            return self.owners.get((kind, str(key)), HOME)

    def own(self, kind: str, key: object, workspace: str) -> None:
        with self._lock:
            self.owners[(kind, str(key))] = workspace

    def require(self, call: Call, kind: str, key: object, what: str) -> None:
        if key not in (None, "") and self.owner(kind, str(key)) != call.workspace:
            raise not_found(f"{what} '{key}' not found")

    # ------------------------------------------------------------------ requests
    def handle(self, workspace: str, method: str, raw_path: str, data: bytes) -> tuple[int, bytes]:
        parts = urlsplit(raw_path)
        if parts.path in PASS_THROUGH:
            return self.forward(method, raw_path, data)
        if not parts.path.startswith(PREFIX):
            raise ApiError(404, "ENDPOINT_NOT_FOUND", f"the MLflow double has no {parts.path}")
        body = json.loads(data) if data.strip() else {}
        route = parts.path.removeprefix(PREFIX)
        call = Call(workspace, method, route, parse_qsl(parts.query), body)
        family = call.route.split("/")[0]
        if family in TRACKING:
            return tracking(self, call)
        if family in REGISTRY:
            return registry(self, call)
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"the MLflow double does not model {call.route}")

    def send(self, call: Call) -> tuple[int, dict[str, Any]]:
        """Forward a call (as it may have been rewritten) to the real server."""
        query = f"?{urlencode(call.query)}" if call.query else ""
        data = b"" if call.method == "GET" else json.dumps(call.body).encode()
        status, answer = self.forward(call.method, f"{PREFIX}{call.route}{query}", data)
        try:
            return status, json.loads(answer) if answer.strip() else {}
        except ValueError:  # the server's own error page
            return status, {"error_code": "INTERNAL_ERROR", "message": answer.decode()[:500]}

    def forward(self, method: str, path: str, data: bytes) -> tuple[int, bytes]:
        target = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        try:
            headers = {"Content-Type": "application/json"} if data else {}
            connection.request(method, path, body=data or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def _handler(double: MlflowDouble, workspace: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            try:
                status, answer = double.handle(workspace, self.command, self.path, data)
            except ApiError as refused:
                status, answer = refused.status, json.dumps(refused.body()).encode()
            except Exception as bug:  # a 400 MLflow does not retry: the test fails at once
                broken = ApiError(400, "DOUBLE_ERROR", f"the MLflow double failed: {bug!r}")
                status, answer = broken.status, json.dumps(broken.body()).encode()
            with double._lock:
                double.requests.append(Recorded(workspace, self.command, self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler
