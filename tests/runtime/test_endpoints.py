"""Blue/green on Databricks Model Serving, in process against the strict fake workspace: the
config plans, 409s while another update is in progress, bounded waits, go_live's refusals,
and a smoke test that never follows a redirect. No MLflow is needed here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fakes.databricks_server import FakeDatabricks

from mlopsgen.runtime import TaskFailed
from mlopsgen.runtime.endpoints import (
    CONFLICT_ATTEMPTS,
    Config,
    Deadline,
    only,
    same,
    with_candidate,
)
from mlopsgen.runtime.serving import deploy_databricks_serving, go_live
from mlopsgen.runtime.smoke import post_json

PARAMS = {
    "target": "databricks-serving",
    "endpoint": "ep",
    "workload_size": "Small",
    "scale_to_zero": "false",
}
MODEL = "main.ml.wine"


@pytest.fixture(name="workspace")
def workspace_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDatabricks]:
    """The fake workspace, which `WorkspaceClient()` in this process finds."""
    with FakeDatabricks() as fake:
        for name in list(os.environ):
            if name.startswith("DATABRICKS_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("DATABRICKS_CONFIG_FILE", os.devnull)
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        yield fake


class Clock:
    """A deadline's clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def deadline(self, seconds: float) -> Deadline:
        return Deadline(self.now + seconds, clock=lambda: self.now, sleep=self.sleep)


def entity(version: str) -> dict[str, Any]:
    return {"name": f"wine-{version}", "entity_name": MODEL, "entity_version": version}


def deploy(version: str, deadline: Deadline | None = None) -> str:
    return deploy_databricks_serving(MODEL, version, PARAMS, deadline or Clock().deadline(60))


def puts(fake: FakeDatabricks) -> list[Any]:
    return fake.calls("PUT", "/api/2.0/serving-endpoints/ep/config")


# ---------------------------------------------------------------- plans (pure)


def test_the_candidate_joins_what_serves_with_no_traffic() -> None:
    assert with_candidate(None, entity("1")) == Config((entity("1"),), {"wine-1": 100})
    live = Config((entity("1"), entity("2")), {"wine-1": 100, "wine-2": 0})  # 2 failed
    assert with_candidate(live, entity("3")) == Config(
        (entity("1"), entity("3")), {"wine-1": 100, "wine-3": 0}
    )
    # already serving: its share and the others' stay; only its settings may change
    split = Config((entity("1"), entity("2")), {"wine-1": 60, "wine-2": 40})
    assert with_candidate(split, entity("2")).routes == {"wine-1": 60, "wine-2": 40}
    # nothing gets traffic (an endpoint whose creation failed): the candidate takes it all
    assert with_candidate(Config((entity("1"),), {}), entity("2")).routes == {"wine-2": 100}


def test_going_live_keeps_only_the_candidate() -> None:
    live = Config((entity("1"), entity("2")), {"wine-1": 100, "wine-2": 0})
    assert only(live, "wine-2") == Config((entity("2"),), {"wine-2": 100})


def test_the_service_reporting_more_fields_than_we_set_is_no_change() -> None:
    reported = Config(({**entity("1"), "workload_type": "CPU"},), {"wine-1": 100})
    assert same(reported, Config((entity("1"),), {"wine-1": 100}))
    assert not same(reported, Config(({**entity("1"), "workload_size": "Large"},), {"wine-1": 100}))
    assert not same(None, Config((entity("1"),), {"wine-1": 100}))


# ---------------------------------------------------------------- against the fake


def test_a_409_while_another_update_runs_is_waited_out_and_retried(
    workspace: FakeDatabricks, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy("1")
    # someone else starts an update between our read of the endpoint and our update
    workspace.serving.before_next_update = lambda name: workspace.serving.start_foreign_update(
        name, polls=2
    )
    clock = Clock()
    deploy_databricks_serving(MODEL, "2", PARAMS, clock.deadline(60))
    assert len(puts(workspace)) == 2  # refused once (409), then accepted
    assert "update refused (Endpoint ep already has an update in progress.); retry 1" in (
        capsys.readouterr().out
    )
    assert clock.sleeps == [10.0, 10.0]  # the foreign update's two IN_PROGRESS polls
    assert workspace.serving.traffic("ep") == {"wine-1": 100, "wine-2": 0}


def test_updates_refused_every_time_fail_after_a_bounded_number_of_tries(
    workspace: FakeDatabricks,
) -> None:
    deploy("1")

    def always(name: str) -> None:
        workspace.serving.start_foreign_update(name, polls=0)
        workspace.serving.before_next_update = always

    workspace.serving.before_next_update = always
    with pytest.raises(TaskFailed) as failed:
        deploy("2")
    assert str(failed.value) == (
        f"serving endpoint 'ep': {CONFLICT_ATTEMPTS} config updates were refused because "
        "another update was in progress each time"
    )
    assert len(puts(workspace)) == CONFLICT_ATTEMPTS
    assert workspace.serving.traffic("ep") == {"wine-1": 100}


def test_waiting_stops_at_the_deadline_with_one_line_naming_the_endpoint_and_its_state(
    workspace: FakeDatabricks,
) -> None:
    deploy("1")
    workspace.serving.start_foreign_update("ep", polls=1000)
    clock = Clock()
    with pytest.raises(TaskFailed) as failed:
        deploy_databricks_serving(MODEL, "2", PARAMS, clock.deadline(25))
    assert str(failed.value) == (
        "serving endpoint 'ep' is still updating when this task must stop waiting "
        "(ready=READY, config_update=IN_PROGRESS, wine-1: DEPLOYMENT_READY)"
    )
    assert clock.sleeps == [10.0, 10.0, 5.0] and puts(workspace) == []


def test_the_task_deadline_stays_inside_the_serving_task_timeout() -> None:
    from mlopsgen.runtime.contract import SERVING_TASK_TIMEOUT_SECONDS

    left = Deadline.for_task().left()
    assert SERVING_TASK_TIMEOUT_SECONDS - 400 < left < SERVING_TASK_TIMEOUT_SECONDS - 200


def test_go_live_refuses_a_version_the_endpoint_does_not_serve(workspace: FakeDatabricks) -> None:
    with pytest.raises(TaskFailed, match="serving endpoint 'ep' does not exist"):
        go_live(MODEL, "1", PARAMS)
    deploy("1")
    with pytest.raises(TaskFailed) as failed:
        go_live(MODEL, "2", PARAMS)
    assert str(failed.value) == (
        "serving endpoint 'ep' does not serve wine-2 (version 2): deploy_serving and "
        "smoke_test must run for this version first"
    )
    assert puts(workspace) == []


def test_go_live_waits_out_a_409_too(workspace: FakeDatabricks) -> None:
    deploy("1")
    deploy("2")
    workspace.serving.before_next_update = lambda name: workspace.serving.start_foreign_update(
        name, polls=0
    )
    assert go_live(MODEL, "2", PARAMS) == [
        "serving endpoint 'ep': all traffic -> wine-2; stopped serving wine-1"
    ]
    assert workspace.serving.traffic("ep") == {"wine-2": 100}


def test_go_live_for_batch_moves_nothing_and_an_unknown_target_fails() -> None:
    assert go_live(MODEL, "1", {"target": "batch"}) == []
    with pytest.raises(TaskFailed, match="--target must be"):
        go_live(MODEL, "1", {"target": "sagemaker"})


def test_scale_to_zero_is_what_the_stage_asks_for(workspace: FakeDatabricks) -> None:
    deploy_databricks_serving(MODEL, "1", PARAMS | {"scale_to_zero": "true"}, Clock().deadline(9))
    deploy("2")
    (create,) = workspace.calls("POST", "/api/2.0/serving-endpoints")
    assert create.body["config"]["served_entities"][0]["scale_to_zero_enabled"] is True
    entities = puts(workspace)[0].body["served_entities"]
    assert [e["scale_to_zero_enabled"] for e in entities] == [True, False]


# ---------------------------------------------------------------- the smoke test's HTTP


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A server whose every POST answers 307 to a second one, which records what reaches it."""
    reached: list[dict[str, str]] = []

    class Target(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            reached.append(dict(self.headers))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"predictions": [1]}')

        def log_message(self, *args: object) -> None:
            pass

    target = ThreadingHTTPServer(("127.0.0.1", 0), Target)

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{target.server_address[1]}/steal")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    source = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (source, target)]
    for thread in threads:
        thread.start()
    try:
        yield f"http://127.0.0.1:{source.server_address[1]}/invocations", reached
    finally:
        for server in (source, target):
            server.shutdown()
            server.server_close()


def test_the_smoke_test_never_follows_a_redirect(
    redirecting: tuple[str, list[dict[str, str]]],
) -> None:
    url, reached = redirecting
    with pytest.raises(
        TaskFailed, match=r"answered HTTP 307, a redirect to .*/steal \(not followed\)"
    ):
        post_json(url, b"{}", {"Authorization": "Bearer secret"})
    assert reached == []  # neither the request nor the credentials went anywhere else
