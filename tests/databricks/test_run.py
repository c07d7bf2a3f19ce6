"""`mlopsgen run` against the fake workspace with the real SDK."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from unittest.mock import ANY

import pytest
from cli_runner import Result
from fakes.databricks_runs import RunScript
from fakes.databricks_server import FakeDatabricks

from mlopsgen.databricks import watch as databricks_watch

Cli = Callable[..., Result]
VSO = "##vso[task.setvariable variable=model_version;isOutput=true]"
VERSION_3 = {"candidate": json.dumps({"model_version": "3"})}


def test_train_success_publishes_the_model_version(
    fake: FakeDatabricks, cli: Cli, deployed: Path
) -> None:
    fake.script_runs(RunScript(notebook_results=VERSION_3))
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    (run_now,) = fake.calls("POST", "/api/2.2/jobs/run-now")
    (train,) = fake.job_by_name("wine-quality-train")
    assert run_now.body == {"job_id": train["job_id"], "idempotency_token": ANY}
    assert lines[0].startswith("run ") and "#job/" in lines[0]  # the URL comes first
    assert lines[-1] == f"{VSO}3"
    progress = [line for line in lines if line.startswith("run ")][1:]
    assert progress == [
        progress[0].split(":")[0] + f": {s}" for s in ("PENDING", "RUNNING", "TERMINATED SUCCESS")
    ]
    assert len(fake.calls("GET", "/api/2.2/jobs/runs/get")) == 3


def test_train_without_handed_over_version_fails(
    fake: FakeDatabricks, cli: Cli, deployed: Path
) -> None:
    fake.script_runs(RunScript(notebook_results={"candidate": "done"}))
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 1
    assert "handed over no model version" in result.output
    assert VSO not in result.output


def test_deploy_job_gets_the_model_version_parameter(
    fake: FakeDatabricks, cli: Cli, deployed: Path
) -> None:
    args = ("run", deployed, "--stage", "staging", "--job", "deploy")
    result = cli(*args, "--param", "model_version=3")
    assert result.exit_code == 0, result.output
    (run_now,) = fake.calls("POST", "/api/2.2/jobs/run-now")
    assert run_now.body["job_parameters"] == {"model_version": "3"}
    assert VSO not in result.output


@pytest.mark.parametrize("outcome", ["FAILED", "TIMEDOUT", "INTERNAL_ERROR"])
def test_failed_run_shows_the_task_error(
    fake: FakeDatabricks, cli: Cli, deployed: Path, outcome: str
) -> None:
    error = f"ValueError: r2 0.1 is below 0.35 ({outcome})"
    fake.script_runs(RunScript(result=outcome, failing_task="gate", error=error))
    args = ("run", deployed, "--stage", "staging", "--job", "deploy")
    result = cli(*args, "--param", "model_version=3")
    assert result.exit_code == 1
    assert error in result.output
    gate_line = next(line for line in result.output.splitlines() if line.startswith("task gate"))
    url_line = result.output.splitlines()[result.output.splitlines().index(gate_line) + 1]
    assert "#job/" in url_line and "/run/" in url_line
    assert "ended " in result.output and "Traceback" not in result.output
    assert len(fake.calls("GET", "/api/2.2/jobs/runs/get-output")) == 1  # not the skipped ones


def test_throttled_start_is_retried(fake: FakeDatabricks, cli: Cli, deployed: Path) -> None:
    fake.fail_next("/api/2.2/jobs/run-now", 429, retry_after=0)
    fake.script_runs(RunScript(notebook_results=VERSION_3))
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 0, result.output
    first, second = fake.calls("POST", "/api/2.2/jobs/run-now")
    assert first.body == second.body and len(first.body["idempotency_token"]) == 32
    assert len(fake.runs) == 1


def test_timeout_cancels_the_run(
    fake: FakeDatabricks, cli: Cli, deployed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(databricks_watch, "MINUTE", 0.05)
    fake.script_runs(RunScript(hold=True))
    result = cli("run", deployed, "--stage", "staging", "--job", "train", "--timeout", "1")
    assert result.exit_code == 1
    (run_id,) = fake.runs
    assert [r.body for r in fake.calls("POST", "/api/2.2/jobs/runs/cancel")] == [{"run_id": run_id}]
    assert "did not finish within 1 minutes and was cancelled" in result.output


def test_ctrl_c_cancels_the_run(
    fake: FakeDatabricks, cli: Cli, deployed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(_seconds: float) -> None:  # replaces time.sleep
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt)  # watch.py waits with time.sleep
    fake.script_runs(RunScript(hold=True))
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 1
    assert len(fake.calls("POST", "/api/2.2/jobs/runs/cancel")) == 1
    assert "interrupted" in result.output


PR_ROOT = "/Users/someone@example.com/mlopsgen/wine-quality/pr-check"


def _below(fake: FakeDatabricks, folder: str) -> list[str]:
    return [p for p in fake.workspace.objects if p == folder or p.startswith(folder + "/")]


def test_pr_check_is_a_one_time_submitted_run_in_its_own_folder(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    """Issue 10: each PR run uploads to its own folder (PR id and build id), runs under its
    own name, e-mails nobody, and removes its folder when it ends."""
    args = ("run", spec, "--stage", "staging", "--job", "pr-check")
    result = cli(*args, "--check-id", "pr-17-build-4711")
    assert result.exit_code == 0, result.output
    assert not fake.calls("POST", "/api/2.2/jobs/run-now") and not fake.jobs
    (submit,) = fake.calls("POST", "/api/2.2/jobs/runs/submit")
    (task,) = submit.body["tasks"]
    folder = f"{PR_ROOT}/pr-17-build-4711"
    assert task["notebook_task"]["notebook_path"] == f"{folder}/notebooks/train"
    assert task["notebook_task"]["base_parameters"]["mlopsgen_mode"] == "pr"
    assert "job_cluster_key" not in task and task["new_cluster"]["num_workers"] == 2
    assert submit.body["run_name"] == "wine-quality-pr-check pr-17-build-4711"
    # the train job e-mails the owners on failure; a PR's check does not
    assert not {"email_notifications", "webhook_notifications"} & set(submit.body)
    (imported,) = fake.calls("POST", "/api/2.0/workspace/import")
    assert imported.body["path"] == f"{folder}/notebooks/train"
    (delete,) = fake.calls("POST", "/api/2.0/workspace/delete")
    assert delete.body == {"path": folder, "recursive": True}
    assert not _below(fake, folder)
    assert f"deleted the PR check's folder {folder}" in result.output


def test_concurrent_pr_checks_never_touch_each_others_folder(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    """PR A's check is still running (its notebook is in its folder) when PR B's runs: B
    uploads, runs and deletes only its own folder, and A's notebook is unchanged."""
    other = f"{PR_ROOT}/pr-16-build-4710"
    fake.workspace.mkdirs(f"{other}/notebooks")
    fake.workspace.import_(
        {
            "path": f"{other}/notebooks/train",
            "content": base64.b64encode(b"# Databricks notebook source\nprint('A')").decode(),
            "format": "SOURCE",
            "language": "PYTHON",
        }
    )
    result = cli("run", spec, "--stage", "staging", "--job", "pr-check", "--check-id", "pr-17-b-1")
    assert result.exit_code == 0, result.output
    assert _below(fake, other) == [other, f"{other}/notebooks", f"{other}/notebooks/train"]
    assert fake.workspace.content(f"{other}/notebooks/train").endswith("print('A')")
    assert not _below(fake, f"{PR_ROOT}/pr-17-b-1")


@pytest.mark.parametrize("outcome", ["FAILED", "timeout"])
def test_a_failed_or_timed_out_pr_check_still_removes_its_folder(
    fake: FakeDatabricks, cli: Cli, spec: Path, outcome: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if outcome == "timeout":
        fake.script_runs(RunScript(hold=True))
        extra: tuple[str, ...] = ("--timeout", "1")
        monkeypatch.setattr(databricks_watch, "MINUTE", 0.05)
    else:
        fake.script_runs(RunScript(result="FAILED"))
        extra = ()
    args = ("run", spec, "--stage", "staging", "--job", "pr-check", "--check-id", "pr-1-b-2")
    result = cli(*args, *extra)
    assert result.exit_code == 1, result.output
    assert not _below(fake, f"{PR_ROOT}/pr-1-b-2")
    assert len(fake.calls("POST", "/api/2.0/workspace/delete")) == 1


def test_a_pr_check_run_by_hand_gets_a_folder_of_its_own(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    result = cli("run", spec, "--stage", "staging", "--job", "pr-check")
    assert result.exit_code == 0, result.output
    (imported,) = fake.calls("POST", "/api/2.0/workspace/import")
    assert re.fullmatch(rf"{PR_ROOT}/local-[0-9a-f]{{12}}/notebooks/train", imported.body["path"])
    assert not [p for p in fake.workspace.objects if p.startswith(PR_ROOT + "/")]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--job", "train", "--check-id", "pr-1"), "only the pr-check run takes one"),
        (("--job", "pr-check", "--check-id", "../deployed"), "expected 1 to 64 letters"),
        (("--job", "pr-check", "--check-id", ""), "expected 1 to 64 letters"),
    ],
)
def test_check_id_usage_errors(cli: Cli, spec: Path, extra: tuple[str, ...], message: str) -> None:
    result = cli("run", spec, "--stage", "staging", *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_job_not_deployed_says_to_deploy(cli: Cli, spec: Path) -> None:
    result = cli("run", spec, "--stage", "staging", "--job", "train")
    assert result.exit_code == 1
    assert "is not deployed" in result.output and "mlopsgen deploy" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--job", "deploy", "--param", "model_version"), "expected key=value"),
        (("--job", "deploy", "--param", "alpha=1"), "not a parameter of"),
        (("--job", "batch"), "serving.target is not batch"),
        (("--job", "nope"), "expected one of"),
        (("--job", "deploy", "--timeout", "0"), "at least 1"),
    ],
)
def test_usage_errors_exit_2(
    fake: FakeDatabricks, cli: Cli, deployed: Path, extra: tuple[str, ...], message: str
) -> None:
    result = cli("run", deployed, "--stage", "staging", *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not fake.calls("POST")


def test_train_runs_only_in_the_first_stage(cli: Cli, spec: Path) -> None:
    result = cli("run", spec, "--stage", "production", "--job", "train")
    assert result.exit_code == 2
    assert "--stage staging" in result.output
