"""The pull-request check as a one-time run (`jobs/runs/submit`), built from the pr-check job.

A PR must not change what the deployed train job runs, so the PR's training notebook goes
to `<first stage folder>/pr-check/<check id>/<notebook>` (its own folder per PR and build:
concurrent checks never run each other's code) and the submitted task points there; the run
is named after the check. runs/submit has no `job_clusters`: each task gets its cluster
inline as `new_cluster`. Job-only fields (name, tags, schedule, max_concurrent_runs,
description) are dropped, and so are the owners' notifications: a PR's failed check is the
PR author's to read on the PR, not a failure e-mail to every owner (issue 10).
"""

from __future__ import annotations

import typing
from typing import Any

from mlopsgen import layout
from mlopsgen.databricks.target import Target

# JobSettings fields that runs/submit accepts as they are (the notification fields it also
# accepts are left out on purpose: see above).
SUBMIT_FIELDS = (
    "access_control_list",  # the team may open the PR run's page too
    "budget_policy_id",
    "environments",
    "git_source",
    "health",
    "queue",
    "run_as",
    "timeout_seconds",
)


def pr_check_folder(target: Target, check_id: str) -> str:
    return layout.pr_check_folder(target.stage.workspace_folder, check_id)


def pr_notebook_path(target: Target, check_id: str) -> str:
    folder = target.stage.workspace_folder
    return layout.pr_check_notebook(folder, check_id, target.spec.training.notebook)


def submission(target: Target, check_id: str) -> dict[str, Any]:
    """The runs/submit body (pure)."""
    job = target.job("pr-check")
    if job is None:
        raise RuntimeError("the spec has no pr-check job to submit")
    settings = job.settings
    clusters = {c["job_cluster_key"]: c["new_cluster"] for c in settings.get("job_clusters", [])}
    folder = target.stage.workspace_folder
    deployed = layout.workspace_notebook(folder, target.spec.training.notebook)
    tasks = []
    for task in settings["tasks"]:
        task = dict(task)
        key = task.pop("job_cluster_key", None)
        if key is not None:
            task["new_cluster"] = clusters[key]
        notebook = task.get("notebook_task")
        if notebook and notebook.get("notebook_path") == deployed:
            task["notebook_task"] = notebook | {"notebook_path": pr_notebook_path(target, check_id)}
        tasks.append(task)
    body = {"run_name": f"{settings['name']} {check_id}", "tasks": tasks}
    body.update((k, settings[k]) for k in SUBMIT_FIELDS if k in settings)
    return body


def submit_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `JobsAPI.submit`, typed as its signature says.

    Each value must survive the SDK's from_dict/as_dict round trip, because from_dict drops
    fields it does not know and the request would silently lose them.
    """
    from databricks.sdk.service.jobs import JobsAPI

    hints = typing.get_type_hints(JobsAPI.submit)
    return {key: _typed(hints[key], value, key) for key, value in body.items()}


def _typed(annotation: Any, value: Any, key: str) -> Any:
    inner = [a for a in typing.get_args(annotation) if a is not type(None)]
    kind = inner[0] if inner else annotation
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        return [_typed(item, v, key) for v in value]
    from_dict = getattr(kind, "from_dict", None)
    if from_dict is None:
        return value
    typed = from_dict(value)
    if typed.as_dict() != value:
        raise RuntimeError(f"the pr-check job's {key} does not survive databricks-sdk's types")
    return typed
