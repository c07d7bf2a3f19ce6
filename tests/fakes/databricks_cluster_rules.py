"""Rules the Jobs service applies to a job's tags, run_as and new clusters, which mlopsgen's
issue-12 settings could break; the fake refuses what the service refuses, citing where it
says so.

- Job tags: "A maximum of 25 tags can be added to the job" (Jobs API, `JobSettings.tags`).
- Cluster custom tags: "Currently, Databricks allows at most 45 custom tags" (Clusters API,
  `custom_tags`).
- run_as: "Either user_name or service_principal_name should be specified. If not, an error
  is thrown"; `service_principal_name` is the "Application ID of an active service principal"
  (Jobs API, `JobRunAs`); the fake knows no principals, so any application ID (a GUID) is one.
- Autoscale: "max_workers must be strictly greater than min_workers" (Clusters API,
  `AutoScale`).
- Init scripts: DBFS init scripts are end-of-life; new clusters take workspace files, Unity
  Catalog volumes or cloud storage (Databricks, "What are init scripts?", "Where can init
  scripts be installed?").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

JOB_TAGS_MAX = 25
CUSTOM_TAGS_MAX = 45
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_RUN_AS = ("user_name", "service_principal_name", "group_name")


def problems(settings: dict[str, Any]) -> Iterator[str]:
    """What the service would answer with INVALID_PARAMETER_VALUE, one message each."""
    tags = settings.get("tags") or {}
    if len(tags) > JOB_TAGS_MAX:
        yield f"A job can have at most {JOB_TAGS_MAX} tags, got {len(tags)}."
    run_as = settings.get("run_as")
    if run_as is not None:
        given = [k for k in _RUN_AS if run_as.get(k)]
        if len(given) != 1:
            yield "run_as: exactly one of user_name, service_principal_name, group_name."
        principal = run_as.get("service_principal_name")
        if principal is not None and not _GUID.match(str(principal)):
            yield f"Service principal {principal} does not exist (an application ID)."
    for cluster in _new_clusters(settings):
        if len(cluster.get("custom_tags") or {}) > CUSTOM_TAGS_MAX:
            yield f"A cluster can have at most {CUSTOM_TAGS_MAX} custom tags."
        scale = cluster.get("autoscale")
        if scale is not None and not scale.get("max_workers", 0) > scale.get("min_workers", 0):
            yield "autoscale: max_workers must be strictly greater than min_workers."
        for script in cluster.get("init_scripts") or []:
            if "dbfs" in script:
                yield "Init scripts on DBFS are end-of-life: use workspace files or volumes."


def _new_clusters(settings: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job_cluster in settings.get("job_clusters") or []:
        yield job_cluster.get("new_cluster") or {}
    for task in settings.get("tasks") or []:
        if "new_cluster" in task:
            yield task["new_cluster"]
