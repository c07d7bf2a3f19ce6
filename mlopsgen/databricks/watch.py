"""Follow a job run until it ends: one progress line per state change, not one per poll.

We poll `jobs/runs/get` ourselves instead of using the SDK's waiter: the waiter returns on
TERMINATED whatever the result, has its own sleep schedule, and cannot report task changes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlopsgen.databricks.client import api_errors
from mlopsgen.errors import MlopsgenError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

POLL_ENV = "MLOPSGEN_POLL_SECONDS"
DEFAULT_POLL_SECONDS = 10.0
MINUTE = 60.0  # seconds per --timeout minute (tests shrink it)
TERMINAL_LIFE_CYCLES = frozenset({"TERMINATED", "SKIPPED", "INTERNAL_ERROR"})
# Task results that only echo another task's failure: not worth fetching an error for.
KNOCK_ON_RESULTS = frozenset({"UPSTREAM_FAILED", "UPSTREAM_CANCELED", "EXCLUDED", "SKIPPED"})


class RunTimedOut(MlopsgenError):
    pass


@dataclass(frozen=True)
class Snapshot:
    """The states we report, by name ("run" and each task key)."""

    states: Mapping[str, str]


def poll_seconds() -> float:
    raw = os.environ.get(POLL_ENV)
    if raw is None:
        return DEFAULT_POLL_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise MlopsgenError(f"{POLL_ENV}={raw!r}: expected a positive number of seconds")
    return value


def describe_state(state: Any) -> str:
    """`RUNNING`, or `TERMINATED SUCCESS`, from an SDK RunState."""
    if state is None:
        return "UNKNOWN"
    life = state.life_cycle_state.value if state.life_cycle_state else "UNKNOWN"
    result = f" {state.result_state.value}" if state.result_state else ""
    return f"{life}{result}"


def snapshot(run: Any) -> Snapshot:
    states = {"run": describe_state(run.state)}
    for task in run.tasks or []:
        states[f"task {task.task_key}"] = describe_state(task.state)
    return Snapshot(states)


def changes(before: Snapshot | None, after: Snapshot, run_id: int) -> list[str]:
    """Progress lines for what changed between two polls (pure)."""
    old = before.states if before else {}
    lines = []
    for name, state in after.states.items():
        if old.get(name) != state:
            who = f"run {run_id}" if name == "run" else f"  {name}"
            lines.append(f"{who}: {state}")
    return lines


def is_terminal(run: Any) -> bool:
    life = run.state.life_cycle_state.value if run.state and run.state.life_cycle_state else ""
    return life in TERMINAL_LIFE_CYCLES


def watch_run(
    client: WorkspaceClient,
    host: str,
    run_id: int,
    *,
    timeout_minutes: int | None,
    echo: Callable[[str], None],
) -> Any:
    """Poll until the run ends and return it; on timeout or Ctrl-C cancel it and raise."""
    poll = poll_seconds()
    deadline = None if timeout_minutes is None else time.monotonic() + timeout_minutes * MINUTE
    seen: Snapshot | None = None
    try:
        while True:
            run = _poll(client, host, run_id, poll, echo)
            if seen is None:
                echo(f"run {run_id}: {run.run_page_url}")
            current = snapshot(run)
            for line in changes(seen, current, run_id):
                echo(line)
            seen = current
            if is_terminal(run):
                return run
            if deadline is not None and time.monotonic() >= deadline:
                cancel(client, host, run_id, echo)
                raise RunTimedOut(
                    f"run {run_id} did not finish within {timeout_minutes} minutes and was "
                    f"cancelled: {run.run_page_url}"
                )
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            time.sleep(poll if left is None else min(poll, left))
    except KeyboardInterrupt:
        cancel(client, host, run_id, echo)
        raise


# Consecutive failed polls (a 500, a gateway page, a dropped connection; 429/503 are already
# retried inside the SDK) before `run` gives up following: the run keeps going meanwhile, so
# one glitch must not end the step (a pipeline retry would start a second run).
FOLLOW_ATTEMPTS = 5


def _poll(
    client: WorkspaceClient, host: str, run_id: int, poll: float, echo: Callable[[str], None]
) -> Any:
    """jobs/runs/get, tried again after a transient failure; after FOLLOW_ATTEMPTS failures
    in a row the run is cancelled (best effort) so it is never left running unwatched."""
    failures = 0
    while True:
        try:
            with api_errors(host, f"following run {run_id}"):
                return client.jobs.get_run(run_id)
        except MlopsgenError as exc:
            failures += 1
            if failures == FOLLOW_ATTEMPTS:
                raise MlopsgenError(
                    f"lost contact with run {run_id} ({_give_up(client, host, run_id, echo)}): "
                    f"{exc}"
                ) from None
            echo(f"run {run_id}: could not read its state ({exc}); trying again")
            time.sleep(poll)


def _give_up(client: WorkspaceClient, host: str, run_id: int, echo: Callable[[str], None]) -> str:
    try:
        cancel(client, host, run_id, echo)
    except MlopsgenError:
        return "cancelling it failed too: cancel it in the workspace"
    return "it was cancelled"


def cancel(client: WorkspaceClient, host: str, run_id: int, echo: Callable[[str], None]) -> None:
    with api_errors(host, f"cancelling run {run_id}"):
        client.jobs.cancel_run(run_id)  # asynchronous: we do not wait for it to end
    echo(f"run {run_id}: cancel requested")
