"""How the Jobs service answers `jobs/get`: stored settings plus defaults of its own, paged.

The real service reports fields nobody set: `format: MULTI_TASK`, `email_notifications: {}`,
`timeout_seconds: 0`, `max_concurrent_runs: 1` (all in the Jobs API 2.1 example document,
https://docs.databricks.com/en/reference/jobs-api-2-1-updates.html), `webhook_notifications:
{}`, `run_as`, `queue`, and per task `run_if: ALL_SUCCESS`, `timeout_seconds: 0`,
`email_notifications: {}`, `notebook_task.source: WORKSPACE`; clusters gain attributes such as
`enable_elastic_disk`. The fake adds a representative set so that "a second deploy changes
nothing" is tested against an answer that is not simply an echo of the request.

API 2.2 pages `tasks`, `job_clusters`, `parameters` and `environments` by 100
(`next_page_token`; "arrays without additional results will be empty on later pages",
docs.databricks.com/api/workspace/jobs/get).
"""

from __future__ import annotations

import copy
from typing import Any

PAGE = 100
PAGED_ARRAYS = ("tasks", "job_clusters", "parameters", "environments")
JOB_DEFAULTS: dict[str, Any] = {
    "format": "MULTI_TASK",
    "email_notifications": {},
    "webhook_notifications": {},
    "timeout_seconds": 0,
    "max_concurrent_runs": 1,
    "queue": {"enabled": True},
}
TASK_DEFAULTS: dict[str, Any] = {
    "run_if": "ALL_SUCCESS",
    "timeout_seconds": 0,
    "email_notifications": {},
    "webhook_notifications": {},
}


def with_service_defaults(settings: dict[str, Any], creator: str) -> dict[str, Any]:
    """The settings as jobs/get reports them (a copy; the stored settings are not changed)."""
    answer = copy.deepcopy(settings)
    for key, value in (JOB_DEFAULTS | {"run_as": {"user_name": creator}}).items():
        answer.setdefault(key, copy.deepcopy(value))
    for task in answer.get("tasks", []):
        for key, value in TASK_DEFAULTS.items():
            task.setdefault(key, copy.deepcopy(value))
        notebook = task.get("notebook_task")
        if notebook is not None and "git_source" not in answer:
            notebook.setdefault("source", "WORKSPACE")
        if "new_cluster" in task:
            task["new_cluster"].setdefault("enable_elastic_disk", True)
    for cluster in answer.get("job_clusters", []):
        cluster.get("new_cluster", {}).setdefault("enable_elastic_disk", True)
    return answer


def page_of_arrays(job: dict[str, Any], page_token: str | None) -> dict[str, Any]:
    """One page of a jobs/get answer: up to 100 items of each paged array."""
    try:
        page = int(page_token) if page_token else 0
    except ValueError:
        page = -1
    if page < 0:
        from fakes.errors import invalid

        raise invalid(f"Invalid page token: {page_token}")
    settings = job["settings"]
    longest = max((len(settings.get(name, [])) for name in PAGED_ARRAYS), default=0)
    answer = job if page == 0 else {"job_id": job["job_id"], "settings": {}}
    for name in PAGED_ARRAYS:
        items = settings.get(name)
        if items is not None or page > 0:
            answer["settings"][name] = (items or [])[page * PAGE : (page + 1) * PAGE]
    if longest > (page + 1) * PAGE:
        answer["next_page_token"] = str(page + 1)
    return answer
