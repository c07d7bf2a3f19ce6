"""The deploy plan is a pure function of (desired, current)."""

from __future__ import annotations

import copy
from typing import Any

from mlopsgen.databricks.compare import settings_match
from mlopsgen.databricks.desired import Desired, Upload
from mlopsgen.databricks.plan import Current, RemoteJob, RemoteObject, make_plan, same_source
from mlopsgen.render.artifacts import JobFile

SETTINGS: dict[str, Any] = {
    "name": "m-train",
    "tags": {"mlopsgen-id": "m/train"},
    "max_concurrent_runs": 1,
    "schedule": {"quartz_cron_expression": "0 0 3 ? * 2", "timezone_id": "UTC"},
    "tasks": [
        {
            "task_key": "a",
            "notebook_task": {"notebook_path": "/x/a", "base_parameters": {"p": "1"}},
        },
        {"task_key": "b", "depends_on": [{"task_key": "a"}], "timeout_seconds": 60},
    ],
}


def _with_server_defaults(settings: dict[str, Any]) -> dict[str, Any]:
    """What the service reports back: our fields plus defaults of its own, tasks reordered."""
    echoed = copy.deepcopy(settings)
    echoed["format"] = "MULTI_TASK"
    echoed["webhook_notifications"] = {}
    echoed["tasks"] = list(reversed(echoed["tasks"]))
    for task in echoed["tasks"]:
        task["run_if"] = "ALL_SUCCESS"
    echoed["tasks"][1]["notebook_task"]["source"] = "WORKSPACE"
    return echoed


def test_server_defaults_and_task_order_are_not_changes() -> None:
    assert settings_match(SETTINGS, _with_server_defaults(SETTINGS))


def test_a_removed_base_parameter_is_a_change() -> None:
    desired = copy.deepcopy(SETTINGS)
    del desired["tasks"][0]["notebook_task"]["base_parameters"]["p"]
    assert not settings_match(desired, _with_server_defaults(SETTINGS))


def test_a_removed_managed_field_is_a_change() -> None:
    desired = {k: v for k, v in SETTINGS.items() if k != "schedule"}
    assert not settings_match(desired, _with_server_defaults(SETTINGS))


def test_a_changed_value_or_type_is_a_change() -> None:
    current = _with_server_defaults(SETTINGS)
    current["max_concurrent_runs"] = 2
    assert not settings_match(SETTINGS, current)
    current["max_concurrent_runs"] = True  # a bool is not the int 1
    assert not settings_match(SETTINGS, current)


def test_exported_notebook_header_and_line_endings_are_not_changes() -> None:
    desired = b"print(1)\n\n"
    assert same_source(desired, b"# Databricks notebook source\r\nprint(1)\r\n")
    assert not same_source(desired, b"# Databricks notebook source\nprint(2)\n")
    assert not same_source(desired, None)


def test_plan_classifies_every_item() -> None:
    job = JobFile("train", "dev", "databricks/train.json", "m-train", "m/train", SETTINGS)
    uploads = (
        Upload("/f/new", "notebook", b"x", "notebooks/new.py"),
        Upload("/f/same", "notebook", b"y", "notebooks/same.py"),
        Upload("/f/kind", "file", b"z", "notebooks/kind.py"),
    )
    ours = RemoteJob(7, "m-train", "m/train", _with_server_defaults(SETTINGS))
    theirs = RemoteJob(8, "m-train", None, {"name": "m-train"})
    current = Current(
        objects={
            "/f/new": None,
            "/f/same": RemoteObject("NOTEBOOK", b"y"),
            "/f/kind": RemoteObject("NOTEBOOK", b"z"),
        },
        jobs={"m-train": (ours, theirs)},
    )
    plan = make_plan(Desired(uploads, (job,)), current)
    assert [(c.target, c.action) for c in plan.changes] == [
        ("/f/new", "create"),
        ("/f/same", "unchanged"),
        ("/f/kind", "update"),
        ("m-train", "unchanged"),
    ]
    assert plan.changes[-1].job_id == 7
    assert plan.left_alone == (theirs,) and plan.conflicts == ()


def test_two_jobs_with_our_identity_are_a_conflict() -> None:
    job = JobFile("train", "dev", "databricks/train.json", "m-train", "m/train", SETTINGS)
    twins = tuple(RemoteJob(i, "m-train", "m/train", SETTINGS) for i in (1, 2))
    plan = make_plan(Desired((), (job,)), Current(objects={}, jobs={"m-train": twins}))
    assert plan.changes == () and len(plan.conflicts) == 1


def test_service_defaults_for_fields_we_do_not_set_are_not_changes() -> None:
    desired = {k: v for k, v in SETTINGS.items() if k != "max_concurrent_runs"}
    current = _with_server_defaults(desired)
    current |= {"timeout_seconds": 0, "max_concurrent_runs": 1, "run_as": {"user_name": "u"}}
    current["email_notifications"] = {"no_alert_for_skipped_runs": False}
    task_a = next(t for t in current["tasks"] if t["task_key"] == "a")
    task_a |= {"timeout_seconds": 0, "email_notifications": {}}
    assert settings_match(desired, current)
    current["max_concurrent_runs"] = 4  # not the default: somebody changed it
    assert not settings_match(desired, current)


def test_a_task_field_set_in_the_workspace_but_not_in_the_spec_is_a_change() -> None:
    current = _with_server_defaults(SETTINGS)
    task_b = next(t for t in current["tasks"] if t["task_key"] == "b")
    task_b["libraries"] = [{"pypi": {"package": "left-over"}}]
    assert not settings_match(SETTINGS, current)
    desired = copy.deepcopy(SETTINGS)
    del desired["tasks"][1]["depends_on"]  # the spec no longer orders b after a
    assert not settings_match(desired, _with_server_defaults(SETTINGS))


def test_duplicate_task_keys_in_the_workspace_are_a_change() -> None:
    current = _with_server_defaults(SETTINGS)
    current["tasks"] = [current["tasks"][0], copy.deepcopy(current["tasks"][0])]
    assert not settings_match(SETTINGS, current)
