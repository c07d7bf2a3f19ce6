"""`deploy` converges to exactly one job per identity, whatever the network does (issue 11).

jobs/create is not idempotent, and databricks-sdk retries it after a dropped connection or a
503 (its `_is_retryable`: requests' ConnectionError and 429/503), also when the job was in
fact created before the answer was lost; two deploys may race on a new workspace. The fake
injects each of these: answers lost after the change took effect, a dropped connection, a
client creating the same job at the same moment, two deploy processes at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_server import RESET, FakeDatabricks

Cli = Callable[..., Result]
CREATE = "/api/2.2/jobs/create"
JOBS = ("wine-quality-train", "wine-quality-deploy-staging")


def ours(fake: FakeDatabricks, name: str) -> list[int]:
    return sorted(j["job_id"] for j in fake.job_by_name(name))


def assert_one_job_each(fake: FakeDatabricks) -> None:
    for name in JOBS:
        assert len(ours(fake, name)) == 1, (name, ours(fake, name))


@pytest.mark.parametrize("status", [503, RESET])
def test_a_lost_answer_to_create_leaves_one_job(
    fake: FakeDatabricks, cli: Cli, spec: Path, status: int
) -> None:
    """The job is created, the answer is lost, the SDK sends the create again."""
    fake.fail_next(CREATE, status, after_commit=True, retry_after=0)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert len(fake.calls("POST", CREATE)) == len(JOBS) + 1  # the SDK did retry
    assert_one_job_each(fake)
    assert "deleted duplicate job" in result.output or "kept job" in result.output
    again = cli("deploy", spec, "--stage", "staging")  # and the workspace is healthy
    assert again.exit_code == 0 and "0 created, 0 updated" in again.output


@pytest.mark.parametrize(
    ("moment", "outcome"),
    [
        (("POST", "/api/2.0/workspace/import"), "adopted job"),  # after our plan
        (("POST", CREATE), "kept job"),  # after our last look, before our create
    ],
)
def test_a_job_created_meanwhile_is_adopted(
    fake: FakeDatabricks, cli: Cli, spec: Path, moment: tuple[str, str], outcome: str
) -> None:
    """Another deploy creates the same job while ours is running."""
    from mlopsgen.databricks.target import make_target
    from mlopsgen.render.artifacts import JobFile
    from mlopsgen.spec.compile import compile_spec

    compiled = compile_spec(spec)
    assert compiled.spec is not None
    train: JobFile | None = make_target(compiled.spec, spec, "staging").job("train")
    assert train is not None
    foreign = dict(train.settings) | {"max_concurrent_runs": 3}  # a different version's

    def another_deploy() -> None:
        fake.add_job(foreign)

    fake.before_next(*moment, another_deploy)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert outcome in result.output
    assert_one_job_each(fake)
    (job,) = fake.job_by_name("wine-quality-train")
    assert job["settings"]["max_concurrent_runs"] == 1  # our settings won


def test_a_create_that_never_happened_is_an_error(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPSGEN_RETRY_TIMEOUT_SECONDS", "1")
    fake.fail_next(CREATE, 503, times=1000, retry_after=0)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 1 and "creating job" in result.output
    assert fake.job_by_name("wine-quality-train") == []


def test_existing_duplicates_stop_the_deploy_until_repaired(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    assert cli("deploy", spec, "--stage", "staging").exit_code == 0
    (train,) = fake.job_by_name("wine-quality-train")
    duplicate = fake.add_job(train["settings"])
    stopped = cli("deploy", spec, "--stage", "staging")
    assert stopped.exit_code == 1 and "--repair-duplicates" in stopped.output
    assert ours(fake, "wine-quality-train") == [train["job_id"], duplicate]
    run = cli("run", spec, "--stage", "staging", "--job", "train")
    assert run.exit_code == 1 and "--repair-duplicates" in run.output
    dry = cli("deploy", spec, "--stage", "staging", "--repair-duplicates", "--dry-run")
    assert dry.exit_code == 0 and f"delete     job       wine-quality-train (job {duplicate})" in (
        dry.output
    )
    assert ours(fake, "wine-quality-train") == [train["job_id"], duplicate]
    repaired = cli("deploy", spec, "--stage", "staging", "--repair-duplicates")
    assert repaired.exit_code == 0, repaired.output
    assert ours(fake, "wine-quality-train") == [train["job_id"]]  # the oldest is kept
    assert "1 duplicate job(s) deleted" in repaired.output


def test_two_deploys_at_once_leave_one_job_each(fake: FakeDatabricks, spec: Path) -> None:
    """Two processes deploy the same spec to a new workspace at the same time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env |= fake.env() | {
        "DATABRICKS_CONFIG_FILE": os.devnull,
        "MLOPSGEN_RETRY_TIMEOUT_SECONDS": "5",
    }
    command = [sys.executable, "-m", "mlopsgen", "deploy", str(spec), "--stage", "staging"]
    for _ in range(3):  # a few rounds: the race needs both to plan before either creates
        for name in JOBS:
            for job_id in ours(fake, name):
                fake.jobs.pop(job_id)
        procs = [
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert_one_job_each(fake)


def test_a_slow_answer_to_create_leaves_one_job(
    fake: FakeDatabricks, cli: Cli, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer comes after the SDK stopped waiting: it sends the create again."""
    monkeypatch.setenv("MLOPSGEN_HTTP_TIMEOUT_SECONDS", "1")
    fake.fail_next(CREATE, 200, after_commit=True, delay=2.5)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    assert len(fake.calls("POST", CREATE)) == len(JOBS) + 1  # the SDK did send it again
    assert_one_job_each(fake)
