"""`mlopsgen deploy` against the fake workspace with the real SDK."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_server import FakeDatabricks

Cli = Callable[..., Result]

FOLDER = "/Users/someone@example.com/mlopsgen/wine-quality"  # the deploying identity's home
RUNTIME_FOLDER = f"{FOLDER}/notebooks/mlopsgen_runtime"
RUNTIME_MODULES = sorted(
    p.name for p in (Path(__file__).parents[2] / "mlopsgen" / "runtime").glob("*.py")
)
WRITES = ("/api/2.2/jobs/create", "/api/2.2/jobs/reset", "/api/2.0/workspace/import")


def _writes(fake: FakeDatabricks) -> list[str]:
    return [r.path for r in fake.mutating_calls()]


def test_first_deploy_creates_jobs_and_uploads(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    names = sorted(j["settings"]["name"] for j in fake.jobs.values())
    assert names == ["wine-quality-deploy-staging", "wine-quality-train"]
    objects = fake.workspace.objects
    assert objects[f"{FOLDER}/notebooks/gate"].object_type == "NOTEBOOK"
    assert objects[f"{FOLDER}/notebooks/train"].object_type == "NOTEBOOK"
    assert objects[RUNTIME_FOLDER].object_type == "DIRECTORY"
    runtime = sorted(p for p in objects if p.startswith(f"{RUNTIME_FOLDER}/"))
    assert [p.rsplit("/", 1)[1] for p in runtime] == RUNTIME_MODULES
    assert {objects[p].object_type for p in runtime} == {"FILE"}  # importable, not notebooks
    assert objects[f"{FOLDER}/tests/sample_request.json"].object_type == "FILE"
    assert (
        fake.workspace.content(f"{FOLDER}/notebooks/train")
        == (spec.parent / "notebooks/train.py").read_text()
    )
    assert "plan: " in result.output and "deployed: " in result.output


def test_the_runtime_folder_is_made_before_its_files_are_imported(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    # workspace/import does not create parents (the fake refuses, as the service does)
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    workspace = [r for r in fake.mutating_calls() if r.path.startswith("/api/2.0/workspace/")]
    calls = [(r.path.rsplit("/", 1)[1], r.body["path"]) for r in workspace]
    made = calls.index(("mkdirs", RUNTIME_FOLDER))
    imported = [
        i for i, (verb, path) in enumerate(calls) if verb == "import" and RUNTIME_FOLDER in path
    ]
    assert len(imported) == len(RUNTIME_MODULES) and made < min(imported)


def test_later_stage_gets_only_its_own_jobs(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    assert cli("deploy", spec, "--stage", "production").exit_code == 0
    names = sorted(j["settings"]["name"] for j in fake.jobs.values())
    assert names == ["wine-quality-deploy-production"]
    assert f"{FOLDER}/notebooks/train" not in fake.workspace.objects


def test_second_deploy_changes_nothing(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    fake.clear_requests()
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert _writes(fake) == []
    assert "0 created, 0 updated" in result.output


def test_changed_spec_updates_the_same_job(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (train_id,) = [j["job_id"] for j in fake.job_by_name("wine-quality-train")]
    spec.write_text(spec.read_text().replace('alpha: "0.5"', 'alpha: "0.7"'))
    fake.clear_requests()
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    resets = fake.calls("POST", "/api/2.2/jobs/reset")
    assert [r.body["job_id"] for r in resets] == [train_id]
    assert not fake.calls("POST", "/api/2.2/jobs/create")
    params = fake.jobs[train_id]["settings"]["tasks"][0]["notebook_task"]["base_parameters"]
    assert params["alpha"] == "0.7"


def test_a_training_schedule_left_by_an_older_release_is_removed(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    """Issue 10.9: `schedule:` now starts the pipeline, so the training job has none; a job an
    older release deployed with the spec's schedule (Quartz, on Databricks) loses it. The
    schedule is a managed field (render/job_fields.py): held by the workspace, not set by the
    spec, it is a change, and `jobs/reset` replaces all of a job's settings ("Overwrite all
    settings for the given job"; the new settings "completely replace the old settings":
    Databricks REST API reference, POST /api/2.2/jobs/reset)."""
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (train,) = fake.job_by_name("wine-quality-train")
    assert "schedule" not in train["settings"]
    train["settings"]["schedule"] = {  # what mlopsgen rendered before issue 10.9
        "quartz_cron_expression": "0 0 3 ? * 2",
        "timezone_id": "Europe/Berlin",
        "pause_status": "UNPAUSED",
    }
    fake.clear_requests()
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert f"update     job       wine-quality-train (job {train['job_id']})" in result.output
    (reset,) = fake.calls("POST", "/api/2.2/jobs/reset")
    assert reset.body["job_id"] == train["job_id"]
    assert "schedule" not in reset.body["new_settings"]
    assert "schedule" not in fake.jobs[train["job_id"]]["settings"]
    fake.clear_requests()
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    assert _writes(fake) == []  # gone for good: the next deploy changes nothing


def test_a_paused_schedule_left_on_the_training_job_is_removed_too(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (train,) = fake.job_by_name("wine-quality-train")
    train["settings"]["schedule"] = {
        "quartz_cron_expression": "0 30 2 1 * ?",
        "timezone_id": "America/New_York",
        "pause_status": "PAUSED",
    }
    fake.clear_requests()
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    assert len(fake.calls("POST", "/api/2.2/jobs/reset")) == 1
    assert "schedule" not in fake.jobs[train["job_id"]]["settings"]


def test_edited_notebook_in_workspace_is_uploaded_again(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    fake.workspace.objects[f"{FOLDER}/notebooks/gate"].content = b"# edited by hand\n"
    fake.clear_requests()
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    imports = [r.body["path"] for r in fake.calls("POST", "/api/2.0/workspace/import")]
    assert imports == [f"{FOLDER}/notebooks/gate"]


def test_same_name_other_identity_is_left_alone(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    foreign = {"name": "wine-quality-train", "tags": {"mlopsgen-id": "someone-else/train"}}
    foreign_id = fake.add_job(foreign)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert fake.jobs[foreign_id]["settings"] == foreign
    ours = [j for j in fake.job_by_name("wine-quality-train") if j["job_id"] != foreign_id]
    assert len(ours) == 1
    assert ours[0]["settings"]["tags"] == {"mlopsgen-id": "wine-quality/train"}
    assert f"left alone job       wine-quality-train (job {foreign_id}" in result.output
    assert all(r.body["job_id"] != foreign_id for r in fake.calls("POST", "/api/2.2/jobs/reset"))


def test_two_jobs_with_our_identity_stop_the_deploy(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    ours = {"name": "wine-quality-train", "tags": {"mlopsgen-id": "wine-quality/train"}}
    first, second = fake.add_job(ours), fake.add_job(ours)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    assert f"jobs {first}, {second} are all named 'wine-quality-train'" in result.output
    assert _writes(fake) == []


def test_dry_run_touches_nothing(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    result = cli("deploy", spec, "--stage", "staging", "--dry-run")
    assert result.exit_code == 0, result.output
    assert _writes(fake) == []
    assert "create     job       wine-quality-train" in result.output
    assert f"create     notebook  {FOLDER}/notebooks/gate" in result.output
    assert "dry run: nothing was changed" in result.output


def test_dry_run_after_deploy_reports_unchanged(cli: Cli, spec: Path) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    result = cli("deploy", spec, "--stage", "staging", "--dry-run")
    assert "unchanged  job       wine-quality-train" in result.output
    assert "plan: 0 to create, 0 to update" in result.output


def test_invalid_spec_prints_diagnostics(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    spec.write_text(spec.read_text().replace("name: wine-quality\n", "name: 7\n", 1))
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    assert "model.yaml:" in result.output and "error[" in result.output
    assert fake.calls() == []


def test_unknown_stage_is_a_usage_error(cli: Cli, spec: Path) -> None:
    result = cli("deploy", spec, "--stage", "qa")
    assert result.exit_code == 2
    assert "no such stage" in result.output and "staging, production" in result.output


def test_pipeline_style_env_with_explicit_pat_auth_type(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated pipeline maps DATABRICKS_TOKEN with DATABRICKS_AUTH_TYPE=pat."""
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "pat")
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert len(fake.jobs) == 2


def test_identity_comes_from_jobs_get_not_the_list_summary(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    """jobs/list settings are a summary; the identity tag is read with jobs/get."""
    fake.jobs_api.list_hides = ("tags",)
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    fake.clear_requests()
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert _writes(fake) == [] and len(fake.jobs) == 2


def test_a_task_setting_added_in_the_workspace_is_reset(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (train,) = fake.job_by_name("wine-quality-train")
    (candidate,) = [t for t in train["settings"]["tasks"] if t["task_key"] == "candidate"]
    assert "retry_on_timeout" not in candidate
    pins = candidate["libraries"]  # the runtime's pinned MLflow and SDK
    candidate["retry_on_timeout"] = True
    candidate["libraries"] = [{"pypi": {"package": "edited-in-ui"}}]
    fake.clear_requests()
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (reset,) = fake.calls("POST", "/api/2.2/jobs/reset")
    assert reset.body["job_id"] == train["job_id"]
    (sent,) = [t for t in reset.body["new_settings"]["tasks"] if t["task_key"] == "candidate"]
    assert "retry_on_timeout" not in sent and sent["libraries"] == pins


def test_notebook_without_header_is_unchanged_when_exported_with_one(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    notebook = spec.parent / "notebooks" / "train.py"
    notebook.write_text(notebook.read_text().removeprefix("# Databricks notebook source\n"))
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    fake.clear_requests()
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    assert _writes(fake) == []
