"""Issue 14: the pre-commit hooks this repository offers, run by pre-commit itself against a
scratch model repository.

The hooks file is pre-commit's own format (`.pre-commit-hooks.yaml`); the test runs them as a
private Azure Repos team would without a public URL: `repo: local` hooks with the same
`entry` and `files` and `language: system`, so the mlopsgen under test is the one on PATH and
nothing is downloaded. pre-commit decides which files each hook sees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent))  # test extra


def _hooks() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return hooks


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _scratch(tmp_path: Path) -> Path:
    repo = tmp_path / "models"
    shutil.copytree(REPO / "specs" / "minimal", repo / "minimal")
    local = [{**hook, "language": "system"} for hook in _hooks()]
    config = {"repos": [{"repo": "local", "hooks": local}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ci@example.com")
    _git(repo, "config", "user.name", "ci")
    return repo


def _run(repo: Path) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    return subprocess.run(
        [PRE_COMMIT, "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True
    )


def test_the_hooks_are_validate_and_check_on_model_yaml() -> None:
    assert [h["id"] for h in _hooks()] == ["mlopsgen-validate", "mlopsgen-check"]
    for hook in _hooks():
        assert hook["entry"].startswith("mlopsgen ") and hook["language"] == "python"


def test_the_hooks_pass_a_rendered_repo_and_stop_a_stale_one(tmp_path: Path) -> None:
    repo = _scratch(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "mlopsgen", "render", "minimal/model.yaml"], cwd=repo, check=True
    )
    _git(repo, "add", "-A")
    passed = _run(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "mlopsgen validate" in passed.stdout and "mlopsgen check" in passed.stdout
    spec = repo / "minimal" / "model.yaml"
    spec.write_text(spec.read_text().replace("main.default.minimal", "main.default.other"))
    _git(repo, "add", "-A")
    stale = _run(repo)
    assert stale.returncode == 1
    assert "out of date; run: mlopsgen render minimal/model.yaml" in stale.stdout
    spec.write_text(spec.read_text().replace("name: minimal", "name: Minimal"))
    _git(repo, "add", "-A")
    invalid = _run(repo)
    assert invalid.returncode == 1 and "minimal/model.yaml:5:7: error[E205]" in invalid.stdout
