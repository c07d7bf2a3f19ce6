"""The pipeline's auth settings go through the SDK's own credential chain.

AzureCLI@2 steps set DATABRICKS_AUTH_TYPE=azure-cli and DATABRICKS_HOST. databricks-sdk
0.156.0 derives the resource it asks `az account get-access-token` for from the host's DNS
zone (`*.azuredatabricks.net`), so against a loopback fake azure-cli auth is not even offered:
what we can check here is that a missing or unusable Azure CLI login is one line with a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_server import FakeDatabricks

Cli = Callable[..., Result]


def test_azure_cli_auth_without_a_login_is_one_line(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "azure-cli")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` at all
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: authenticating on ") and "AzureCLI@2" in line
    assert "Traceback" not in result.output and fake.mutating_calls() == []
