"""Issue 10: the PR's code never runs on the agent in a job that holds credentials, and each
PR check works in a folder and under a run name of its own.

`pytest` runs the PR's tests and its `conftest.py`: whatever the job holding it can reach,
the PR can. Service connections (AzureCLI@2's azureSubscription), variable groups, tokens
and System.AccessToken are only visible to the job that declares them (Microsoft Learn,
"Define variables": secrets are mapped per step; "Service connections": per task input), so
the job that runs pytest must declare none of them.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from render.examples import EXAMPLES, example_spec, example_tree, job_key, job_steps

from mlopsgen import layout
from mlopsgen.render.pipeline import PR_CHECK_ID

CREDENTIAL_ENV = {"DATABRICKS_TOKEN", "SYSTEM_ACCESSTOKEN", "DATABRICKS_CLIENT_ID"}


def _jobs(name: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
    return {
        f"{stage['stage']}.{job_key(job)}": job for stage in data["stages"] for job in stage["jobs"]
    }


def _holds_credentials(job: dict[str, Any]) -> list[str]:
    found = [f"variables: {v}" for v in job.get("variables", []) if "group" in v]
    for step in job_steps(job):
        if "azureSubscription" in step.get("inputs", {}):
            found.append(f"{step.get('displayName')}: service connection")
        secrets = sorted(CREDENTIAL_ENV & set(step.get("env", {})))
        found += [f"{step.get('displayName')}: {k}" for k in secrets]
    return found


def _runs_pr_code(job: dict[str, Any]) -> bool:
    return any("pytest" in str(step.get("script", "")) for step in job_steps(job))


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_job_runs_the_prs_tests_and_holds_credentials(name: str) -> None:
    jobs = _jobs(name)
    testing = [key for key, job in jobs.items() if _runs_pr_code(job)]
    assert testing == ["Validate.validate"]
    for key in testing:
        assert _holds_credentials(jobs[key]) == [], key


@pytest.mark.parametrize("name", [n for n in EXAMPLES if example_spec(n).training.pr_check])
def test_the_pr_check_runs_in_its_own_credentialed_job_after_the_tests(name: str) -> None:
    job = _jobs(name)["Validate.pr_check"]
    assert job["dependsOn"] == "validate"
    assert job["condition"] == "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))"
    assert _holds_credentials(job)  # the credentials live here instead
    (step,) = [s for s in job_steps(job) if s.get("name") == "pr_check"]
    script = step.get("script") or step["inputs"]["inlineScript"]
    assert '--check-id "$MLOPSGEN_CHECK_ID"' in script
    assert step["env"]["MLOPSGEN_CHECK_ID"] == PR_CHECK_ID


def test_the_check_id_expands_to_an_id_run_accepts() -> None:
    """What Azure DevOps makes of the macros (a PR id and a build id, both integers) is a
    folder name `mlopsgen run --check-id` accepts."""
    expanded = PR_CHECK_ID.replace("$(System.PullRequest.PullRequestId)", "2147483647")
    expanded = expanded.replace("$(Build.BuildId)", "987654321")
    assert layout.PR_CHECK_ID.fullmatch(expanded)
    assert "$(" not in expanded
