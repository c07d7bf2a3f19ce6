"""Issue 12 against the strict fake: the spec's tags and run_as reach the jobs deploy
creates, a changed cluster policy is an update, and what the service fills in is not."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runner import Result
from fakes import databricks_cluster_rules
from fakes.databricks_server import FakeDatabricks

Cli = Callable[..., Result]
CHURN = Path(__file__).resolve().parents[2] / "specs" / "churn-batch"
PROD_PRINCIPAL = "66666666-7777-8888-9999-000000000000"


@pytest.fixture
def churn(tmp_path: Path) -> Path:
    folder = tmp_path / "churn-batch"
    shutil.copytree(CHURN, folder)
    return folder / "model.yaml"


def _job(fake: FakeDatabricks, name: str) -> dict[str, Any]:
    (job,) = fake.job_by_name(name)
    return job


def test_tags_and_run_as_reach_the_created_jobs(
    fake: FakeDatabricks, cli: Cli, churn: Path
) -> None:
    result = cli("deploy", churn, "--stage", "prod")
    assert result.exit_code == 0, result.output
    for name in ("churn-batch-deploy-prod", "churn-batch-batch-prod"):
        settings = _job(fake, name)["settings"]
        assert settings["tags"] == {
            "cost_center": "CC-4711",
            "team": "growth-ml",
            "mlopsgen-id": name.replace("churn-batch-", "churn-batch/").replace("-prod", "/prod"),
        }
        assert settings["run_as"] == {"service_principal_name": PROD_PRINCIPAL}
        (cluster,) = settings["job_clusters"]
        assert cluster["new_cluster"]["custom_tags"]["cost_center"] == "CC-4711"
    scoring = _job(fake, "churn-batch-batch-prod")["settings"]["job_clusters"][0]["new_cluster"]
    assert scoring["policy_id"] == "002B3C4D5E6F7081"
    assert scoring["instance_pool_id"] == "0101-000000-growth-pool"


def test_a_removed_run_as_is_not_an_update(fake: FakeDatabricks, cli: Cli, churn: Path) -> None:
    """Without run_as in the spec any run_as is the service's: its creator for a new job, and
    for this one the principal it kept (README, stages[].run_as)."""
    assert cli("deploy", churn, "--stage", "dev").exit_code == 0
    without = churn.read_text().replace(
        "    run_as: {service_principal: 11111111-2222-3333-4444-555555555555}\n", ""
    )
    churn.write_text(without)
    fake.clear_requests()
    result = cli("deploy", churn, "--stage", "dev")
    assert result.exit_code == 0, result.output
    # the service keeps a run_as once set (databricks/cli#4873): nothing deploy could change
    assert fake.mutating_calls() == [] and "0 created, 0 updated" in result.output


def test_a_changed_policy_or_run_as_is_an_update(
    fake: FakeDatabricks, cli: Cli, churn: Path
) -> None:
    assert cli("deploy", churn, "--stage", "prod").exit_code == 0
    churn.write_text(churn.read_text().replace("002B3C4D5E6F7081", "00FFEEDDCCBBAA99"))
    result = cli("deploy", churn, "--stage", "prod")
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    scoring = _job(fake, "churn-batch-batch-prod")["settings"]["job_clusters"][0]["new_cluster"]
    assert scoring["policy_id"] == "00FFEEDDCCBBAA99"
    # someone makes the deploy job run as another principal by hand: deploy puts it back
    deploy = _job(fake, "churn-batch-deploy-prod")
    deploy["settings"]["run_as"] = {
        "service_principal_name": "99999999-0000-0000-0000-000000000000"
    }
    fake.clear_requests()
    result = cli("deploy", churn, "--stage", "prod")
    assert result.exit_code == 0, result.output
    assert [r.path for r in fake.mutating_calls()] == ["/api/2.2/jobs/reset"]
    assert _job(fake, "churn-batch-deploy-prod")["settings"]["run_as"] == {
        "service_principal_name": PROD_PRINCIPAL
    }


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"tags": {f"t{i}": "v" for i in range(26)}}, "at most 25 tags"),
        ({"run_as": {}}, "exactly one of"),
        ({"run_as": {"service_principal_name": "deployer"}}, "does not exist"),
        (
            {"job_clusters": [{"new_cluster": {"custom_tags": {f"t{i}": "v" for i in range(46)}}}]},
            "at most 45 custom tags",
        ),
        (
            {"tasks": [{"new_cluster": {"init_scripts": [{"dbfs": {"destination": "dbfs:/i"}}]}}]},
            "end-of-life",
        ),
    ],
)
def test_the_fake_refuses_what_the_service_refuses(settings: dict[str, Any], refusal: str) -> None:
    assert any(refusal in p for p in databricks_cluster_rules.problems(settings))


def test_the_pr_check_runs_as_the_first_stage_with_the_tags(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    """The one-time run (runs/submit) carries the train job's run_as, and its inline cluster
    the spec's tags: runs/submit has no job tags to forward."""
    principal = "11111111-2222-3333-4444-555555555555"
    connection = "    service_connection: sc-databricks-staging\n"
    run_as = f"    run_as: {{service_principal: {principal}}}\n"
    text = spec.read_text().replace(connection, connection + run_as, 1)
    spec.write_text(text.replace("owners:", "tags: {team: ml}\nowners:", 1))
    result = cli("run", spec, "--stage", "staging", "--job", "pr-check", "--check-id", "pr-1-b-1")
    assert result.exit_code == 0, result.output
    (submit,) = fake.calls("POST", "/api/2.2/jobs/runs/submit")
    assert submit.body["run_as"] == {"service_principal_name": principal}
    (task,) = submit.body["tasks"]
    assert task["new_cluster"]["custom_tags"] == {"team": "ml"}
