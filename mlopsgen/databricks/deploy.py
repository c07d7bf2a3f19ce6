"""`mlopsgen deploy`: upload a stage's notebooks and create or update its jobs, idempotently.

`prepare` reads the workspace and computes the plan (read-only calls only, so `--dry-run`
stops after it); `apply_plan` changes only what the plan says changed.
"""

from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlopsgen.databricks.client import api_errors, connect, workspace_url
from mlopsgen.databricks.desired import Upload, desired_state
from mlopsgen.databricks.plan import Change, Plan, make_plan
from mlopsgen.databricks.remote import fetch_current
from mlopsgen.databricks.target import Target
from mlopsgen.render.artifacts import JobFile

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass(frozen=True)
class Prepared:
    """A connected client and the plan for one stage's workspace."""

    client: WorkspaceClient
    host: str
    plan: Plan


def prepare(target: Target, host: str | None) -> Prepared:
    desired = desired_state(target)
    url = workspace_url(host, target.stage.workspace)
    client = connect(url)
    return Prepared(client, url, make_plan(desired, fetch_current(client, url, desired)))


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


def _apply_job(client: WorkspaceClient, host: str, change: Change, job: JobFile) -> None:
    settings = job_settings(job)
    if change.action == "create":
        with api_errors(host, f"creating job {job.name}"):
            fields = {key: getattr(settings, key) for key in job.settings}
            client.jobs.create(**fields)
    else:
        assert change.job_id is not None
        with api_errors(host, f"updating job {job.name} ({change.job_id})"):
            client.jobs.reset(change.job_id, new_settings=settings)


def job_settings(job: JobFile) -> Any:
    """The SDK object for a generated job; it must carry every field (from_dict drops unknowns)."""
    from databricks.sdk.service.jobs import JobSettings

    settings = JobSettings.from_dict(dict(job.settings))
    if settings.as_dict() != job.settings:
        raise RuntimeError(f"{job.path} is not a JobSettings body that databricks-sdk keeps whole")
    return settings
