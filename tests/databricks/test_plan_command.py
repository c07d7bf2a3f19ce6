"""Issue 14: `mlopsgen plan` shows what deploy would change, field by field, as text, JSON
and Markdown, read-only; exit 0 for no change, 2 for changes. `deploy --dry-run` shows the
same lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli_runner import Result
from fakes.databricks_server import FakeDatabricks

Cli = Callable[..., Result]
DEPLOY_JOB = "wine-quality-deploy-staging"


def _edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


def test_nothing_to_change_is_exit_0(fake: FakeDatabricks, cli: Cli, deployed: Path) -> None:
    result = cli("plan", deployed, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert "plan: 0 to create, 0 to update" in result.output
    assert not fake.mutating_calls()


def test_a_gate_change_is_shown_field_by_field_and_exits_2(
    fake: FakeDatabricks, cli: Cli, deployed: Path
) -> None:
    _edit(deployed, "{metric: r2, min: 0.35}", "{metric: r2, min: 0.4}")
    result = cli("plan", deployed, "--stage", "staging")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    (update,) = [line for line in lines if line.strip().startswith("update")]
    assert DEPLOY_JOB in update
    (field,) = [line for line in lines if "tasks[gate]" in line]
    assert field.strip().startswith("tasks[gate].notebook_task.base_parameters.gates: ")
    assert '"min\\":0.35' in field and '"min\\":0.4' in field
    assert not fake.mutating_calls()  # read-only
    as_json = json.loads(cli("plan", deployed, "--stage", "staging", "--format", "json").stdout)
    (change,) = as_json["changes"]
    assert (change["action"], change["target"]) == ("update", DEPLOY_JOB)
    (only,) = change["fields"]
    assert only["path"] == "tasks[gate].notebook_task.base_parameters.gates"
    assert json.loads(only["desired"])[0] == {"metric": "r2", "min": 0.4}
    markdown = cli("plan", deployed, "--stage", "staging", "--format", "markdown").stdout
    assert f"| update | job | `{DEPLOY_JOB}` |" in markdown
    assert "- `tasks[gate].notebook_task.base_parameters.gates`:" in markdown
    dry = cli("deploy", deployed, "--stage", "staging", "--dry-run")
    assert dry.exit_code == 0 and field in dry.output.splitlines()


def test_a_hand_change_in_the_workspace_is_shown_as_what_deploy_undoes(
    fake: FakeDatabricks, cli: Cli, deployed: Path
) -> None:
    (job,) = fake.job_by_name(DEPLOY_JOB)
    job["settings"]["max_concurrent_runs"] = 5  # someone edited the job in the UI
    fake.jobs_api.grants[job["job_id"]].discard(("CAN_MANAGE_RUN", "group_name", "wine-ml-oncall"))
    result = cli("plan", deployed, "--stage", "staging")
    assert result.exit_code == 2, result.output
    assert "      max_concurrent_runs: 5 -> 1" in result.output
    assert "      permissions[CAN_MANAGE_RUN group_name=wine-ml-oncall]: (none) -> " in (
        result.output
    )


def test_differences_and_settings_match_agree() -> None:
    """The field list is empty exactly when deploy would leave the job alone."""
    import copy

    from fakes.databricks_defaults import with_service_defaults
    from render.examples import EXAMPLES, example_spec

    from mlopsgen.databricks.compare import differences, settings_match
    from mlopsgen.render import render_spec
    from mlopsgen.render.job_fields import job_settings_only

    for name in EXAMPLES:
        for job in render_spec(example_spec(name)).jobs:
            desired = job_settings_only(job.settings)
            served = with_service_defaults(copy.deepcopy(desired), "someone@example.com")
            assert settings_match(desired, served) and differences(desired, served) == []
            mutations: list[Callable[[dict[str, Any]], None]] = [
                lambda s: s.update(max_concurrent_runs=7),
                lambda s: s["tasks"][0].update(timeout_seconds=1),
                lambda s: s["tags"].update(extra="x"),
                lambda s: s.update(schedule={"quartz_cron_expression": "0 0 0 * * ?"}),
            ]
            for mutate in mutations:
                changed = copy.deepcopy(served)
                mutate(changed)
                assert not settings_match(desired, changed)
                assert differences(desired, changed), (name, job.path)
