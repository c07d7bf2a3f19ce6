"""pipeline.release_branch (E370): a branch name git accepts (git-check-ref-format), written
into the triggers and into the stage conditions' expression literals, so nothing that needs
quoting there and no Azure Pipelines macro syntax."""

from __future__ import annotations

import subprocess

import pytest

from mlopsgen.spec.pipeline_rules import release_branch


def _git_accepts(branch: str) -> bool:
    """git's own rule, the reference (the CI machine clones with git)."""
    done = subprocess.run(
        ["git", "check-ref-format", "--branch", branch], capture_output=True, check=False
    )
    return done.returncode == 0


def _problems(branch: str) -> list[str]:
    return [f.message for f in release_branch({"pipeline": {"release_branch": branch}})]


@pytest.mark.parametrize("branch", ["main", "master", "release/v1.2", "team+ml/main", "a-b_c"])
def test_branch_names_git_accepts(branch: str) -> None:
    assert _git_accepts(branch)
    assert _problems(branch) == []


@pytest.mark.parametrize(
    ("branch", "says"),
    [
        ("refs/heads/main", "give the branch name itself, e.g. 'main'"),
        ("main$(x)", "macro syntax"),
        ("it's", "must be a branch name"),
        ("with space", "must be a branch name"),
        ("a..b", "git check-ref-format"),
        ("a//b", "git check-ref-format"),
        ("/main", "git check-ref-format"),
        ("main/", "git check-ref-format"),
        ("main.", "git check-ref-format"),
        (".hidden", "git check-ref-format"),
        ("x.lock", "git check-ref-format"),
    ],
)
def test_names_git_or_the_pipeline_would_refuse(branch: str, says: str) -> None:
    (message,) = _problems(branch)
    assert says in message
    if says == "git check-ref-format":
        assert not _git_accepts(branch)
