"""The workspace's OAuth endpoints for workload identity federation (issue 10), served by
FakeDatabricks before its JSON API:

- GET /oidc/.well-known/oauth-authorization-server: the discovery document naming
  token_endpoint (what databricks-sdk reads after /.well-known/databricks-config's
  oidc_endpoint);
- POST /oidc/v1/token, form-encoded: an RFC 8693 token exchange. Databricks' rules (Databricks
  docs, "Authenticate with an identity provider token" / "Configure a federation policy"):
  grant_type urn:ietf:params:oauth:grant-type:token-exchange, subject_token_type
  urn:ietf:params:oauth:token-type:jwt, the subject_token the federation policy of the service
  principal client_id accepts, and a scope (all-apis). Anything else is an OAuth error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT = "urn:ietf:params:oauth:token-type:jwt"


def answer_oidc(
    url: str,
    token: str,
    federation: Mapping[str, str],
    method: str,
    path: str,
    raw_body: bytes,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    if method == "GET" and path == "/oidc/.well-known/oauth-authorization-server":
        return (
            200,
            {
                "issuer": f"{url}/oidc",
                "authorization_endpoint": f"{url}/oidc/v1/authorize",
                "token_endpoint": f"{url}/oidc/v1/token",
            },
            {},
        )
    if method == "POST" and path == "/oidc/v1/token":
        form = dict(parse_qsl(raw_body.decode("utf-8")))
        return _exchange(token, federation, form)
    return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {method} {path}"}, {}


def _exchange(
    token: str, federation: Mapping[str, str], form: Mapping[str, str]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    def error(status: int, code: str, why: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        return status, {"error": code, "error_description": why}, {}

    if form.get("grant_type") != TOKEN_EXCHANGE:
        return error(400, "unsupported_grant_type", "grant_type must be token-exchange")
    if form.get("subject_token_type") != JWT or not form.get("subject_token"):
        return error(400, "invalid_request", "a JWT subject_token is required")
    if "all-apis" not in form.get("scope", "").split():
        return error(400, "invalid_scope", "scope all-apis is required")
    client_id = form.get("client_id", "")
    if client_id not in federation:
        return error(401, "invalid_client", "no service principal with a federation policy")
    if federation[client_id] != form["subject_token"]:
        return error(401, "invalid_grant", "the token matches no federation policy")
    return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}, {}
