"""Fixtures for tests that drive the real databricks-sdk against the fake server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_runner import Result, invoke
from fakes.databricks_server import FakeDatabricks

EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "wine-quality"

Cli = Callable[..., Result]


# The groups the example specs share their jobs with: the fake workspace has them (it
# refuses a grant to a principal it does not know, as the service does).
EXAMPLE_GROUPS = {
    ("group_name", "wine-data-science"),
    ("group_name", "wine-ml-oncall"),
    ("group_name", "growth-analytics"),
    ("group_name", "growth-ml-oncall"),
}


@pytest.fixture
def fake() -> Iterator[FakeDatabricks]:
    with FakeDatabricks() as server:
        server.jobs_api.principals |= EXAMPLE_GROUPS
        yield server


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """A private copy of the example spec folder (tests may edit it)."""
    folder = tmp_path / "wine-quality"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("databricks", "azure-*"))
    return folder / "model.yaml"


@pytest.fixture
def cli(fake: FakeDatabricks, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    """Run `mlopsgen ...` in-process against the fake (PAT auth through the SDK's env chain)."""
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", fake.token)
    monkeypatch.setenv("MLOPSGEN_POLL_SECONDS", "0.01")
    monkeypatch.setenv("MLOPSGEN_RETRY_TIMEOUT_SECONDS", "5")
    return invoke


@pytest.fixture
def deployed(fake: FakeDatabricks, cli: Cli, spec: Path) -> Path:
    """The example spec deployed to its staging workspace; the request log starts empty."""
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    fake.clear_requests()
    return spec
