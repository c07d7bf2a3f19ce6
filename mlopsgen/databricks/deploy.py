"""`mlopsgen deploy`: upload a stage's notebooks and create or update its jobs, idempotently.

Read the workspace, compute the plan (pure), print it, then apply only what changed.
`--dry-run` stops after printing: it makes read-only calls only.
"""

from __future__ import annotations

import base64
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mlopsgen.databricks.client import api_errors, connect
from mlopsgen.databricks.desired import DesiredJob, Upload, desired_state
from mlopsgen.databricks.plan import Change, Plan, make_plan
from mlopsgen.databricks.remote import fetch_current
from mlopsgen.databricks.target import IDENTITY_TAG, load_target
from mlopsgen.errors import ExitCode, MlopsgenError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def run_deploy(spec: Path, stage: str, *, dry_run: bool, host: str | None) -> ExitCode:
    target = load_target(spec, stage)
    desired = desired_state(target)
    url = (host or target.stage.workspace).rstrip("/")
    client = connect(url)
    plan = make_plan(desired, fetch_current(client, url, desired))
    typer.echo(f"stage {target.stage.name}: {url} {target.stage.workspace_folder}")
    typer.echo(format_plan(plan))
    if plan.conflicts:
        raise MlopsgenError(plan.conflicts[0])
    if dry_run:
        typer.echo("dry run: nothing was changed")
        return ExitCode.OK
    apply_plan(client, url, plan)
    typer.echo(summary(plan, done=True))
    return ExitCode.OK


def format_plan(plan: Plan) -> str:
    lines = []
    for change in plan.changes:
        suffix = f" (job {change.job_id})" if change.job_id is not None else ""
        lines.append(f"  {change.action:<10} {change.kind:<9} {change.target}{suffix}")
    for job in plan.left_alone:
        identity = f"{IDENTITY_TAG} {job.identity}" if job.identity else f"no {IDENTITY_TAG} tag"
        lines.append(
            f"  {'left alone':<10} {'job':<9} {job.name} (job {job.job_id}: same name, "
            f"{identity}; not managed by this spec)"
        )
    lines.append(summary(plan, done=False))
    return "\n".join(lines)


def summary(plan: Plan, *, done: bool) -> str:
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in ("create", "update")}
    unchanged = len(plan.changes) - counts["create"] - counts["update"]
    verbs = ("created", "updated") if done else ("to create", "to update")
    return (
        f"{'deployed: ' if done else 'plan: '}{counts['create']} {verbs[0]}, "
        f"{counts['update']} {verbs[1]}, {unchanged} unchanged"
    )


def apply_plan(client: WorkspaceClient, host: str, plan: Plan) -> None:
    uploads = [c.upload for c in plan.pending if c.upload is not None]
    for folder in sorted({posixpath.dirname(u.path) for u in uploads}):
        with api_errors(host, f"creating folder {folder}"):
            client.workspace.mkdirs(folder)
    for upload in uploads:
        _import(client, host, upload)
    for change in plan.pending:
        if change.job is not None:
            _apply_job(client, host, change, change.job)


def _import(client: WorkspaceClient, host: str, upload: Upload) -> None:
    from databricks.sdk.service.workspace import ImportFormat, Language

    content = base64.b64encode(upload.content).decode("ascii")
    with api_errors(host, f"uploading {upload.source} to {upload.path}"):
        if upload.kind == "notebook":
            client.workspace.import_(
                upload.path,
                content=content,
                format=ImportFormat.SOURCE,
                language=Language.PYTHON,
                overwrite=True,
            )
        else:
            # AUTO keeps a file a file: it has no notebook header (docs: workspace/import).
            client.workspace.import_(
                upload.path, content=content, format=ImportFormat.AUTO, overwrite=True
            )


def _apply_job(client: WorkspaceClient, host: str, change: Change, job: DesiredJob) -> None:
    settings = job_settings(job)
    if change.action == "create":
        with api_errors(host, f"creating job {job.name}"):
            fields = {key: getattr(settings, key) for key in job.settings}
            client.jobs.create(**fields)
    else:
        assert change.job_id is not None
        with api_errors(host, f"updating job {job.name} ({change.job_id})"):
            client.jobs.reset(change.job_id, new_settings=settings)


def job_settings(job: DesiredJob) -> Any:
    """The SDK object for a generated job; it must carry every field (from_dict drops unknowns)."""
    from databricks.sdk.service.jobs import JobSettings

    settings = JobSettings.from_dict(job.settings)
    if settings.as_dict() != job.settings:
        raise RuntimeError(
            f"{job.source} is not a JobSettings body that databricks-sdk keeps whole"
        )
    return settings
