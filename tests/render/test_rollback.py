"""Rolling back from the pipeline: the parameter deploy_mode reaches `mlopsgen run --job
deploy` through the environment, and a rollback without an explicit version stops the run in
Validate, before anything is trained or deployed. The generated scripts run here under bash."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from render.examples import example_tree, job_key, job_steps

from mlopsgen.runtime import contract


def _pipeline() -> dict[str, Any]:
    data = yaml.safe_load(example_tree("wine-quality")["azure-pipelines.yml"])
    assert isinstance(data, dict)
    return data


def _script(step: dict[str, Any]) -> str:
    return str(step.get("script") or step["inputs"]["inlineScript"])


def _bash(
    script: str, env: dict[str, str], path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ["PATH"], **env}
    if path is not None:
        environment["PATH"] = f"{path}{os.pathsep}{environment['PATH']}"
    return subprocess.run(
        ["bash", "-c", script], env=environment, capture_output=True, text=True, check=False
    )


def test_deploy_mode_is_a_pipeline_parameter_of_known_values() -> None:
    pipeline = _pipeline()
    (mode,) = (p for p in pipeline["parameters"] if p["name"] == "deploy_mode")
    assert mode["type"] == "string" and mode["default"] == contract.MODE_DEPLOY
    assert mode["values"] == list(contract.DEPLOY_MODES)  # Azure DevOps refuses anything else
    variables = {v["name"]: v["value"] for v in pipeline["variables"]}
    assert variables["MLOPSGEN_DEPLOY_MODE"] == "${{ parameters.deploy_mode }}"


@pytest.mark.parametrize(
    ("mode", "version", "refused"),
    [
        ("rollback", "new", True),
        # eq() in the stage conditions ignores case, so the script must too (issue 10)
        ("rollback", "NEW", True),
        ("rollback", "7", False),
        ("deploy", "new", False),
    ],
)
def test_validate_refuses_a_rollback_without_a_version(
    mode: str, version: str, refused: bool
) -> None:
    (validate,) = (s for s in _pipeline()["stages"] if s["stage"] == "Validate")
    first = validate["jobs"][0]["steps"][0]
    assert first["displayName"] == "Check the run's parameters"
    done = _bash(
        _script(first), {"MLOPSGEN_DEPLOY_MODE": mode, "MLOPSGEN_REQUESTED_VERSION": version}
    )
    assert done.returncode == (1 if refused else 0)
    assert ("##[error]deploy_mode rollback needs model_version" in done.stdout) is refused


def test_each_deploy_stage_passes_the_mode_to_the_deploy_job(tmp_path: Path) -> None:
    recorder = tmp_path / "mlopsgen"
    recorder.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n')
    recorder.chmod(0o755)
    stages = [s for s in _pipeline()["stages"] if s["stage"].startswith("Deploy_")]
    assert stages
    for stage in stages:
        (job,) = (j for j in stage["jobs"] if job_key(j) == "deploy")
        (run,) = (s for s in job_steps(job) if s.get("name") == "run")
        env = {k: str(v) for k, v in run["env"].items() if not str(v).startswith("$(")}
        record = tmp_path / f"{stage['stage']}.args"
        env |= {
            "MLOPSGEN_DEPLOY_MODE": "rollback",
            "MLOPSGEN_REQUESTED_VERSION": "7",
            "MLOPSGEN_TRAINED_VERSION": "",
            "RECORD": str(record),
        }
        done = _bash(_script(run), env, path=tmp_path)
        assert done.returncode == 0, done.stderr
        args = record.read_text().splitlines()
        assert args[:6] == [
            "run",
            env["MLOPSGEN_SPEC"],
            "--stage",
            env["MLOPSGEN_STAGE"],
            "--job",
            "deploy",
        ]
        assert args[6:10] == ["--param", "model_version=7", "--param", "deploy_mode=rollback"]


@pytest.mark.parametrize("requested", ["new", "New", "NEW"])
def test_new_in_any_case_deploys_the_trained_version(tmp_path: Path, requested: str) -> None:
    """The Train stage runs when eq(variables['MLOPSGEN_REQUESTED_VERSION'], 'new'), which
    ignores case (Microsoft Learn, "Expressions", eq); the deploy script must then take the
    trained version too, not pass 'New' on as a version."""
    recorder = tmp_path / "mlopsgen"
    recorder.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n')
    recorder.chmod(0o755)
    (stage, *_) = (s for s in _pipeline()["stages"] if s["stage"].startswith("Deploy_"))
    (job,) = (j for j in stage["jobs"] if job_key(j) == "deploy")
    (run,) = (s for s in job_steps(job) if s.get("name") == "run")
    env = {k: str(v) for k, v in run["env"].items() if not str(v).startswith("$(")}
    record = tmp_path / "args"
    env |= {
        "MLOPSGEN_DEPLOY_MODE": "deploy",
        "MLOPSGEN_REQUESTED_VERSION": requested,
        "MLOPSGEN_TRAINED_VERSION": "12",
        "RECORD": str(record),
    }
    done = _bash(_script(run), env, path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "model_version=12" in record.read_text().splitlines()
