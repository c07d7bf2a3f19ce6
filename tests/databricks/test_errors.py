"""Workspace failures become one line that says what to check: never a traceback, no token."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_server import FakeDatabricks

Cli = Callable[..., Result]


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    return errors[0]


def test_401_names_what_to_check(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "not-the-token")
    line = _one_line_error(cli("deploy", spec, "--stage", "staging"))
    assert "not authenticated (401" in line and "DATABRICKS_TOKEN" in line
    assert "not-the-token" not in line and fake.mutating_calls() == []


def test_403_names_the_permission(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    fake.fail_next("/api/2.2/jobs/list", 403, message="User is not allowed to list jobs")
    line = _one_line_error(cli("deploy", spec, "--stage", "staging"))
    assert "permission denied (403: User is not allowed to list jobs)" in line


def test_404_points_at_the_folder(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    fake.fail_next("/api/2.0/workspace/mkdirs", 404, message="Folder /Shared is missing")
    line = _one_line_error(cli("deploy", spec, "--stage", "staging"))
    assert "creating folder /Users/someone@example.com/mlopsgen/wine-quality/notebooks" in line
    assert "not found (404" in line and "workspace_folder" in line


def test_503_until_the_retry_budget_is_spent(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPSGEN_RETRY_TIMEOUT_SECONDS", "1")
    fake.fail_next("/api/2.2/jobs/list", 503, times=50, retry_after=0)
    line = _one_line_error(cli("deploy", spec, "--stage", "staging"))
    assert "gave up retrying" in line and "unavailable (503" in line
    assert len(fake.calls("GET", "/api/2.2/jobs/list")) > 1


def test_unreachable_host(cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLOPSGEN_RETRY_TIMEOUT_SECONDS", "1")
    result = cli("deploy", spec, "--stage", "staging", "--host", f"http://127.0.0.1:{port}")
    line = _one_line_error(result)
    assert "cannot reach the workspace" in line


def test_no_credentials(cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABRICKS_TOKEN")
    line = _one_line_error(cli("deploy", spec, "--stage", "staging"))
    assert "cannot configure default credentials" in line and "AzureCLI@2" in line
