"""Read-only questions to the workspace: what is at our paths, which jobs carry our identity."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import TYPE_CHECKING

from mlopsgen.databricks import permissions
from mlopsgen.databricks.client import read_retrying
from mlopsgen.databricks.desired import Desired, Upload
from mlopsgen.databricks.plan import Current, RemoteJob, RemoteObject
from mlopsgen.errors import MlopsgenError
from mlopsgen.layout import IDENTITY_TAG

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def fetch_current(client: WorkspaceClient, host: str, desired: Desired) -> Current:
    objects = {u.path: remote_object(client, host, u) for u in desired.uploads}
    identities = {j.name: j.identity for j in desired.jobs}
    jobs = {
        name: tuple(
            replace(job, permissions=permissions.read(client, host, job.job_id))
            if job.identity == identities[name]
            else job
            for job in jobs_named(client, host, name)
        )
        for name in sorted(identities)
    }
    return Current(objects=objects, jobs=jobs)


def remote_object(client: WorkspaceClient, host: str, upload: Upload) -> RemoteObject | None:
    return read_retrying(host, f"reading {upload.path}", lambda: _read_object(client, upload))


def _read_object(client: WorkspaceClient, upload: Upload) -> RemoteObject | None:
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.workspace import ExportFormat, ObjectType

    try:
        info = client.workspace.get_status(upload.path)
    except NotFound:
        return None
    kind = info.object_type.value if info.object_type else "UNKNOWN"
    if info.object_type not in (ObjectType.NOTEBOOK, ObjectType.FILE):
        return RemoteObject(kind, None)
    fmt = ExportFormat.SOURCE if info.object_type == ObjectType.NOTEBOOK else ExportFormat.AUTO
    exported = client.workspace.export(upload.path, format=fmt)
    return RemoteObject(kind, base64.b64decode(exported.content or ""))


def jobs_named(client: WorkspaceClient, host: str, name: str) -> tuple[RemoteJob, ...]:
    """Every job with exactly this name, each with its identity tag and full settings.

    Callers choose by identity (the plan leaves other identities alone; `find_job` keeps ours).
    jobs/list filters by name case-insensitively and its settings are a summary (no tasks;
    the documentation does not promise tags), so the identity tag and the settings we compare
    come from jobs/get, which the SDK pages through (more than 100 tasks).
    """
    return read_retrying(host, f"listing jobs named {name!r}", lambda: _jobs_named(client, name))


def _jobs_named(client: WorkspaceClient, name: str) -> tuple[RemoteJob, ...]:
    from databricks.sdk.errors import InvalidParameterValue, NotFound

    job_ids = sorted({j.job_id for j in client.jobs.list(name=name) if j.job_id is not None})
    found = []
    for job_id in job_ids:
        try:
            settings = client.jobs.get(job_id).settings
        except (NotFound, InvalidParameterValue) as exc:
            # deleted between the list and the get (a concurrent deploy removed a duplicate):
            # jobs/get answers "Job N does not exist" for it
            if "does not exist" not in str(exc) and not isinstance(exc, NotFound):
                raise
            continue
        as_dict = settings.as_dict() if settings is not None else {}
        if as_dict.get("name") == name:
            job_identity = (as_dict.get("tags") or {}).get(IDENTITY_TAG)
            found.append(RemoteJob(job_id, name, job_identity, as_dict))
    return tuple(found)


def find_job(client: WorkspaceClient, host: str, name: str, identity: str) -> RemoteJob | None:
    """The one deployed job with this name and identity (None when there is none)."""
    ours = ours_named(client, host, name, identity)
    if len(ours) > 1:
        ids = ", ".join(str(j.job_id) for j in ours)
        raise MlopsgenError(
            f"jobs {ids} on {host} are all named {name!r} with {IDENTITY_TAG} {identity}: "
            "run mlopsgen deploy with --repair-duplicates to keep the oldest, then run again"
        )
    return ours[0] if ours else None


def ours_named(client: WorkspaceClient, host: str, name: str, identity: str) -> list[RemoteJob]:
    """The jobs with this name and identity, oldest (lowest job ID) first."""
    ours = [j for j in jobs_named(client, host, name) if j.identity == identity]
    return sorted(ours, key=lambda j: j.job_id)
