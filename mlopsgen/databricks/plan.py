"""The deploy plan: a pure function from (desired, current) to one change per job and upload.

A job is ours when it carries our `mlopsgen-id` tag *and* our name; a same-named job with
another identity (or none) is somebody else's and is left alone. Whether a job's settings
changed is `compare.settings_match` (service-added defaults are not changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlopsgen.databricks import permissions
from mlopsgen.databricks.compare import FieldChange, differences, settings_match
from mlopsgen.databricks.desired import Desired, Upload
from mlopsgen.layout import IDENTITY_TAG
from mlopsgen.render.artifacts import JobFile
from mlopsgen.render.job_fields import job_settings_only

Action = Literal["create", "update", "unchanged", "delete"]


@dataclass(frozen=True)
class RemoteObject:
    kind: str  # NOTEBOOK | FILE | DIRECTORY | ... as the Workspace API names it
    content: bytes | None  # exported content (None for directories)


@dataclass(frozen=True)
class RemoteJob:
    job_id: int
    name: str
    identity: str | None
    settings: Mapping[str, Any]  # full settings (jobs/get) for ours; list view for others
    # direct permissions (read for ours only; None: not read)
    permissions: frozenset[permissions.Entry] | None = None


@dataclass(frozen=True)
class Current:
    objects: Mapping[str, RemoteObject | None]  # every desired upload path -> what is there
    jobs: Mapping[str, tuple[RemoteJob, ...]]  # every desired job name -> jobs with that name


@dataclass(frozen=True)
class Change:
    kind: Literal["job", "notebook", "file"]
    target: str  # job name or workspace path
    action: Action
    job_id: int | None = None
    upload: Upload | None = None
    job: JobFile | None = None
    remote: RemoteJob | None = None  # an update's job as the workspace has it

    def field_changes(self) -> list[FieldChange]:
        """An update's differences, field by field (settings, then permissions)."""
        if self.action != "update" or self.job is None or self.remote is None:
            return []
        found = differences(job_settings_only(self.job.settings), self.remote.settings)
        granted = self.remote.permissions
        if granted is not None:
            now, wanted = permissions.managed(granted), permissions.desired(self.job)
            found.extend(
                FieldChange(f"permissions[{level} {field}={name}]", old, new)
                for (level, field, name), old, new in sorted(
                    [(e, e[0], None) for e in now - wanted]
                    + [(e, None, e[0]) for e in wanted - now]
                )
            )
        return found


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    left_alone: tuple[RemoteJob, ...]  # same name, another identity
    conflicts: tuple[str, ...]  # problems that stop the deploy before it changes anything

    @property
    def pending(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


def make_plan(desired: Desired, current: Current, *, repair_duplicates: bool = False) -> Plan:
    """One change per upload and job. Several jobs with our name and identity (left by an
    older release, a person, or a lost create answer) stop the deploy, unless
    `repair_duplicates`: then the oldest is kept and the others are deleted."""
    changes = [_upload_change(u, current.objects.get(u.path)) for u in desired.uploads]
    left_alone: list[RemoteJob] = []
    conflicts: list[str] = []
    for job in desired.jobs:
        same_name = current.jobs.get(job.name, ())
        ours = sorted((r for r in same_name if r.identity == job.identity), key=_by_id)
        left_alone.extend(r for r in same_name if r.identity != job.identity)
        if len(ours) > 1 and not repair_duplicates:
            conflicts.append(duplicates_message(job.name, job.identity, ours))
        elif ours:
            keep, *extra = ours
            action: Action = "unchanged" if _up_to_date(job, keep) else "update"
            changes.append(Change("job", job.name, action, keep.job_id, job=job, remote=keep))
            changes.extend(Change("job", job.name, "delete", r.job_id) for r in extra)
        else:
            changes.append(Change("job", job.name, "create", job=job))
    return Plan(tuple(changes), tuple(left_alone), tuple(conflicts))


def _up_to_date(job: JobFile, remote: RemoteJob) -> bool:
    """The settings match, and so do the permissions the spec manages (read for ours)."""
    if not settings_match(job_settings_only(job.settings), remote.settings):
        return False
    granted = remote.permissions
    return granted is None or permissions.managed(granted) == permissions.desired(job)


def _by_id(job: RemoteJob) -> int:
    return job.job_id


def duplicates_message(name: str, identity: str, ours: list[RemoteJob]) -> str:
    ids = ", ".join(str(r.job_id) for r in ours)
    return (
        f"jobs {ids} are all named {name!r} with {IDENTITY_TAG} {identity}: deploy with "
        "--repair-duplicates to keep the oldest and delete the others"
    )


def _upload_change(upload: Upload, remote: RemoteObject | None) -> Change:
    if remote is None:
        action: Action = "create"
    elif remote.kind.lower() == upload.kind and same_source(upload.content, remote.content):
        action = "unchanged"
    else:
        action = "update"
    return Change(upload.kind, upload.path, action, upload=upload)


def same_source(desired: bytes, exported: bytes | None) -> bool:
    """Compare file or notebook source the way the workspace stores it.

    Exported notebooks always start with the source header and may differ in line endings
    and trailing blank lines; none of that is a change.
    """
    if exported is None:
        return False
    return _normalize(desired) == _normalize(exported)


def _normalize(content: bytes) -> str:
    text = content.decode("utf-8", "replace").replace("\r\n", "\n")
    text = text.removeprefix("\ufeff").removeprefix("# Databricks notebook source\n")
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))
