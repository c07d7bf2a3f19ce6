"""`mlopsgen deploy`: upload a stage's notebooks and create or update its jobs, idempotently.

`prepare` reads the workspace and computes the plan (read-only calls only, so `--dry-run`
stops after it); `apply_plan` changes only what the plan says changed.
"""

from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlopsgen.databricks import permissions
from mlopsgen.databricks.client import api_errors, connect, workspace_url
from mlopsgen.databricks.desired import Upload, desired_state
from mlopsgen.databricks.plan import Change, Plan, make_plan
from mlopsgen.databricks.remote import fetch_current, ours_named
from mlopsgen.databricks.target import Target, resolved
from mlopsgen.errors import MlopsgenError
from mlopsgen.render.artifacts import JobFile
from mlopsgen.render.job_fields import job_settings_only

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass(frozen=True)
class Prepared:
    """A connected client and the plan for one stage's workspace."""

    client: WorkspaceClient
    host: str
    plan: Plan
    target: Target  # with the deploying identity's home folder filled in


def prepare(target: Target, host: str | None, *, repair_duplicates: bool = False) -> Prepared:
    url = workspace_url(host, target.stage.workspace)
    client = connect(url)
    target = resolved(client, url, target)
    desired = desired_state(target)
    current = fetch_current(client, url, desired)
    plan = make_plan(desired, current, repair_duplicates=repair_duplicates)
    return Prepared(client, url, plan, target)


def apply_plan(client: WorkspaceClient, host: str, plan: Plan) -> list[str]:
    """Carry out the plan; returns notes on what happened beyond it (a job adopted or a
    duplicate removed because another deploy or a lost answer got in the way)."""
    uploads = [c.upload for c in plan.pending if c.upload is not None]
    for folder in sorted({posixpath.dirname(u.path) for u in uploads}):
        with api_errors(host, f"creating folder {folder}"):
            client.workspace.mkdirs(folder)
    for upload in uploads:
        _import(client, host, upload)
    notes: list[str] = []
    for change in plan.pending:
        if change.action == "delete" and change.job_id is not None:
            notes.extend(_delete_jobs(client, host, change.target, [change.job_id]))
        elif change.job is not None:
            notes.extend(_apply_job(client, host, change, change.job))
    return notes


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


def _apply_job(client: WorkspaceClient, host: str, change: Change, job: JobFile) -> list[str]:
    settings = job_settings(job)
    if change.action != "create":
        assert change.job_id is not None
        _reset(client, host, job, change.job_id, settings)
        return []
    return _create(client, host, job, settings)


def _access_control(job: JobFile) -> Any:
    """The job's create-time access_control_list, typed as JobsAPI.create takes it."""
    from databricks.sdk.service.jobs import JobAccessControlRequest

    items = job.settings.get("access_control_list")
    return None if items is None else [JobAccessControlRequest.from_dict(i) for i in items]


def _create(client: WorkspaceClient, host: str, job: JobFile, settings: Any) -> list[str]:
    """Create the job so that exactly one with its name and identity exists afterwards.

    jobs/create is not idempotent, and the SDK retries it after a dropped connection or a
    503, which may come after the job was created; two deploys may also race. So: look
    again just before creating (adopt a job that appeared meanwhile), and after creating (or
    failing to) keep the oldest of ours and delete the others.
    """
    found = ours_named(client, host, job.name, job.identity)
    if found:
        _reset(client, host, job, found[0].job_id, settings)
        note = f"job {job.name}: adopted job {found[0].job_id}, created meanwhile"
        return [note, *_delete_jobs(client, host, job.name, [j.job_id for j in found[1:]])]
    created: int | None = None
    try:
        with api_errors(host, f"creating job {job.name}"):
            fields = {key: getattr(settings, key) for key in job_settings_only(job.settings)}
            created = client.jobs.create(**fields, access_control_list=_access_control(job)).job_id
    except MlopsgenError:
        if not ours_named(client, host, job.name, job.identity):
            raise  # nothing was created: the error stands
    keep, *extra = ours_named(client, host, job.name, job.identity)
    notes = _delete_jobs(client, host, job.name, [j.job_id for j in extra])
    if keep.job_id != created:  # another deploy's job, or ours whose answer was lost
        _reset(client, host, job, keep.job_id, settings)
        notes.insert(
            0,
            f"job {job.name}: kept job {keep.job_id} (the answer to create was lost "
            "or another deploy created it first)",
        )
    return notes


def _reset(client: WorkspaceClient, host: str, job: JobFile, job_id: int, settings: Any) -> None:
    """jobs/reset takes the settings only; then the permissions, through their own API."""
    with api_errors(host, f"updating job {job.name} ({job_id})"):
        client.jobs.reset(job_id, new_settings=settings)
    permissions.apply(client, host, job, job_id)


def _delete_jobs(client: WorkspaceClient, host: str, name: str, job_ids: list[int]) -> list[str]:
    """Delete duplicates of our job; one already gone (another deploy deleted it) is fine."""
    from databricks.sdk.errors import InvalidParameterValue, NotFound

    notes = []
    for job_id in job_ids:
        with api_errors(host, f"deleting duplicate job {job_id} ({name})"):
            try:
                client.jobs.delete(job_id)
            except (NotFound, InvalidParameterValue):
                continue  # already deleted
        notes.append(f"job {name}: deleted duplicate job {job_id}")
    return notes


def job_settings(job: JobFile) -> Any:
    """The SDK object for a generated job; it must carry every field (from_dict drops unknowns)."""
    from databricks.sdk.service.jobs import JobSettings

    body = job_settings_only(job.settings)
    settings = JobSettings.from_dict(body)
    if settings.as_dict() != body:
        raise RuntimeError(f"{job.path} is not a JobSettings body that databricks-sdk keeps whole")
    return settings
