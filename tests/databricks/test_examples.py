"""Every example spec deploys to every stage of the strict fake, and twice is a no-op."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_runs import RunScript
from fakes.databricks_server import FakeDatabricks

from mlopsgen.spec.compile import compile_spec

Cli = Callable[..., Result]
SPECS = sorted((Path(__file__).resolve().parents[2] / "specs").glob("*/model.yaml"))


@pytest.mark.parametrize("example", SPECS, ids=lambda p: p.parent.name)
def test_every_stage_deploys_and_redeploys_as_a_no_op(
    fake: FakeDatabricks, cli: Cli, example: Path, tmp_path: Path
) -> None:
    folder = tmp_path / example.parent.name
    shutil.copytree(example.parent, folder)
    compiled = compile_spec(folder / "model.yaml").spec
    assert compiled is not None
    for stage in compiled.stages:
        first = cli("deploy", folder / "model.yaml", "--stage", stage.name)
        assert first.exit_code == 0, first.output
    fake.clear_requests()
    for stage in compiled.stages:
        again = cli("deploy", folder / "model.yaml", "--stage", stage.name)
        assert again.exit_code == 0, again.output
        assert "0 created, 0 updated" in again.output
    assert fake.mutating_calls() == []
    identities = sorted(j["settings"]["tags"]["mlopsgen-id"] for j in fake.jobs.values())
    assert len(identities) == len(set(identities))


def test_batch_job_runs(fake: FakeDatabricks, cli: Cli, tmp_path: Path) -> None:
    example = next(p for p in SPECS if p.parent.name == "churn-batch")
    folder = tmp_path / "churn-batch"
    shutil.copytree(example.parent, folder)
    compiled = compile_spec(folder / "model.yaml").spec
    assert compiled is not None and compiled.serving is not None
    stage = compiled.stages[-1].name
    assert cli("deploy", folder / "model.yaml", "--stage", stage).exit_code == 0
    fake.script_runs(RunScript())
    result = cli("run", folder / "model.yaml", "--stage", stage, "--job", "batch")
    assert result.exit_code == 0, result.output
    (run_now,) = fake.calls("POST", "/api/2.2/jobs/run-now")
    (batch,) = [j for j in fake.jobs.values() if j["settings"]["name"].endswith(f"batch-{stage}")]
    assert run_now.body["job_id"] == batch["job_id"]
