"""The runtime's task functions run in the test process, each where the job would run it:
the candidate in workspace A of the MLflow double (training), a stage's gate and promote in
that stage's workspace (scenarios.workspace_of). A subprocess costs seconds of
`import mlflow`; the rendered notebooks as subprocesses are proven in test_registry.py and
test_end_to_end.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from fakes.mlflow_double import MlflowDouble

from mlopsgen.runtime.candidate import run_candidate
from mlopsgen.runtime.contract import MODEL_VERSION_KEY, gate_run_tag
from mlopsgen.runtime.gate import run_gate
from mlopsgen.runtime.promote import run_promote
from runtime.scenarios import gate_results, workspace_of

GATE_METRICS = '["r2", "rmse"]'
EXPERIMENT = "/Shared/mlopsgen/wine-quality/gate_results"


@dataclass
class Tasks:
    """The runtime's tasks, in process, each in its stage's workspace of the double."""

    doubles: dict[str, MlflowDouble]
    monkeypatch: pytest.MonkeyPatch

    def at(self, registry: str, workspace: str) -> None:
        """The runtime finds its tracking server through the environment, as on a cluster."""
        self.monkeypatch.setenv("MLFLOW_TRACKING_URI", self.doubles[registry].url(workspace))

    def gate(
        self, name: str, registry: str, stage: str, version: str, gates: list[Any], **more: str
    ) -> Any:
        self.at(registry, workspace_of(registry, stage))
        params = {"model_name": name, "registry": registry, "stage": stage}
        params |= {"model_version": version, "gates": json.dumps(gates)}
        params |= {"deploy_mode": "deploy", "gate_experiment": EXPERIMENT} | more
        return run_gate(params, None)

    def promote(
        self, name: str, registry: str, stage: str, version: str, final: str = "true", **more: str
    ) -> Any:
        self.at(registry, workspace_of(registry, stage))
        params = {"model_name": name, "registry": registry, "stage": stage, "final_stage": final}
        params |= {"model_version": version, "deploy_mode": "deploy", "target": ""} | more
        return run_promote(params, None)

    def candidate(self, name: str, version: str, registry: str = "unity-catalog") -> str:
        """The train job's candidate task (workspace A), handed `version` by the train task."""
        self.at(registry, "A")
        params = {"model_name": name, "registry": registry, "train_task_key": "train"}
        params |= {"job_start_time_ms": "0", "gate_metrics": GATE_METRICS}
        return run_candidate(params, FakeDbutils(version))

    def results(self, client: Any, name: str, version: str, stage: str, registry: str) -> Any:
        """The gate results of a stage, from the run its version tag points at."""
        run_id = client.get_model_version(name, version).tags[gate_run_tag(stage)]
        kept = gate_results(self.doubles[registry], workspace_of(registry, stage), run_id)
        return {g["metric"]: g for g in kept["gates"]}


class FakeDbutils:
    """The two parts of `dbutils` the candidate task uses, with recorded calls."""

    def __init__(self, handed_over: str) -> None:
        self.handed_over = handed_over
        self.values: dict[str, str] = {}
        self.exited: list[str] = []
        self.jobs = type("Jobs", (), {"taskValues": self})()
        self.notebook = type("Notebook", (), {"exit": self.exited.append})()

    def get(self, taskKey: str, key: str, debugValue: str) -> str:
        # the runtime asks for the hand-over key, with a debug value for interactive runs
        assert (key, debugValue) == (MODEL_VERSION_KEY, "")
        if taskKey != "train":
            raise ValueError(f"no task {taskKey}")
        return self.handed_over

    def set(self, key: str, value: str) -> None:
        self.values[key] = value
