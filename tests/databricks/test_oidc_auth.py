"""Issue 10, end to end: the env a generated OIDC step sets is enough for `mlopsgen deploy`.

databricks-sdk 0.156.0's azure-devops-oidc credentials provider asks the Azure DevOps double
for the job's OIDC token (with System.AccessToken), exchanges it at the fake workspace's
/oidc/v1/token (found through /.well-known/databricks-config and the OAuth discovery document)
and calls the API with the token it gets; both doubles are strict about every field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_runner import Result
from fakes.azure_devops_oidc import ACCESS_TOKEN, OIDC_TOKEN, FakeAzureDevOps
from fakes.databricks_server import FakeDatabricks
from render.examples import example_tree

Cli = Callable[..., Result]
CLIENT_ID = "11111111-2222-3333-4444-555555555555"  # churn-batch's dev stage


@pytest.fixture
def devops() -> Iterator[FakeAzureDevOps]:
    with FakeAzureDevOps() as server:
        yield server


def _generated_step_env() -> dict[str, str]:
    """The auth part of the env: of churn-batch's deploy step in Deploy_dev, as the agent
    would expand it ($(System.AccessToken) -> the job's token)."""
    data = yaml.safe_load(example_tree("churn-batch")["azure-pipelines.yml"])
    (stage,) = (s for s in data["stages"] if s["stage"] == "Deploy_dev")
    (job,) = (j for j in stage["jobs"] if j["job"] == "deploy")
    (step,) = (s for s in job["steps"] if s.get("name") == "deploy")
    env: dict[str, Any] = step["env"]
    assert env["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    expanded = {k: str(v) for k, v in env.items() if k.startswith(("DATABRICKS_", "SYSTEM_"))}
    expanded["SYSTEM_ACCESSTOKEN"] = ACCESS_TOKEN
    del expanded["DATABRICKS_HOST"]  # the loopback fake stands in for the workspace
    return expanded


def _use_step_env(
    monkeypatch: pytest.MonkeyPatch, fake: FakeDatabricks, devops: FakeAzureDevOps
) -> None:
    monkeypatch.delenv("DATABRICKS_TOKEN")  # no PAT: only what the step maps
    for name, value in {**_generated_step_env(), **devops.agent_env()}.items():
        monkeypatch.setenv(name, value)
    fake.federation[CLIENT_ID] = OIDC_TOKEN


def test_deploy_authenticates_with_the_pipelines_oidc_token(
    fake: FakeDatabricks,
    devops: FakeAzureDevOps,
    cli: Cli,
    spec: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use_step_env(monkeypatch, fake, devops)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert sorted(j["settings"]["name"] for j in fake.jobs.values()) == [
        "wine-quality-deploy-staging",
        "wine-quality-train",
    ]
    assert devops.requests and {m for m, _ in devops.requests} == {"POST"}
    assert fake.calls("POST", "/oidc/v1/token")


def test_a_pipeline_the_federation_policy_does_not_trust_is_refused(
    fake: FakeDatabricks,
    devops: FakeAzureDevOps,
    cli: Cli,
    spec: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use_step_env(monkeypatch, fake, devops)
    fake.federation[CLIENT_ID] = "a token of another pipeline"
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert "invalid_grant" in line and "azure-devops-oidc" in line
    # the refused exchange is the only POST: nothing was created or uploaded
    assert [c.path for c in fake.mutating_calls()] == ["/oidc/v1/token"]


def test_without_system_access_token_nothing_is_deployed(
    fake: FakeDatabricks,
    devops: FakeAzureDevOps,
    cli: Cli,
    spec: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use_step_env(monkeypatch, fake, devops)
    monkeypatch.delenv("SYSTEM_ACCESSTOKEN")  # the step forgot to map it
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert devops.requests == []
    assert fake.mutating_calls() == []
