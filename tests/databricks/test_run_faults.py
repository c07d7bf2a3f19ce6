"""`run` never loses a run it started (issue 11).

A glitch while following (a 500, a gateway's HTML page, a dropped connection) is tried
again; after several in a row the run is cancelled, never left running unwatched (a pipeline
retry would then start a second training run). A start whose answer is garbled is sent again
with the same idempotency token, which makes the service return the run it already started.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Result
from fakes.databricks_runs import RunScript
from fakes.databricks_server import RESET, FakeDatabricks

Cli = Callable[..., Result]
RUNS_GET = "/api/2.2/jobs/runs/get"
RUN_NOW = "/api/2.2/jobs/run-now"
VERSION_3 = {"candidate": json.dumps({"model_version": "3"})}


@pytest.mark.parametrize(("status", "html"), [(500, False), (502, True), (RESET, False)])
def test_a_glitch_while_following_is_tried_again(
    fake: FakeDatabricks, cli: Cli, deployed: Path, status: int, html: bool
) -> None:
    fake.script_runs(RunScript(notebook_results=VERSION_3))
    fake.fail_next(RUNS_GET, status, times=2, html=html)
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 0, result.output
    # a dropped connection is retried inside the SDK; other glitches by `run` itself
    assert ("trying again" in result.output) == (status != RESET)
    assert len(fake.calls("GET", RUNS_GET)) >= 4
    assert len(fake.calls("POST", RUN_NOW)) == 1 and len(fake.runs) == 1
    assert fake.calls("POST", "/api/2.2/jobs/runs/cancel") == []


def test_a_run_that_cannot_be_followed_is_cancelled(
    fake: FakeDatabricks, cli: Cli, deployed: Path
) -> None:
    fake.script_runs(RunScript(hold=True))
    fake.fail_next(RUNS_GET, 500, times=100)
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 1
    assert "lost contact with run" in result.output and "it was cancelled" in result.output
    (run,) = fake.runs.values()
    assert run.cancelled


@pytest.mark.parametrize("html", [False, True])
def test_a_garbled_answer_to_run_now_does_not_start_a_second_run(
    fake: FakeDatabricks, cli: Cli, deployed: Path, html: bool
) -> None:
    """The run starts, the answer is garbled (a 200 of the wrong shape, or a gateway page
    after the run started): the same token is sent again and the same run comes back."""
    fake.script_runs(RunScript(notebook_results=VERSION_3))
    fake.fail_next(RUN_NOW, 502 if html else 200, after_commit=True, html=html)
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 0, result.output
    starts = fake.calls("POST", RUN_NOW)
    assert len(starts) >= 2 and len(fake.runs) == 1
    assert len({r.body["idempotency_token"] for r in starts}) == 1


@pytest.mark.parametrize(("status", "html"), [(500, False), (502, True), (504, False)])
def test_deploy_reads_survive_a_gateway_glitch(
    fake: FakeDatabricks, cli: Cli, spec: Path, status: int, html: bool
) -> None:
    """Reads are idempotent: a 5xx the SDK does not retry, or a gateway's HTML page, is
    tried again; the message for a page that is not JSON names no credentials."""
    fake.fail_next("/api/2.2/jobs/list", status, times=2, html=html)
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    fake.fail_next("/api/2.2/jobs/list", status, times=100, html=html)
    failed = cli("deploy", spec, "--stage", "staging")
    assert failed.exit_code == 1
    assert "DATABRICKS_TOKEN" not in failed.output and "SDK" not in failed.output
    if html:
        assert "not the API's JSON" in failed.output
