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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlopsgen import layout
from mlopsgen.databricks.client import api_errors
from mlopsgen.databricks.remote import find_job
from mlopsgen.databricks.target import Target
from mlopsgen.databricks.watch import KNOCK_ON_RESULTS, describe_state
from mlopsgen.errors import MlopsgenError, UsageError
from mlopsgen.layout import JOB_KINDS, JobKind
from mlopsgen.render.artifacts import JobFile
from mlopsgen.runtime.contract import CANDIDATE

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass(frozen=True)
class FailedTask:
    task_key: str
    result: str
    error: str
    run_page_url: str


def start(
    client: WorkspaceClient,
    host: str,
    target: Target,
    job: JobFile,
    params: dict[str, str],
    check_id: str | None = None,
) -> int:
    """Start the job (the PR check, under its id, as a one-time run) and return the run ID."""
    if job.kind == "pr-check":
        assert check_id is not None, "check_options gives every pr-check run an id"
        return _submit_pr_check(client, host, target, check_id)
    return _run_now(client, host, target, job, params)


def remove_pr_check(client: WorkspaceClient, host: str, target: Target, check_id: str) -> str:
    """Delete the PR check's folder once the run has ended (or was cancelled); a line to print.

    A folder that cannot be deleted is a warning, not a failure: the check's result stands."""
    from databricks.sdk.errors import NotFound

    from mlopsgen.databricks.submit import pr_check_folder

    folder = pr_check_folder(target, check_id)
    try:
        with api_errors(host, f"deleting {folder}"):
            try:
                client.workspace.delete(folder, recursive=True)
            except NotFound:  # the upload never happened: nothing to clean up
                return f"the PR check left nothing in {folder}"
    except MlopsgenError as exc:
        return f"warning: the PR check's folder was not deleted: {exc}"
    return f"deleted the PR check's folder {folder}"


def succeeded(run: Any) -> bool:
    result = run.state.result_state.value if run.state and run.state.result_state else None
    return result == "SUCCESS"


def ended_message(run: Any) -> str:
    message = run.state.state_message if run.state and run.state.state_message else ""
    ended = describe_state(run.state) + (f": {message}" if message else "")
    return f"run {run.run_id} ended {ended} ({run.run_page_url})"


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


def check_options(
    job: str, parameters: dict[str, str], timeout: int | None, check_id: str | None = None
) -> JobKind:
    """The job kind, once the options are known to fit together."""
    if job not in JOB_KINDS:
        raise UsageError(f"--job {job}: expected one of {', '.join(JOB_KINDS)}")
    if timeout is not None and timeout < 1:
        raise UsageError(f"--timeout {timeout}: expected a whole number of minutes, at least 1")
    if job == "pr-check" and parameters:
        raise UsageError("--param: the pr-check run takes its parameters from the spec")
    if check_id is not None:
        if job != "pr-check":
            raise UsageError("--check-id: only the pr-check run takes one")
        if not layout.PR_CHECK_ID.fullmatch(check_id):
            raise UsageError(
                f"--check-id {check_id!r}: expected 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit (e.g. pr-17-build-4711)"
            )
    return next(kind for kind in JOB_KINDS if kind == job)


def local_check_id() -> str:
    """A PR check run by hand, without --check-id, still gets a folder of its own."""
    return f"local-{uuid.uuid4().hex[:12]}"


def job_to_run(target: Target, kind: JobKind) -> JobFile:
    """The generated job `--job` names, in the target's stage."""
    first = target.spec.stages[0].name
    if kind in layout.SPEC_JOB_KINDS and not target.is_first_stage:
        raise UsageError(f"--job {kind}: runs in the first stage's workspace (--stage {first})")
    job = target.job(kind)
    if job is None:
        why = {"batch": "serving.target is not batch", "pr-check": "training.pr_check is not set"}
        raise UsageError(
            f"--job {kind}: the spec has no such job ({why.get(kind, 'not rendered')})"
        )
    return job


def _run_now(
    client: WorkspaceClient, host: str, target: Target, job: JobFile, params: dict[str, str]
) -> int:
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
    token = _idempotency_token()

    def start() -> Any:
        return client.jobs.run_now(
            found.job_id, job_parameters=params or None, idempotency_token=token
        )

    return started_run_id(host, f"starting job {job.name} ({found.job_id})", start)


def _submit_pr_check(client: WorkspaceClient, host: str, target: Target, check_id: str) -> int:
    from databricks.sdk.service.workspace import ImportFormat, Language

    from mlopsgen.databricks.submit import pr_notebook_path, submission, submit_arguments

    path = pr_notebook_path(target, check_id)
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
    arguments = submit_arguments(submission(target, check_id))
    token = _idempotency_token()

    def start() -> Any:
        return client.jobs.submit(**arguments, idempotency_token=token)

    return started_run_id(host, "submitting the pr-check run", start)


# How often a start is sent again (with the same idempotency token) when the answer lacks
# a run ID: the service then answers with the run it already started, never a second one.
START_ATTEMPTS = 3


def started_run_id(host: str, doing: str, start: Callable[[], Any]) -> int:
    """The run ID of a started run, however the answer was garbled or lost.

    Jobs API: with an idempotency token, a repeated run-now/submit returns the ID of the
    run the first request started (docs.databricks.com, "jobs/run-now: idempotency_token"),
    so sending it again after a failure or a garbled answer never starts a second run.
    """
    failure: MlopsgenError | None = None
    for _ in range(START_ATTEMPTS):
        try:
            with api_errors(host, doing):
                try:
                    run_id = start().run_id
                except (ValueError, TypeError, KeyError, AttributeError):
                    run_id = None  # a 200 whose body is not a run
        except MlopsgenError as exc:
            failure, run_id = exc, None
        if isinstance(run_id, int) and not isinstance(run_id, bool) and run_id > 0:
            return run_id
    if failure is not None:
        raise failure
    raise MlopsgenError(
        f"{doing} on {host}: the workspace never answered with a run ID; a run may have "
        "started: look at the job's runs in the workspace before starting it again"
    )


def _idempotency_token() -> str:
    """One per start: if the SDK retries the request (429/503, a dropped connection), the
    service returns the run it already started instead of starting a second one."""
    return uuid.uuid4().hex


def failed_tasks(client: WorkspaceClient, host: str, run: Any) -> list[FailedTask]:
    """Each task that failed on its own (not as a knock-on of another), with its error."""
    failed = []
    for task in run.tasks or []:
        result = task.state.result_state.value if task.state and task.state.result_state else None
        if result in (None, "SUCCESS") or result in KNOCK_ON_RESULTS:
            continue
        error = _task_error(client, host, task.run_id)
        failed.append(FailedTask(task.task_key, result, error, task.run_page_url))
    return failed


def _task_error(client: WorkspaceClient, host: str, task_run_id: int) -> str:
    try:
        with api_errors(host, f"reading the output of task run {task_run_id}"):
            output = client.jobs.get_run_output(task_run_id)
    except MlopsgenError as exc:
        return f"(no error output: {exc})"
    return (output.error or "").strip() or "(the task reported no error message)"


def handed_over_version(client: WorkspaceClient, host: str, run: Any) -> str:
    """The model version the candidate task passed to dbutils.notebook.exit."""
    task = next((t for t in run.tasks or [] if t.task_key == CANDIDATE), None)
    if task is None:
        raise MlopsgenError(f"run {run.run_id} has no {CANDIDATE} task to read the version")
    with api_errors(host, f"reading the output of the {CANDIDATE} task"):
        output = client.jobs.get_run_output(task.run_id)
    result = output.notebook_output.result if output.notebook_output else None
    version = _version_from(result)
    if version is None:
        raise MlopsgenError(
            f"the train run succeeded but its {CANDIDATE} task handed over no model version "
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
