"""Job permissions as code (issue 12): the spec's CAN_VIEW and CAN_MANAGE_RUN principals.

jobs/create takes them as `access_control_list`; jobs/reset does not (its `new_settings` is
a JobSettings), so an existing job's permissions go through the Permissions API:
`PUT /api/2.0/permissions/jobs/{id}` replaces the job's direct permissions ("Sets permissions
on an object, replacing existing permissions if they exist", Databricks REST API,
Permissions). The job's owner (IS_OWNER, by default the deploying identity) and direct
CAN_MANAGE grants are not the spec's business: they are read back and sent again unchanged.
Inherited permissions (workspace admins' CAN_MANAGE) are never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mlopsgen.databricks.client import api_errors, read_retrying
from mlopsgen.render.artifacts import JobFile

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

# (permission level, principal field, principal name)
Entry = tuple[str, str, str]
MANAGED_LEVELS = frozenset({"CAN_VIEW", "CAN_MANAGE_RUN"})
PRINCIPAL_FIELDS = ("group_name", "service_principal_name", "user_name")


def _entry(level: str, item: Mapping[str, Any]) -> Entry | None:
    for field in PRINCIPAL_FIELDS:
        name = item.get(field)
        if isinstance(name, str) and name:
            # user names are e-mail addresses, which the workspace matches without case
            return (level, field, name.casefold() if field == "user_name" else name)
    return None


def desired(job: JobFile) -> frozenset[Entry]:
    """The permissions the generated job asks for (its jobs/create access_control_list)."""
    items = job.settings.get("access_control_list", [])
    return frozenset(e for item in items if (e := _entry(item["permission_level"], item)))


def direct(answer: Mapping[str, Any]) -> frozenset[Entry]:
    """Every direct (not inherited) grant in a GET /permissions/jobs/{id} answer."""
    found = set()
    for item in answer.get("access_control_list") or []:
        for grant in item.get("all_permissions") or []:
            if not grant.get("inherited") and (e := _entry(grant["permission_level"], item)):
                found.add(e)
    return frozenset(found)


def managed(entries: Iterable[Entry]) -> frozenset[Entry]:
    return frozenset(e for e in entries if e[0] in MANAGED_LEVELS)


def read(client: WorkspaceClient, host: str, job_id: int) -> frozenset[Entry] | None:
    """The job's direct grants; None when the job is gone (a concurrent deploy deleted it)."""
    from databricks.sdk.errors import InvalidParameterValue, NotFound

    def get() -> frozenset[Entry] | None:
        try:
            return direct(client.jobs.get_permissions(str(job_id)).as_dict())
        except (NotFound, InvalidParameterValue) as exc:
            if isinstance(exc, NotFound) or "does not exist" in str(exc):
                return None
            raise

    return read_retrying(host, f"reading the permissions of job {job_id}", get)


def apply(client: WorkspaceClient, host: str, job: JobFile, job_id: int) -> bool:
    """Give the job exactly the spec's managed permissions; True when something changed."""
    from databricks.sdk.service.jobs import JobAccessControlRequest, JobPermissionLevel

    current = read(client, host, job_id) or frozenset()
    wanted = desired(job)
    if managed(current) == wanted:
        return False
    keep = {e for e in current if e[0] not in MANAGED_LEVELS}  # the owner, CAN_MANAGE grants
    acl = [
        JobAccessControlRequest(permission_level=JobPermissionLevel(level), **{field: name})
        for level, field, name in sorted(keep | wanted)
    ]
    with api_errors(host, f"setting the permissions of job {job.name} ({job_id})"):
        client.jobs.set_permissions(str(job_id), access_control_list=acl)
    return True
