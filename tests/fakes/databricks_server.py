"""A small, strict fake of the Databricks REST API for tests that use the real databricks-sdk.

Usage:

    with FakeDatabricks() as fake:
        w = WorkspaceClient(config=fake.config())   # or env DATABRICKS_HOST/TOKEN = fake.env()
        ...
        assert fake.calls("POST", "/api/2.2/jobs/create")

It listens on 127.0.0.1 on a free port and implements the subset of Jobs 2.1/2.2, Workspace
and Model Serving (management and invocations) that mlopsgen uses. Requests are checked
strictly against the SDK's own types (unknown fields, wrong JSON types and unknown enum values
are a 400 INVALID_PARAMETER_VALUE, as the real service answers); every request is recorded;
runs follow `RunScript`s; `fail_next` injects 401/403/404/429/503 answers, before the request
takes effect or after it (`after_commit=True`: the change is made, then the answer is lost, as
after a gateway timeout), or drops the connection without an answer (`status=RESET`);
`before_next` runs a callback first (another client acting at the same moment).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakes.databricks_jobs import CREATOR, JobsService
from fakes.databricks_oidc import answer_oidc
from fakes.databricks_runs import FakeRun, RunScript
from fakes.databricks_serving import ServingEndpoints
from fakes.databricks_workspace import WorkspaceTree
from fakes.errors import ApiError

TOKEN = "test-token"
RESET = 0  # fail_next(status=RESET): close the connection without answering
HTML = "__html__"  # a body with this key is sent as that HTML page


DELAY_HEADER = "X-Fake-Delay"


class _Slow(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class _Raw(Exception):
    """An answer the handler sends as it is (a garbled success, a gateway page)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


WORKSPACE_ID = "1234567890"

_ERROR_CODES = {
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class _Failure:
    method: str | None
    path: str
    status: int
    remaining: int
    retry_after: int | None
    message: str
    after_commit: bool = False
    html: bool = False  # answer a gateway's HTML page instead of a JSON error
    delay: float = 0.0  # with status 200: answer normally, but this many seconds late


@dataclass
class FakeDatabricks:
    """The fake workspace: state, scripted behaviour and the HTTP server around it."""

    token: str = TOKEN
    user_name: str = CREATOR  # the identity the token belongs to
    # Workload identity federation (issue 10): client_id -> the OIDC subject token its
    # federation policy accepts; /oidc/v1/token then issues `token`. Empty: no federation.
    federation: dict[str, str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    jobs_api: JobsService = field(init=False)
    workspace: WorkspaceTree = field(default_factory=WorkspaceTree)
    serving: ServingEndpoints = field(default_factory=ServingEndpoints)
    _failures: list[_Failure] = field(default_factory=list)
    _before: list[tuple[str, str, Callable[[], None]]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.jobs_api = JobsService(url=lambda: self.url)

    @property
    def jobs(self) -> dict[int, dict[str, Any]]:
        return self.jobs_api.jobs

    @property
    def runs(self) -> dict[int, FakeRun]:
        return self.jobs_api.runs

    # ----- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> FakeDatabricks:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake server is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment for the SDK's default auth chain (PAT) against this server."""
        return {"DATABRICKS_HOST": self.url, "DATABRICKS_TOKEN": self.token}

    def config(self, **overrides: Any) -> Any:
        from databricks.sdk.config import Config

        kwargs: dict[str, Any] = {"host": self.url, "token": self.token}
        return Config(**(kwargs | {"retry_timeout_seconds": 5} | overrides))

    # ----- scripting and assertions ------------------------------------------------------------

    def script_runs(self, *scripts: RunScript) -> None:
        """The next started runs follow these scripts in order (then the default: SUCCESS)."""
        with self._lock:
            self.jobs_api.run_scripts.extend(scripts)

    def fail_next(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        retry_after: int | None = None,
        message: str = "injected failure",
        after_commit: bool = False,
        html: bool = False,
        delay: float = 0.0,
    ) -> None:
        """The next `times` requests to `path` (any method unless given) answer `status`
        (RESET: no answer at all; 200: a success whose body is not what the API promises;
        `html`: a gateway's HTML page); with `after_commit` the request takes effect first."""
        with self._lock:
            self._failures.append(
                _Failure(
                    method, path, status, times, retry_after, message, after_commit, html, delay
                )
            )

    def before_next(self, method: str, path: str, action: Callable[[], None]) -> None:
        """Run `action` just before the next `method path` request is handled."""
        with self._lock:
            self._before.append((method, path, action))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def mutating_calls(self) -> list[Request]:
        """Requests that change state (everything but GET)."""
        return [r for r in self.calls() if r.method != "GET"]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def add_job(self, settings: dict[str, Any]) -> int:
        """Seed a job as if someone created it (e.g. a foreign job with the same name)."""
        with self._lock:
            return self.jobs_api.store_job(settings)

    def job_by_name(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [j for j in self.jobs.values() if j["settings"].get("name") == name]

    # ----- request handling --------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one request: (status, JSON body, extra headers)."""
        parts = urlsplit(raw_path)
        path = parts.path.replace("/api/2.1/jobs/", "/api/2.2/jobs/")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path.startswith("/oidc/"):
            with self._lock:
                self.requests.append(Request(method, path, query, None))
            return answer_oidc(self.url, self.token, self.federation, method, path, raw_body)
        with self._lock:
            try:
                body = json.loads(raw_body) if raw_body else None
            except json.JSONDecodeError:
                body = raw_body.decode("utf-8", "replace")
            self.requests.append(Request(method, path, query, body))
            self._run_before(method, path)
            try:
                self._inject(method, path, after_commit=False)
                if path != "/.well-known/databricks-config":
                    self._authenticate(headers)
                if isinstance(body, str):
                    raise ApiError(400, "MALFORMED_REQUEST", "Invalid JSON given in the body.")
                answer = self._route(method, path, query, body or {})
                try:
                    self._inject(method, path, after_commit=True)
                except _Slow as slow:  # the answer comes, but late (the handler waits)
                    return 200, answer, {DELAY_HEADER: str(slow.seconds)}
                return 200, answer, {}
            except ApiError as err:
                return err.status, err.body(), err.headers()
            except _Raw as raw:
                return raw.status, raw.body, {}

    def _run_before(self, method: str, path: str) -> None:
        for hook in list(self._before):
            if hook[:2] == (method, path):
                self._before.remove(hook)
                hook[2]()

    def _inject(self, method: str, path: str, *, after_commit: bool) -> None:
        for failure in self._failures:
            if failure.path != path or failure.remaining <= 0:
                continue
            if failure.method not in (None, method) or failure.after_commit != after_commit:
                continue
            failure.remaining -= 1
            if failure.html:
                page = f"<html><body><h1>{failure.status} Bad Gateway</h1></body></html>"
                raise _Raw(failure.status, {HTML: page})
            if failure.status == 200 and failure.delay:
                raise _Slow(failure.delay)
            if failure.status == 200:
                raise _Raw(200, {"unexpected": "a body of the wrong shape"})
            code = _ERROR_CODES.get(failure.status, "UNKNOWN")
            raise ApiError(failure.status, code, failure.message, failure.retry_after)

    def _authenticate(self, headers: dict[str, str]) -> None:
        if headers.get("authorization") != f"Bearer {self.token}":
            raise ApiError(401, "UNAUTHENTICATED", "Invalid access token.")

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        if path == "/.well-known/databricks-config":
            return {"oidc_endpoint": f"{self.url}/oidc", "workspace_id": WORKSPACE_ID}
        if path.startswith("/api/2.0/workspace/"):
            return self.workspace.route(method, path, query, body)
        if (method, path) == ("GET", "/api/2.0/preview/scim/v2/Me"):
            # who the token belongs to (SCIM Me): deploy resolves the home folder from it
            return {"id": "4242", "userName": self.user_name, "displayName": self.user_name}
        # the management API, and invocations (which live outside /api)
        if path.startswith(("/api/2.0/serving-endpoints", "/serving-endpoints/")):
            return self.serving.route(method, path, query, body)
        return self.jobs_api.route(method, path, query, body)


class _QuietServer(ThreadingHTTPServer):
    """A client that stops waiting (the SDK after its timeout, a test that moves on) closes
    the connection before the answer is written: that is the client's business, not an
    error of the fake. socketserver would print a traceback to stderr, which the CLI runner
    captures as if mlopsgen had printed it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeDatabricks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms stalls

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = fake.handle(self.command, self.path, headers, raw)
            delay = float(extra.pop(DELAY_HEADER, 0))
            if delay:
                time.sleep(delay)  # outside the fake's lock: other requests go on meanwhile
            if status == RESET:  # the connection drops: the client sees no answer at all
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            html = HTML in body
            data = str(body[HTML]).encode() if html else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if html else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler
