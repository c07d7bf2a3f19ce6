"""The fake Databricks server answers the real SDK the way the service does (strictly)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TypeVar

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    ResourceDoesNotExist,
    Unauthenticated,
)
from databricks.sdk.service import jobs, serving, workspace
from fakes.databricks_runs import RunScript
from fakes.databricks_server import FakeDatabricks

T = TypeVar("T")


@pytest.fixture
def client(fake: FakeDatabricks) -> WorkspaceClient:
    return WorkspaceClient(config=fake.config())


def _present(value: T | None) -> T:
    """The SDK types every response field as optional; these tests expect this one set."""
    assert value is not None
    return value


def _task(key: str = "t") -> jobs.Task:
    notebook = jobs.NotebookTask(notebook_path="/Shared/x")
    return jobs.Task(task_key=key, notebook_task=notebook, existing_cluster_id="c-1")


def test_unknown_fields_and_wrong_types_are_400(client: WorkspaceClient) -> None:
    body = {"name": "x", "bogus": 1, "max_concurrent_runs": "1", "tasks": [{"task_key": 3}]}
    with pytest.raises(InvalidParameterValue) as err:
        client.api_client.do("POST", "/api/2.2/jobs/create", body=body)
    message = str(err.value)
    assert "bogus: unknown field" in message
    assert "max_concurrent_runs: expected int" in message
    assert "tasks[0].task_key: expected str" in message


def test_unknown_enum_value_is_400(client: WorkspaceClient) -> None:
    body = {
        "name": "x",
        "schedule": {
            "quartz_cron_expression": "0 0 3 ? * 2",
            "timezone_id": "UTC",
            "pause_status": "MAYBE",
        },
    }
    with pytest.raises(InvalidParameterValue, match="pause_status"):
        client.api_client.do("POST", "/api/2.2/jobs/create", body=body)


def test_reset_rejects_access_control_list(client: WorkspaceClient) -> None:
    job_id = _present(client.jobs.create(name="x", tasks=[_task()]).job_id)
    body = {"job_id": job_id, "new_settings": {"name": "x", "access_control_list": []}}
    with pytest.raises(InvalidParameterValue, match="access_control_list"):
        client.api_client.do("POST", "/api/2.2/jobs/reset", body=body)


def test_list_filters_by_name_case_insensitively_and_paginates(
    fake: FakeDatabricks, client: WorkspaceClient
) -> None:
    fake.jobs_api.page_size = 2
    ids = [_present(client.jobs.create(name="Same", tasks=[_task()]).job_id) for _ in range(5)]
    client.jobs.create(name="other", tasks=[_task()])
    found = [_present(j.job_id) for j in client.jobs.list(name="same")]
    assert sorted(found) == sorted(ids)
    assert len(fake.calls("GET", "/api/2.2/jobs/list")) == 3
    assert all(not _present(j.settings).tasks for j in client.jobs.list(name="same"))


def test_scripted_failure_reports_task_error(fake: FakeDatabricks, client: WorkspaceClient) -> None:
    job_id = _present(client.jobs.create(name="x", tasks=[_task("a"), _task("b")]).job_id)
    fake.script_runs(
        RunScript(result="FAILED", steps=(), failing_task="b", error="ValueError: bad")
    )
    run = client.jobs.run_now(job_id).result(timeout=timedelta(seconds=30))
    assert _present(run.state).result_state == jobs.RunResultState.FAILED
    tasks = _present(run.tasks)
    states = {t.task_key: _present(t.state).result_state for t in tasks}
    assert states == {"a": jobs.RunResultState.SUCCESS, "b": jobs.RunResultState.FAILED}
    failing = next(t for t in tasks if t.task_key == "b")
    assert client.jobs.get_run_output(_present(failing.run_id)).error == "ValueError: bad"
    with pytest.raises(InvalidParameterValue, match="multiple tasks"):
        client.jobs.get_run_output(_present(run.run_id))


def test_held_run_ends_only_when_cancelled(fake: FakeDatabricks, client: WorkspaceClient) -> None:
    job_id = _present(client.jobs.create(name="x", tasks=[_task()]).job_id)
    fake.script_runs(RunScript(hold=True))
    run_id: int = client.jobs.run_now(job_id).run_id
    for _ in range(4):
        state = _present(client.jobs.get_run(run_id).state)
        assert state.life_cycle_state == jobs.RunLifeCycleState.PENDING or (
            state.life_cycle_state == jobs.RunLifeCycleState.RUNNING
        )
    client.jobs.cancel_run(run_id)
    assert _present(client.jobs.get_run(run_id).state).result_state == jobs.RunResultState.CANCELED


def test_workspace_import_needs_parent_and_round_trips(client: WorkspaceClient) -> None:
    content = base64.b64encode(b"# Databricks notebook source\nprint(1)\n").decode()
    fmt, lang = workspace.ImportFormat.SOURCE, workspace.Language.PYTHON
    with pytest.raises(ResourceDoesNotExist, match="parent folder"):
        client.workspace.import_("/Shared/a/nb", content=content, format=fmt, language=lang)
    client.workspace.mkdirs("/Shared/a")
    client.workspace.import_("/Shared/a/nb", content=content, format=fmt, language=lang)
    exported = client.workspace.export("/Shared/a/nb", format=workspace.ExportFormat.SOURCE)
    assert exported.content == content
    info = client.workspace.get_status("/Shared/a/nb")
    assert info.object_type == workspace.ObjectType.NOTEBOOK
    with pytest.raises(NotFound):
        client.workspace.get_status("/Shared/a/missing")


def test_serving_waiters_reach_ready(client: WorkspaceClient) -> None:
    entity = serving.ServedEntityInput(
        entity_name="main.ml.m",
        entity_version="1",
        workload_size="Small",
        scale_to_zero_enabled=True,
    )
    config = serving.EndpointCoreConfigInput(name="ep", served_entities=[entity])
    created = client.serving_endpoints.create(name="ep", config=config).result()
    assert _present(created.state).ready == serving.EndpointStateReady.READY
    entity.entity_version = "2"
    updated = client.serving_endpoints.update_config(name="ep", served_entities=[entity]).result()
    assert _present(_present(updated.config).served_entities)[0].entity_version == "2"
    assert _present(updated.state).config_update == serving.EndpointStateConfigUpdate.NOT_UPDATING


def test_injected_429_is_retried_and_401_403_surface(
    fake: FakeDatabricks, client: WorkspaceClient
) -> None:
    job_id = _present(client.jobs.create(name="x", tasks=[_task()]).job_id)
    fake.fail_next("/api/2.2/jobs/get", 429, retry_after=0)
    assert client.jobs.get(job_id).job_id == job_id
    assert len(fake.calls("GET", "/api/2.2/jobs/get")) == 2
    fake.fail_next("/api/2.2/jobs/get", 403)
    with pytest.raises(PermissionDenied):
        client.jobs.get(job_id)
    fake.fail_next("/api/2.2/jobs/get", 401)
    with pytest.raises(Unauthenticated):
        client.jobs.get(job_id)


def test_idempotency_token_returns_the_same_run(
    fake: FakeDatabricks, client: WorkspaceClient
) -> None:
    job_id = _present(client.jobs.create(name="x", tasks=[_task()]).job_id)
    # Wait.run_id is untyped in the SDK (its __getattr__ is annotated with the builtin `any`).
    first: int = client.jobs.run_now(job_id, idempotency_token="t-1").run_id
    again: int = client.jobs.run_now(job_id, idempotency_token="t-1").run_id
    other: int = client.jobs.run_now(job_id, idempotency_token="t-2").run_id
    assert first == again != other
    assert len(fake.runs) == 2


def test_get_reports_service_defaults_and_pages_many_tasks(client: WorkspaceClient) -> None:
    tasks = [_task(f"t{i:03}") for i in range(150)]
    job_id = _present(client.jobs.create(name="big", tasks=tasks, max_concurrent_runs=2).job_id)
    typed = _present(client.jobs.get(job_id).settings)  # the SDK follows next_page_token
    assert [t.task_key for t in _present(typed.tasks)] == [t.task_key for t in tasks]
    raw = client.api_client.do("GET", "/api/2.2/jobs/get", query={"job_id": job_id})
    assert len(raw["settings"]["tasks"]) == 100 and raw["next_page_token"]
    settings = raw["settings"]
    assert settings["format"] == "MULTI_TASK" and settings["email_notifications"] == {}
    assert settings["timeout_seconds"] == 0 and settings["max_concurrent_runs"] == 2
    assert settings["tasks"][0]["run_if"] == "ALL_SUCCESS"
    assert settings["tasks"][0]["notebook_task"]["source"] == "WORKSPACE"


def test_notebook_export_always_has_the_source_header(client: WorkspaceClient) -> None:
    client.workspace.mkdirs("/Shared/a")
    plain = base64.b64encode(b"print(1)\n").decode()
    fmt, lang = workspace.ImportFormat.SOURCE, workspace.Language.PYTHON
    client.workspace.import_("/Shared/a/nb", content=plain, format=fmt, language=lang)
    exported = client.workspace.export("/Shared/a/nb", format=workspace.ExportFormat.SOURCE)
    assert base64.b64decode(exported.content or "") == b"# Databricks notebook source\nprint(1)\n"


def test_auto_import_of_a_py_file_without_header_is_a_file(client: WorkspaceClient) -> None:
    client.workspace.mkdirs("/Shared/a")
    content = base64.b64encode(b"X = 1\n").decode()
    auto = workspace.ImportFormat.AUTO
    client.workspace.import_("/Shared/a/mod.py", content=content, format=auto, overwrite=True)
    info = client.workspace.get_status("/Shared/a/mod.py")
    assert info.object_type == workspace.ObjectType.FILE
    exported = client.workspace.export("/Shared/a/mod.py", format=workspace.ExportFormat.AUTO)
    assert exported.content == content
