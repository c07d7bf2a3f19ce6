"""The generated stage conditions, evaluated (not grepped): only the release branch trains and
deploys, a pull request never does, and a run from another branch stops in Validate with a
message (issue 12, branch rules; issue 10, conditions).

The conditions go through `fakes.azure_expressions` (Microsoft Learn, "Expressions"); the
Validate step's branch check runs in a real bash with the predefined variables Azure DevOps
sets as environment variables (BUILD_REASON, BUILD_SOURCEBRANCH; Microsoft Learn,
"Predefined variables").
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
import yaml
from fakes.azure_expressions import Context, ExpressionError, evaluate
from render.examples import EXAMPLES, example_tree

MAIN = "refs/heads/main"
OK = "Succeeded"


def _stages(name: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
    return {stage["stage"]: stage for stage in data["stages"]}


def _deploys(name: str) -> list[str]:
    return [key for key in _stages(name) if key.startswith("Deploy_")]


def _ran(
    name: str,
    *,
    branch: str = MAIN,
    reason: str = "IndividualCI",
    version: str = "new",
    train: str = OK,
    canceled: bool = False,
) -> dict[str, bool]:
    """Which stages run, in order: Validate succeeds, Train (when it runs) ends `train`, a
    deploy stage that runs succeeds, a stage that does not is Skipped."""
    variables = {
        "Build.SourceBranch": branch,
        "Build.Reason": reason,
        "MLOPSGEN_REQUESTED_VERSION": version,
    }
    results: dict[str, str] = {"Validate": OK}
    ran: dict[str, bool] = {}
    for key, stage in _stages(name).items():
        if key == "Validate":
            continue
        depends = stage.get("dependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        context = Context(
            variables=variables,
            dependencies={d: results[d] for d in depends},
            canceled=canceled,
        )
        ran[key] = evaluate(stage["condition"], context)
        results[key] = (train if key == "Train" else OK) if ran[key] else "Skipped"
    return ran


def _runs(name: str, stage: str, **given: Any) -> bool:
    return _ran(name, **given)[stage]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_release_branch_trains_and_deploys(name: str) -> None:
    assert _runs(name, "Train")
    for stage in _deploys(name):
        assert _runs(name, stage), stage
        assert _runs(name, stage, reason="Schedule"), stage
        assert _runs(name, stage, train="SucceededWithIssues"), stage


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize(
    ("branch", "reason"),
    [
        ("refs/heads/feature/x", "Manual"),
        ("refs/heads/main-old", "Manual"),
        ("refs/heads/release", "IndividualCI"),
        ("refs/pull/17/merge", "PullRequest"),
        (MAIN, "PullRequest"),  # a PR's variables never deploy, whatever the branch says
    ],
)
def test_no_other_branch_and_no_pull_request_trains_or_deploys(
    name: str, branch: str, reason: str
) -> None:
    for stage in ["Train", *_deploys(name)]:
        assert not _runs(name, stage, branch=branch, reason=reason), stage
        assert not _runs(name, stage, branch=branch, reason=reason, version="7"), stage


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_version_given_by_hand_skips_train_and_deploys_it_on_the_release_branch(
    name: str,
) -> None:
    assert not _runs(name, "Train", reason="Manual", version="7")
    first = _deploys(name)[0]
    assert _runs(name, first, reason="Manual", version="7", train="Skipped")
    # 'NEW' is 'new' to eq(): Train runs, and a skipped Train then means nothing to deploy
    assert _runs(name, "Train", reason="Manual", version="NEW")
    assert not _runs(name, first, reason="Manual", version="NEW", train="Skipped")


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_canceled_or_failed_run_deploys_nothing(name: str) -> None:
    for stage in _deploys(name):
        assert not _runs(name, stage, canceled=True), stage
        assert not _runs(name, stage, train="Failed"), stage


def test_the_evaluator_is_strict() -> None:
    """A condition the evaluator cannot read fails the tests instead of passing them."""
    context = Context()
    for bad in ("and(true)", "eq('a')", "startsWith2('a', 'b')", "eq('a', 'b'", "x.y"):
        with pytest.raises(ExpressionError):
            evaluate(bad, context)
    assert evaluate("eq('Main', 'main')", context)  # ignoring case, as documented
    assert evaluate("in('b', 'a', 'B')", context)


def _branch_check(name: str) -> tuple[str, dict[str, str]]:
    validate = _stages(name)["Validate"]["jobs"][0]
    step = validate["steps"][0]
    assert step["displayName"] == "Check the run's parameters"
    return step["script"], step["env"]


@pytest.mark.parametrize(
    ("branch", "reason", "stops"),
    [
        (MAIN, "IndividualCI", False),
        (MAIN, "Manual", False),
        ("refs/pull/17/merge", "PullRequest", False),
        ("refs/heads/feature/x", "Manual", True),
    ],
)
def test_validate_stops_a_run_from_another_branch_with_a_message(
    branch: str, reason: str, stops: bool
) -> None:
    script, env = _branch_check("wine-quality")
    variables = {
        "BUILD_SOURCEBRANCH": branch,
        "BUILD_REASON": reason,
        "MLOPSGEN_REQUESTED_VERSION": "new",
        "MLOPSGEN_DEPLOY_MODE": "deploy",
        "PATH": os.environ["PATH"],
    }
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        env={**variables, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode != 0) == stops, done.stdout + done.stderr
    if stops:
        assert done.stdout.startswith("##[error]This pipeline trains and deploys only from")
        assert "refs/heads/feature/x" in done.stdout
