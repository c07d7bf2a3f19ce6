"""The default workspace folder is the deploying identity's home (issue 12).

All workspace users have CAN MANAGE on /Shared (Databricks, "Folder permissions"), so code
deployed there can be changed by anyone and then runs as the deploying service principal.
Databricks Asset Bundles deploy under `/Users/${workspace.current_user.userName}` for the same
reason; mlopsgen renders that placeholder and `deploy`/`run` resolve it from SCIM `Me` (a
service principal's user name is its application ID, its home `/Users/<application ID>`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_server import FakeDatabricks

from mlopsgen import layout
from mlopsgen.databricks.target import for_user
from mlopsgen.errors import MlopsgenError

Cli = Callable[..., Result]
SP = "6f1c2b8e-3d4a-4b5c-9e8f-0a1b2c3d4e5f"  # a service principal's application ID
ME = "/api/2.0/preview/scim/v2/Me"


def _sent(fake: FakeDatabricks) -> str:
    return json.dumps([r.body for r in fake.mutating_calls()])


@pytest.mark.parametrize("user", ["someone@example.com", SP])
def test_deploy_puts_everything_in_the_deploying_identitys_home(
    fake: FakeDatabricks, cli: Cli, spec: Path, user: str
) -> None:
    fake.user_name = user
    fake.jobs_api.principals.add(("user_name", user))
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    home = f"/Users/{user}/mlopsgen/wine-quality"
    assert f"stage staging: {fake.url} {home}" in result.output
    assert len(fake.calls("GET", ME)) == 1
    assert fake.workspace.objects[f"{home}/notebooks/gate"].object_type == "NOTEBOOK"
    (train,) = fake.job_by_name("wine-quality-train")
    paths = [t["notebook_task"]["notebook_path"] for t in train["settings"]["tasks"]]
    assert paths == [f"{home}/notebooks/train", f"{home}/notebooks/candidate"]
    assert "${" not in _sent(fake)  # no placeholder reaches the workspace
    assert not [p for p in fake.workspace.objects if p.startswith("/Shared")]
    # and a second deploy sees the same paths: nothing to do
    fake.clear_requests()
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    assert not fake.mutating_calls()


def test_the_pr_check_uploads_into_the_home_too(fake: FakeDatabricks, cli: Cli, spec: Path) -> None:
    args = ("run", spec, "--stage", "staging", "--job", "pr-check", "--check-id", "pr-1-b-1")
    result = cli(*args)
    assert result.exit_code == 0, result.output
    (submit,) = fake.calls("POST", "/api/2.2/jobs/runs/submit")
    (task,) = submit.body["tasks"]
    home = "/Users/someone@example.com/mlopsgen/wine-quality"
    assert task["notebook_task"]["notebook_path"] == f"{home}/pr-check/pr-1-b-1/notebooks/train"
    assert "${" not in json.dumps(submit.body)


def test_a_shared_folder_deploys_with_a_warning_and_asks_nobody_who_it_is(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    text = spec.read_text()
    spec.write_text(
        text.replace(
            "    service_connection: sc-databricks-staging\n",
            "    service_connection: sc-databricks-staging\n"
            "    workspace_folder: /Shared/wine-quality\n",
        )
    )
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert "warning: stage staging deploys to /Shared/wine-quality" in result.output
    assert not fake.calls("GET", ME)
    assert fake.workspace.objects["/Shared/wine-quality/notebooks/gate"]


def test_a_user_name_that_is_not_one_is_refused() -> None:
    from render.examples import example_spec

    from mlopsgen.databricks.target import Target
    from mlopsgen.render import render_spec

    spec = example_spec("wine-quality")
    target = Target(spec, spec.stages[0], Path("."), render_spec(spec))
    assert layout.CURRENT_USER in target.stage.workspace_folder
    with pytest.raises(MlopsgenError, match="not a user name"):
        for_user(target, "../../Shared")
    resolved = for_user(target, "ana@wine.example")
    assert layout.CURRENT_USER not in json.dumps([j.settings for j in resolved.rendered.jobs])
    assert resolved.stage.workspace_folder == "/Users/ana@wine.example/mlopsgen/wine-quality"
