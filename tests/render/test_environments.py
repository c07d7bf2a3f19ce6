"""Issue 12: a stage can deploy through an Azure DevOps environment, whose approvals, branch
control and exclusive lock a pull request cannot remove ("Approvals and other checks aren't
defined in the yaml file", Microsoft Learn, "Define approvals and checks").

A deployment job (`deployment:` + `environment:` + `strategy: runOnce: deploy: steps:`;
Microsoft Learn, "Deployment jobs") runs the very steps the plain job would; the environment
wins over an inline approval (W003); `mlopsgen environments` lists the checks to set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from cli_runner import invoke
from render.examples import SPECS, job_key, job_steps

from mlopsgen.model import Origin
from mlopsgen.render import render_spec
from mlopsgen.spec.compile import CompileResult, compile_text, folder_reader

CHURN = SPECS / "churn-batch" / "model.yaml"


def _compile(text: str) -> CompileResult:
    return compile_text(
        text,
        CHURN,
        origin=Origin("specs/churn-batch/model.yaml", "specs/churn-batch"),
        read_file=folder_reader(CHURN.parent),
    )


def _deploy_job(text: str, stage: str = "Deploy_prod") -> dict[str, Any]:
    result = _compile(text)
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    data = yaml.safe_load(render_spec(result.spec).pipeline.text)
    (found,) = (s for s in data["stages"] if s["stage"] == stage)
    (job,) = (j for j in found["jobs"] if job_key(j) == "deploy")
    deploy: dict[str, Any] = job
    return deploy


def test_the_environment_stage_deploys_in_a_deployment_job_with_the_same_steps() -> None:
    text = CHURN.read_text()
    with_environment = _deploy_job(text)
    assert "job" not in with_environment
    assert with_environment["deployment"] == "deploy"
    assert with_environment["environment"] == {"name": "churn-batch-prod"}
    assert set(with_environment["strategy"]) == {"runOnce"}
    plain = _deploy_job(text.replace("    environment: churn-batch-prod\n", ""))
    assert plain["job"] == "deploy" and "environment" not in plain
    # the same steps, pool, timeout and variables: only where the steps sit differs
    assert job_steps(with_environment) == job_steps(plain)
    assert job_steps(with_environment)[0] == {"checkout": "self"}  # not automatic there
    for key in ("pool", "timeoutInMinutes", "variables"):
        assert with_environment[key] == plain[key]


def test_the_environment_wins_over_an_inline_approval_with_a_warning() -> None:
    text = CHURN.read_text().replace(
        "    environment: churn-batch-prod\n",
        "    environment: churn-batch-prod\n    approval: {approvers: [lead@growth.example]}\n",
    )
    result = _compile(text)
    (warning,) = [d for d in result.diagnostics if d.code == "W003"]
    assert warning.severity == "warning" and warning.path == "stages[prod].approval"
    assert "churn-batch-prod" in warning.message
    data = yaml.safe_load(render_spec(result.spec).pipeline.text)  # type: ignore[arg-type]
    (prod,) = (s for s in data["stages"] if s["stage"] == "Deploy_prod")
    assert [job_key(j) for j in prod["jobs"]] == ["deploy"]  # no ManualValidation job
    assert "ManualValidation" not in json.dumps(prod)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("prod.web", "'.' would name a resource"),
        ("prod$(x)", "macro syntax"),
        (" prod", "must be an Azure DevOps environment name"),
        ("x" * 101, "must be an Azure DevOps environment name"),
    ],
)
def test_environment_names_azure_devops_would_misread_are_errors(name: str, says: str) -> None:
    text = CHURN.read_text().replace("churn-batch-prod\n", json.dumps(name) + "\n")
    result = _compile(text)
    assert result.spec is None
    (error,) = [d for d in result.diagnostics if d.code == "E374"]
    assert says in error.message and error.path == "stages[prod].environment"


def test_environments_lists_the_checks_to_set() -> None:
    result = invoke("environments", str(CHURN))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "stage prod: environment 'churn-batch-prod'" in out
    assert "a run creates a missing one with no checks" in out
    assert "Branch control: allowed branches: refs/heads/main" in out
    assert "'Allow approvers to approve their own runs': off" in out
    assert "Exclusive lock" in out
    as_json = invoke("environments", str(CHURN), "--format", "json")
    (entry,) = json.loads(as_json.stdout)  # diagnostics (W001) go to stderr
    prod = next(s for s in entry["stages"] if s["stage"] == "prod")
    assert prod["environment"] == "churn-batch-prod"
    assert [c["kind"] for c in prod["checks"]] == ["Approvals", "Branch control", "Exclusive lock"]
    assert prod["resources"] == ["variable group 'databricks-growth-prod'"]


def test_an_inline_approval_is_named_as_removable() -> None:
    wine = SPECS / "wine-quality" / "model.yaml"
    result = invoke("environments", str(wine))
    assert result.exit_code == 0
    assert "inline ManualValidation@1 approval is part of the YAML" in result.output
