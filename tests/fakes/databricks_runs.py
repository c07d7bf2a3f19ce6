"""Scripted job runs for the fake Databricks server.

A run advances one life-cycle step per `jobs/runs/get` (never by wall-clock time), so tests
are deterministic and fast: with the default script a run reports PENDING, then RUNNING,
then TERMINATED with its result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL_RESULTS = ("SUCCESS", "FAILED", "TIMEDOUT", "CANCELED", "INTERNAL_ERROR")


@dataclass
class RunScript:
    """How the next started run behaves.

    result: SUCCESS | FAILED | TIMEDOUT | CANCELED (life cycle TERMINATED with that result)
    or INTERNAL_ERROR (life cycle INTERNAL_ERROR, result FAILED).
    steps: the life-cycle states reported (one per runs/get) before the end.
    hold: stay in the last step until the run is cancelled.
    failing_task: the task that carries the failure (default: the first task); tasks listed
    before it succeed, tasks after it end UPSTREAM_FAILED.
    notebook_results: task_key -> the value the task's notebook passed to dbutils.notebook.exit.
    """

    result: str = "SUCCESS"
    steps: tuple[str, ...] = ("PENDING", "RUNNING")
    hold: bool = False
    failing_task: str | None = None
    error: str = "Exception: the task failed"
    error_trace: str = "Traceback (most recent call last): ..."
    notebook_results: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.result not in TERMINAL_RESULTS:
            raise ValueError(f"result must be one of {TERMINAL_RESULTS}")


@dataclass
class FakeRun:
    run_id: int
    job_id: int | None
    run_name: str
    tasks: list[dict[str, Any]]  # task settings; "run_id" is added for each task run
    script: RunScript
    base_url: str
    job_parameters: dict[str, str] = field(default_factory=dict)
    step: int = 0
    cancelled: bool = False
    polls: int = 0

    @property
    def terminal(self) -> bool:
        return self.cancelled or (not self.script.hold and self.step >= len(self.script.steps))

    def advance(self) -> None:
        """Called after each runs/get: the next poll sees the next step."""
        self.polls += 1
        if self.terminal:
            return
        if self.script.hold and self.step >= len(self.script.steps) - 1:
            return
        self.step += 1

    def url(self, run_id: int) -> str:
        job = self.job_id if self.job_id is not None else run_id
        return f"{self.base_url}/?o=1234567890#job/{job}/run/{run_id}"

    def _failing_key(self) -> str | None:
        if self.script.result == "SUCCESS" or not self.tasks:
            return None
        return self.script.failing_task or str(self.tasks[0]["task_key"])

    def run_state(self) -> dict[str, Any]:
        if self.cancelled:
            return _state("TERMINATED", "CANCELED", "Run was cancelled by a user.")
        if not self.terminal:
            return _state(self.script.steps[self.step], None, "")
        result = self.script.result
        if result == "INTERNAL_ERROR":
            return _state("INTERNAL_ERROR", "FAILED", self.script.error)
        message = "" if result == "SUCCESS" else f"Task {self._failing_key()} failed."
        return _state("TERMINATED", result, message)

    def task_state(self, key: str) -> dict[str, Any]:
        run = self.run_state()
        if run["life_cycle_state"] not in ("TERMINATED", "INTERNAL_ERROR"):
            return run
        failing = self._failing_key()
        if self.cancelled or failing is None:
            return run if self.cancelled else _state("TERMINATED", "SUCCESS", "")
        keys = [str(t["task_key"]) for t in self.tasks]
        if keys.index(key) < keys.index(failing):
            return _state("TERMINATED", "SUCCESS", "")
        if key == failing:
            return run | {"state_message": self.script.error}
        return _state("TERMINATED", "UPSTREAM_FAILED", "Upstream task failed.")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "run_page_url": self.url(self.run_id),
            "state": self.run_state(),
            "tasks": [self.task_dict(t) for t in self.tasks],
            "job_parameters": [
                {"name": k, "value": v} for k, v in sorted(self.job_parameters.items())
            ],
        }
        if self.job_id is not None:
            body["job_id"] = self.job_id
        return body

    def task_dict(self, task: dict[str, Any]) -> dict[str, Any]:
        settings = {k: v for k, v in task.items() if k != "run_id"}
        return settings | {
            "run_id": task["run_id"],
            "run_page_url": self.url(task["run_id"]),
            "state": self.task_state(str(task["task_key"])),
        }

    def output(self, task: dict[str, Any]) -> dict[str, Any]:
        """runs/get-output for one task run."""
        key = str(task["task_key"])
        state = self.task_state(key)
        body: dict[str, Any] = {"metadata": self.task_dict(task)}
        if state.get("result_state") in ("FAILED", "TIMEDOUT") and key == self._failing_key():
            body["error"] = self.script.error
            body["error_trace"] = self.script.error_trace
        elif state.get("result_state") == "SUCCESS" and key in self.script.notebook_results:
            body["notebook_output"] = {
                "result": self.script.notebook_results[key],
                "truncated": False,
            }
        return body


def _state(life_cycle: str, result: str | None, message: str) -> dict[str, Any]:
    state: dict[str, Any] = {"life_cycle_state": life_cycle, "state_message": message}
    if result is not None:
        state["result_state"] = result
    return state
