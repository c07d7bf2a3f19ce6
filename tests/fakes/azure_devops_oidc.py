"""A strict double of Azure DevOps' job OIDC token endpoint, on 127.0.0.1 (issue 10).

    POST {System.TeamFoundationCollectionUri}{System.TeamProjectId}/_apis/distributedtask/
         hubs/{System.HostType}/plans/{System.PlanId}/jobs/{System.JobId}/oidctoken
         ?api-version=7.2-preview.1
    Authorization: Bearer $(System.AccessToken)        ->  {"oidcToken": "<JWT>"}

(Azure DevOps REST API, Distributed Task "Oidctoken - Create"; the path databricks-sdk 0.156.0
`oidc_token_supplier.AzureDevOpsOIDCTokenSupplier` builds.) Anything else, a wrong job, a
missing or wrong System.AccessToken, is refused as the service would (404 / 401).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ACCESS_TOKEN = "fake-system-access-token"  # what $(System.AccessToken) would hold
OIDC_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwMjpmYWtlIn0.fake-azure-devops-oidc"


@dataclass
class FakeAzureDevOps:
    project_id: str = "11111111-0000-0000-0000-000000000001"
    plan_id: str = "22222222-0000-0000-0000-000000000002"
    job_id: str = "33333333-0000-0000-0000-000000000003"
    hub: str = "build"
    requests: list[tuple[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeAzureDevOps:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def collection_uri(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/org/"

    def agent_env(self) -> dict[str, str]:
        """The predefined variables the agent exports to every step (not secrets); the
        step itself maps SYSTEM_ACCESSTOKEN."""
        return {
            "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": self.collection_uri,
            "SYSTEM_TEAMPROJECTID": self.project_id,
            "SYSTEM_PLANID": self.plan_id,
            "SYSTEM_JOBID": self.job_id,
            "SYSTEM_HOSTTYPE": self.hub,
        }

    def answer(self, method: str, raw_path: str, headers: dict[str, str]) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        self.requests.append((method, parts.path))
        expected = (
            f"/org/{self.project_id}/_apis/distributedtask/hubs/{self.hub}"
            f"/plans/{self.plan_id}/jobs/{self.job_id}/oidctoken"
        )
        if method != "POST" or parts.path != expected:
            return 404, {"message": "not found"}
        if dict(parse_qsl(parts.query)).get("api-version") != "7.2-preview.1":
            return 400, {"message": "api-version 7.2-preview.1 is required"}
        if headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, {"message": "TF400813: the user is not authorized"}
        return 200, {"oidcToken": OIDC_TOKEN}


def _handler_for(fake: FakeAzureDevOps) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = fake.answer(self.command, self.path, headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
