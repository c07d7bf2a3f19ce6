"""`mlopsgen run`: start a deployed job (or the PR check), follow it, exit 0 only on SUCCESS.

After a successful train run, the candidate task's notebook output (`{"model_version": "N"}`,
from `dbutils.notebook.exit`) is published as the Azure DevOps output variable
`model_version` of the step.
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mlopsgen.databricks.client import api_errors, connect
from mlopsgen.databricks.desired import desired_job
from mlopsgen.databricks.remote import find_job
from mlopsgen.databricks.target import JOB_KINDS, Target, load_target
from mlopsgen.databricks.watch import KNOCK_ON_RESULTS, describe_state, watch_run
from mlopsgen.errors import ExitCode, MlopsgenError, UsageError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CANDIDATE_TASK = "candidate"
OUTPUT_VARIABLE = "model_version"


def run_job(
    spec: Path,
    stage: str,
    job: str,
    *,
    params: list[str],
    timeout: int | None,
    host: str | None,
) -> ExitCode:
    parameters = parse_params(params)
    _check_options(job, parameters, timeout)
    target = load_target(spec, stage)
    artifact = _artifact(target, job)
    url = (host or target.stage.workspace).rstrip("/")
    client = connect(url)
    if job == "pr-check":
        run_id = _submit_pr_check(client, url, target)
    else:
        run_id = _run_now(client, url, target, artifact, parameters)
    run = watch_run(client, url, run_id, timeout_minutes=timeout, echo=typer.echo)
    result = run.state.result_state.value if run.state and run.state.result_state else None
    if result != "SUCCESS":
        _report_failure(client, url, run)
        message = run.state.state_message if run.state and run.state.state_message else ""
        ended = describe_state(run.state) + (f": {message}" if message else "")
        raise MlopsgenError(f"run {run_id} ended {ended} ({run.run_page_url})")
    if job == "train":
        version = handed_over_version(client, url, run)
        typer.echo(f"##vso[task.setvariable variable={OUTPUT_VARIABLE};isOutput=true]{version}")
    return ExitCode.OK


def parse_params(params: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key):
            raise UsageError(f"--param {item!r}: expected key=value (e.g. model_version=3)")
        if key in parsed:
            raise UsageError(f"--param {key}: given twice")
        parsed[key] = value
    return parsed


def _check_options(job: str, parameters: dict[str, str], timeout: int | None) -> None:
    if job not in JOB_KINDS:
        raise UsageError(f"--job {job}: expected one of {', '.join(JOB_KINDS)}")
    if timeout is not None and timeout < 1:
        raise UsageError(f"--timeout {timeout}: expected a whole number of minutes, at least 1")
    if job == "pr-check" and parameters:
        raise UsageError("--param: the pr-check run takes its parameters from the spec")


def _artifact(target: Target, job: str) -> str:
    artifact = target.job_artifact(job)
    first = target.spec.stages[0].name
    if job in ("train", "pr-check") and not target.is_first_stage:
        raise UsageError(f"--job {job}: runs in the first stage's workspace (--stage {first})")
    if artifact not in target.artifacts:
        why = {"batch": "serving.target is not batch", "pr-check": "training.pr_check is not set"}
        raise UsageError(f"--job {job}: the spec has no such job ({why.get(job, 'not rendered')})")
    return artifact


def _run_now(
    client: WorkspaceClient, host: str, target: Target, artifact: str, params: dict[str, str]
) -> int:
    job = desired_job(target, artifact)
    defined = sorted(p["name"] for p in job.settings.get("parameters", []))
    unknown = sorted(set(params) - set(defined))
    if unknown:
        known = ", ".join(defined) or "none"
        raise UsageError(
            f"--param {unknown[0]}: not a parameter of {job.name} (parameters: {known})"
        )
    found = find_job(client, host, job.name, job.identity)
    if found is None:
        raise MlopsgenError(
            f"job {job.name} ({job.identity}) is not deployed on {host}: run "
            f"`mlopsgen deploy {target.spec.origin.spec_path} --stage {target.stage.name}` first"
        )
    with api_errors(host, f"starting job {job.name} ({found.job_id})"):
        waiter = client.jobs.run_now(
            found.job_id, job_parameters=params or None, idempotency_token=_idempotency_token()
        )
    run_id: int = waiter.run_id
    return run_id


def _submit_pr_check(client: WorkspaceClient, host: str, target: Target) -> int:
    from databricks.sdk.service.workspace import ImportFormat, Language

    from mlopsgen.databricks.submit import pr_notebook_path, submission, submit_arguments

    path = pr_notebook_path(target)
    content = target.read_spec_file(target.spec.training.notebook)
    with api_errors(host, f"uploading the training notebook to {path}"):
        client.workspace.mkdirs(posixpath.dirname(path))
        encoded = base64.b64encode(content).decode("ascii")
        client.workspace.import_(
            path,
            content=encoded,
            format=ImportFormat.SOURCE,
            language=Language.PYTHON,
            overwrite=True,
        )
    arguments = submit_arguments(submission(target))
    with api_errors(host, "submitting the pr-check run"):
        waiter = client.jobs.submit(**arguments, idempotency_token=_idempotency_token())
    run_id: int = waiter.run_id
    return run_id


def _idempotency_token() -> str:
    """One per start: if the SDK retries the request (429/503, a dropped connection), the
    service returns the run it already started instead of starting a second one."""
    return uuid.uuid4().hex


def _report_failure(client: WorkspaceClient, host: str, run: Any) -> None:
    """Print each failed task's error and run page (on stderr, where errors go)."""
    for task in run.tasks or []:
        result = task.state.result_state.value if task.state and task.state.result_state else None
        if result in (None, "SUCCESS") or result in KNOCK_ON_RESULTS:
            continue
        error = _task_error(client, host, task.run_id)
        sys.stderr.write(f"task {task.task_key} {result}: {error}\n  {task.run_page_url}\n")


def _task_error(client: WorkspaceClient, host: str, task_run_id: int) -> str:
    try:
        with api_errors(host, f"reading the output of task run {task_run_id}"):
            output = client.jobs.get_run_output(task_run_id)
    except MlopsgenError as exc:
        return f"(no error output: {exc})"
    return (output.error or "").strip() or "(the task reported no error message)"


def handed_over_version(client: WorkspaceClient, host: str, run: Any) -> str:
    """The model version the candidate task passed to dbutils.notebook.exit."""
    task = next((t for t in run.tasks or [] if t.task_key == CANDIDATE_TASK), None)
    if task is None:
        raise MlopsgenError(f"run {run.run_id} has no {CANDIDATE_TASK} task to read the version")
    with api_errors(host, f"reading the output of the {CANDIDATE_TASK} task"):
        output = client.jobs.get_run_output(task.run_id)
    result = output.notebook_output.result if output.notebook_output else None
    version = _version_from(result)
    if version is None:
        raise MlopsgenError(
            f"the train run succeeded but its {CANDIDATE_TASK} task handed over no model version "
            f'(notebook output {result!r}, expected {{"model_version": "N"}}): {task.run_page_url}'
        )
    return version


def _version_from(result: str | None) -> str | None:
    try:
        data = json.loads(result or "")
    except json.JSONDecodeError:
        return None
    version = data.get("model_version") if isinstance(data, dict) else None
    # Only digits: the value lands in a ##vso logging command, where anything else could inject.
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    return version if isinstance(version, str) and re.fullmatch("[0-9]+", version) else None
