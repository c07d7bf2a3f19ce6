"""Each generated task's `base_parameters`, built from the Spec.

The keys are exactly `mlopsgen.runtime.contract.TASK_PARAMETERS[task]` (a test asserts it):
they are the widget names the notebooks read and, outside Databricks, their `--key` options.
Values are strings, as the Jobs API requires.
"""

from __future__ import annotations

import json

from mlopsgen import layout
from mlopsgen.model import ChampionGate, Gate, Spec, Stage
from mlopsgen.runtime import contract

# Databricks dynamic value references, resolved by the Jobs service when a task starts.
JOB_MODEL_VERSION = f"{{{{job.parameters.{layout.MODEL_VERSION_PARAMETER}}}}}"
JOB_DEPLOY_MODE = f"{{{{job.parameters.{layout.DEPLOY_MODE_PARAMETER}}}}}"
JOB_START_TIME_MS = "{{job.start_time.timestamp_ms}}"
_JOB_REFERENCES = frozenset({JOB_MODEL_VERSION, JOB_DEPLOY_MODE, JOB_START_TIME_MS})
TABLE_FORMAT = "delta"  # batch output on Databricks; local tests pass parquet


def endpoint_name(stage: Stage) -> str:
    """The stage's serving endpoint (its own, never another stage's: validation checks)."""
    assert stage.serving is not None and stage.serving.endpoint is not None
    return stage.serving.endpoint


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _gate_dict(gate: Gate) -> dict[str, object]:
    if isinstance(gate, ChampionGate):
        return {
            "metric": gate.metric,
            "compare": "champion",
            "higher_is_better": gate.higher_is_better,
            "tolerance": gate.tolerance,
        }
    bounds = {"min": gate.min, "max": gate.max}
    return {"metric": gate.metric, **{k: v for k, v in bounds.items() if v is not None}}


def gates_json(stage: Stage) -> str:
    """The stage's gates as one compact JSON string (widget values are strings)."""
    gates = [_gate_dict(g) for g in stage.gates]
    return json.dumps(gates, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def train_parameters(spec: Spec, *, pr: bool) -> dict[str, str]:
    """The user's training notebook: its parameters, the mode it runs in, and the model's
    name and registry (written once, in model.yaml)."""
    training = spec.training
    given = training.parameters
    if pr:
        assert training.pr_check is not None
        given = training.pr_check.parameters
    return {
        **given,
        contract.TRAINING_MODE: "pr" if pr else "train",
        contract.TRAINING_MODEL_NAME: spec.model.name,
        contract.TRAINING_REGISTRY: spec.model.registry,
    }


def gate_metrics(spec: Spec) -> list[str]:
    """Every metric any stage's gates read, sorted."""
    return sorted({gate.metric for stage in spec.stages for gate in stage.gates})


def candidate(spec: Spec) -> dict[str, str]:
    return {
        contract.MODEL_NAME: spec.model.name,
        contract.REGISTRY: spec.model.registry,
        contract.TRAIN_TASK_KEY: layout.TRAIN_TASK_KEY,
        contract.JOB_START_TIME_MS: JOB_START_TIME_MS,
        contract.GATE_METRICS: json.dumps(gate_metrics(spec), separators=(",", ":")),
    }


def gate(spec: Spec, stage: Stage) -> dict[str, str]:
    return {
        contract.MODEL_NAME: spec.model.name,
        contract.REGISTRY: spec.model.registry,
        contract.STAGE: stage.name,
        contract.MODEL_VERSION: JOB_MODEL_VERSION,
        contract.GATES: gates_json(stage),
        contract.DEPLOY_MODE: JOB_DEPLOY_MODE,
        contract.GATE_EXPERIMENT: layout.gate_experiment(stage.workspace_folder),
    }


def promote(spec: Spec, stage: Stage) -> dict[str, str]:
    return {
        contract.MODEL_NAME: spec.model.name,
        contract.REGISTRY: spec.model.registry,
        contract.STAGE: stage.name,
        contract.MODEL_VERSION: JOB_MODEL_VERSION,
        contract.FINAL_STAGE: _flag(stage == spec.stages[-1]),
        contract.DEPLOY_MODE: JOB_DEPLOY_MODE,
        # what promote puts live before it moves the stage's alias ('' for batch serving)
        contract.TARGET: spec.serving.target if spec.serving is not None else "",
        contract.ENDPOINT: _endpoint_or_blank(stage),
    }


def _endpoint_or_blank(stage: Stage) -> str:
    serving = stage.serving
    if serving is None or serving.endpoint is None:
        return ""
    return serving.endpoint


def deploy_serving(spec: Spec, stage: Stage) -> dict[str, str]:
    serving = spec.serving
    assert serving is not None and stage.serving is not None
    return {
        contract.MODEL_NAME: spec.model.name,
        contract.REGISTRY: spec.model.registry,
        contract.STAGE: stage.name,
        contract.MODEL_VERSION: JOB_MODEL_VERSION,
        contract.TARGET: serving.target,
        contract.ENDPOINT: endpoint_name(stage),
        contract.WORKLOAD_SIZE: serving.workload_size,
        contract.SCALE_TO_ZERO: _flag(stage.serving.scale_to_zero),
        contract.ENDPOINT_TAGS: json.dumps(
            dict(spec.tags), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ),
    }


def smoke_test(spec: Spec, stage: Stage) -> dict[str, str]:
    serving = spec.serving
    assert serving is not None and serving.smoke_test is not None
    name = endpoint_name(stage)
    url = f"{stage.workspace}/serving-endpoints/{name}/invocations"
    return {
        contract.MODEL_NAME: spec.model.name,
        contract.REGISTRY: spec.model.registry,
        contract.STAGE: stage.name,
        contract.MODEL_VERSION: JOB_MODEL_VERSION,
        contract.TARGET: serving.target,
        contract.ENDPOINT: name,
        contract.ENDPOINT_URL: url,
        contract.REQUEST_FILE: f"/Workspace{stage.workspace_folder}/{serving.smoke_test}",
    }


def batch_score(spec: Spec, stage: Stage) -> dict[str, str]:
    """Each stage scores into its own table (validation refuses two stages sharing one)."""
    serving = stage.serving
    assert serving is not None
    return {
        contract.MODEL_NAME: spec.model.name,
        contract.REGISTRY: spec.model.registry,
        contract.STAGE: stage.name,
        contract.INPUT_TABLE: serving.input_table or "",
        contract.OUTPUT_TABLE: serving.output_table or "",
        contract.TABLE_FORMAT: TABLE_FORMAT,
    }


def local_defaults(parameters: dict[str, str]) -> dict[str, str]:
    """Notebook defaults: the job's values, with references only the Jobs service resolves
    replaced by what a run outside a job means (a normal deploy; no version given), and the
    stage's own values left empty (contract.STAGE_PARAMETERS: the notebook serves every
    stage; run by hand, it is given its stage's values)."""
    outside_a_job = {JOB_DEPLOY_MODE: contract.MODE_DEPLOY}
    return {
        k: ""
        if k in contract.STAGE_PARAMETERS
        else (outside_a_job.get(v, "") if v in _JOB_REFERENCES else v)
        for k, v in parameters.items()
    }
