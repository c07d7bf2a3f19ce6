"""Issue 10: each stage's Databricks steps authenticate by the stage's mode, with credentials
that last as long as the step waits: OIDC token federation, AzureCLI@2 keeping its session
active, or a PAT from the variable group under a configurable name."""

from __future__ import annotations

from typing import Any

import yaml
from render.examples import example_tree, job_key, job_steps

_DATABRICKS_STEPS = {"deploy", "train", "run", "pr_check"}
# Steps that wait on a Databricks run for up to the job's timeout.
_WAITING_STEPS = {"train", "run", "pr_check"}


def _steps(name: str, stage: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
    (found,) = (s for s in data["stages"] if s["stage"] == stage)
    return [
        step
        for job in found["jobs"]
        for step in job_steps(job)
        if step.get("name") in _DATABRICKS_STEPS
    ]


def test_oidc_steps_map_the_system_token_through_env_only() -> None:
    text = example_tree("churn-batch")["azure-pipelines.yml"]
    for stage, client_id in (
        ("Deploy_dev", "11111111-2222-3333-4444-555555555555"),
        ("Deploy_prod", "$(DATABRICKS_CLIENT_ID)"),
    ):
        steps = _steps("churn-batch", stage)
        assert {s["name"] for s in steps} == {"deploy", "run"}
        for step in steps:
            assert "task" not in step  # a plain script: no service connection needed
            env = step["env"]
            # databricks-sdk 0.156.0 credentials_provider.azure_devops_oidc needs host and
            # client_id; oidc_token_supplier reads SYSTEM_ACCESSTOKEN (the rest of its
            # SYSTEM_* variables the agent exports to every step).
            assert env["DATABRICKS_AUTH_TYPE"] == "azure-devops-oidc"
            assert env["DATABRICKS_CLIENT_ID"] == client_id
            assert env["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
            assert "AccessToken" not in step["script"]
    assert text.count("$(System.AccessToken)") == text.count("SYSTEM_ACCESSTOKEN:")


def test_oidc_client_id_from_the_variable_group_links_the_group() -> None:
    data = yaml.safe_load(example_tree("churn-batch")["azure-pipelines.yml"])
    (prod,) = (s for s in data["stages"] if s["stage"] == "Deploy_prod")
    (deploy,) = (j for j in prod["jobs"] if job_key(j) == "deploy")
    assert {"group": "databricks-growth-prod"} in deploy["variables"]


def test_azure_cli_steps_that_wait_keep_the_session_active() -> None:
    steps = [
        s
        for stage in ("Validate", "Train", "Deploy_staging", "Deploy_production")
        for s in _steps("wine-quality", stage)
    ]
    assert {s["name"] for s in steps} == _DATABRICKS_STEPS
    for step in steps:
        assert step["task"] == "AzureCLI@2"
        # AzureCLI@2 input keepAzSessionActive (Microsoft's pipeline schema, the oracles'
        # azure-pipelines-service-schema.json): the federated login otherwise lapses in a
        # step that waits longer than an hour on a Databricks run.
        waits = step["name"] in _WAITING_STEPS
        assert step["inputs"].get("keepAzSessionActive") is (True if waits else None)
