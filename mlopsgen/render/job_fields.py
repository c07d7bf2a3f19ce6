"""The shape of the job bodies mlopsgen owns: for each kind of object, its fields.

One declaration serves both sides. Render builds every object of a job body through
`owned()`, which refuses a field that is not declared here, and `deploy`'s comparison
(`mlopsgen.databricks.compare`) treats exactly these fields as mlopsgen's: a value the
workspace holds for one of them that the spec does not set is a change to undo (a schedule
added by hand, a `queue` left over after the renderer stopped writing it). So a field can
be neither written without being compared nor compared without being declared. Objects of
no declared kind (libraries, `autoscale`, `spark_conf`, `base_parameters`, `tags`) are
compared whole: a key added or removed by hand is a change.

Some declared fields are never written today (`condition_task`, `single_user_name`, ...): they are
claimed so that `deploy` resets them when someone adds them to a generated job by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Per object kind: the fields mlopsgen owns (others are the service's business).
MANAGED: Mapping[str, frozenset[str]] = {
    "job": frozenset(
        {
            "access_control_list",
            "description",
            "email_notifications",
            "environments",
            "job_clusters",
            "max_concurrent_runs",
            "name",
            "parameters",
            "queue",
            "run_as",
            "schedule",
            "tags",
            "tasks",
            "timeout_seconds",
        }
    ),
    "task": frozenset(
        {
            "condition_task",
            "depends_on",
            "description",
            "disabled",
            "email_notifications",
            "environment_key",
            "existing_cluster_id",
            "job_cluster_key",
            "libraries",
            "max_retries",
            "min_retry_interval_millis",
            "new_cluster",
            "notebook_task",
            "retry_on_timeout",
            "run_if",
            "run_job_task",
            "spark_python_task",
            "task_key",
            "timeout_seconds",
        }
    ),
    "notebook_task": frozenset({"base_parameters", "notebook_path", "source", "warehouse_id"}),
    "new_cluster": frozenset(
        {
            "apply_policy_default_values",
            "autoscale",
            "custom_tags",
            "data_security_mode",
            "driver_instance_pool_id",
            "driver_node_type_id",
            "init_scripts",
            "instance_pool_id",
            "node_type_id",
            "num_workers",
            "policy_id",
            "runtime_engine",
            "single_user_name",
            "spark_conf",
            "spark_env_vars",
            "spark_version",
        }
    ),
    "job_cluster": frozenset({"job_cluster_key", "new_cluster"}),
    "depends_on": frozenset({"task_key", "outcome"}),
    "schedule": frozenset({"quartz_cron_expression", "timezone_id", "pause_status"}),
    "email_notifications": frozenset(
        {
            "no_alert_for_skipped_runs",
            "on_duration_warning_threshold_exceeded",
            "on_failure",
            "on_start",
            "on_streaming_backlog_exceeded",
            "on_success",
        }
    ),
    "parameter": frozenset({"name", "default"}),
    "environment": frozenset({"environment_key", "spec"}),
    "environment_spec": frozenset({"client", "dependencies", "environment_version"}),
    "queue": frozenset({"enabled"}),
    "access_control": frozenset(
        {"group_name", "permission_level", "service_principal_name", "user_name"}
    ),
    # Exactly one of them is set (Jobs API JobRunAs); mlopsgen sets service_principal_name.
    "run_as": frozenset({"group_name", "service_principal_name", "user_name"}),
}
# Fields of a jobs/create body that are not job settings: jobs/get does not return them and
# jobs/reset refuses them (its new_settings is a JobSettings), so deploy applies them through
# their own API and compares them apart (databricks-sdk: JobsAPI.create's access_control_list
# is a List[JobAccessControlRequest], JobSettings has no such field).
CREATE_ONLY = ("access_control_list",)
# The kind of an object found under (parent kind, key); for lists, the kind of each item.
CHILD_KIND: Mapping[tuple[str, str], str] = {
    ("job", "tasks"): "task",
    ("job", "job_clusters"): "job_cluster",
    ("job", "schedule"): "schedule",
    ("job", "email_notifications"): "email_notifications",
    ("job", "parameters"): "parameter",
    ("job", "environments"): "environment",
    ("job", "queue"): "queue",
    ("job", "run_as"): "run_as",
    ("task", "notebook_task"): "notebook_task",
    ("task", "new_cluster"): "new_cluster",
    ("task", "depends_on"): "depends_on",
    ("task", "email_notifications"): "email_notifications",
    ("job_cluster", "new_cluster"): "new_cluster",
    ("environment", "spec"): "environment_spec",
    ("job", "access_control_list"): "access_control",
}
# Lists whose items are matched by a key, because the service may reorder them.
KEYED_LISTS: Mapping[str, str] = {
    "task": "task_key",
    "job_cluster": "job_cluster_key",
    "parameter": "name",
    "environment": "environment_key",
    "depends_on": "task_key",
}


def job_settings_only(body: Mapping[str, Any]) -> dict[str, Any]:
    """A jobs/create body without its create-only fields: the job's JobSettings."""
    return {key: value for key, value in body.items() if key not in CREATE_ONLY}


def owned(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` as an object of `kind`, refusing any field not declared for that kind."""
    stray = fields.keys() - MANAGED[kind]
    if stray:
        raise ValueError(f"{kind} field(s) {sorted(stray)} are not declared in job_fields")
    return fields
