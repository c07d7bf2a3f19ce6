"""Job permissions as code (issue 12): deploy grants the spec's CAN_VIEW and CAN_MANAGE_RUN
principals and keeps them in sync, like every other managed field.

The fake workspace enforces what the service documents: jobs/create takes an
access_control_list, jobs/reset does not (its new_settings is a JobSettings); PUT
/api/2.0/permissions/jobs/{id} replaces every direct grant and a job keeps exactly one owner,
never a group (Databricks REST API, Jobs and Permissions; "Jobs access control").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Result
from fakes.databricks_jobs import CREATOR
from fakes.databricks_server import FakeDatabricks

Cli = Callable[..., Result]
TRAIN = "wine-quality-train"
PERMISSIONS = re.compile(r"/api/2\.0/permissions/jobs/\d+")
ONCALL = ("CAN_MANAGE_RUN", "group_name", "wine-ml-oncall")
SCIENCE = ("CAN_VIEW", "group_name", "wine-data-science")
OWNER = ("IS_OWNER", "user_name", CREATOR)


def _grants(fake: FakeDatabricks, name: str = TRAIN) -> set[tuple[str, str, str]]:
    (job,) = fake.job_by_name(name)
    return fake.jobs_api.grants[job["job_id"]]


def _puts(fake: FakeDatabricks) -> list[Any]:
    return [r for r in fake.requests if r.method == "PUT" and PERMISSIONS.fullmatch(r.path)]


def _edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


def test_a_new_job_is_created_with_the_specs_permissions(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    create = next(c for c in fake.calls("POST", "/api/2.2/jobs/create"))
    assert create.body["access_control_list"] == [
        {"group_name": "wine-ml-oncall", "permission_level": "CAN_MANAGE_RUN"},
        {"group_name": "wine-data-science", "permission_level": "CAN_VIEW"},
    ]
    assert _grants(fake) == {OWNER, ONCALL, SCIENCE}
    assert not _puts(fake)  # create carried them


def test_an_unchanged_redeploy_touches_neither_settings_nor_permissions(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    fake.clear_requests()
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert not fake.mutating_calls() and not _puts(fake)
    assert any(r.method == "GET" and PERMISSIONS.fullmatch(r.path) for r in fake.requests)


def test_changed_permissions_are_put_keeping_the_owner_and_a_manual_can_manage(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    fake.jobs_api.principals |= {("group_name", "ml-platform"), ("user_name", "ana@wine.example")}
    # by hand in the workspace: CAN_MANAGE for the platform team (kept: not the spec's
    # business) and CAN_VIEW for ana (removed: CAN_VIEW is managed by the spec)
    _grants(fake).update({("CAN_MANAGE", "group_name", "ml-platform")})
    _grants(fake).update({("CAN_VIEW", "user_name", "ana@wine.example")})
    _edit(spec, "can_view: [{group: wine-data-science}]", "can_view: []")
    fake.clear_requests()
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    reset = next(c for c in fake.calls("POST", "/api/2.2/jobs/reset"))
    assert "access_control_list" not in reset.body["new_settings"]
    assert _grants(fake) == {OWNER, ONCALL, ("CAN_MANAGE", "group_name", "ml-platform")}
    assert len(_puts(fake)) == 2  # train and deploy-staging


def test_permissions_changed_by_hand_alone_are_a_change(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    _grants(fake).discard(ONCALL)
    result = cli("deploy", spec, "--stage", "staging", "--dry-run")
    assert result.exit_code == 0
    assert re.search(rf"update\s+job\s+{TRAIN}", result.output), result.output
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    assert ONCALL in _grants(fake)


def test_a_principal_the_workspace_does_not_know_fails_the_deploy_in_one_line(
    cli: Cli, spec: Path
) -> None:
    _edit(spec, "{group: wine-ml-oncall}", "{group: wine-ml-on-call}")
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1
    (line,) = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert "wine-ml-on-call" in line and "does not exist" in line


def test_the_pr_check_run_carries_the_permissions(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    result = cli("run", spec, "--stage", "staging", "--job", "pr-check", "--check-id", "pr-1-b-1")
    assert result.exit_code == 0, result.output
    (submit,) = fake.calls("POST", "/api/2.2/jobs/runs/submit")
    assert {"group_name": "wine-ml-oncall", "permission_level": "CAN_MANAGE_RUN"} in submit.body[
        "access_control_list"
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"access_control_list": [{"group_name": "users", "permission_level": "CAN_VIEW"}]},
            "owner",
        ),
        (
            {"access_control_list": [{"group_name": "admins", "permission_level": "IS_OWNER"}]},
            "group cannot be the owner",
        ),
        (
            {
                "access_control_list": [
                    {"user_name": CREATOR, "permission_level": "IS_OWNER"},
                    {"group_name": "users", "permission_level": "CAN_EDIT"},
                ]
            },
            "is not one of",
        ),
    ],
)
def test_the_fake_refuses_what_the_service_refuses(
    fake: FakeDatabricks, cli: Cli, spec: Path, body: dict[str, Any], message: str
) -> None:
    """The double is no more lenient than the service (strictness of the double itself)."""
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (job,) = fake.job_by_name(TRAIN)
    status, answer, _ = fake.handle(
        "PUT",
        f"/api/2.0/permissions/jobs/{job['job_id']}",
        {"authorization": f"Bearer {fake.token}"},
        json.dumps(body).encode(),
    )
    assert status == 400 and message in answer["message"]
    status, answer, _ = fake.handle(
        "POST",
        "/api/2.2/jobs/reset",
        {"authorization": f"Bearer {fake.token}"},
        json.dumps({"job_id": job["job_id"], "new_settings": {"name": TRAIN, **body}}).encode(),
    )
    assert status == 400  # reset's new_settings has no access_control_list
