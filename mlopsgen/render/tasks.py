"""Each generated task's `base_parameters`, built from the Spec.

The keys are exactly `mlopsgen.notebook_runtime.TASK_PARAMETERS[task]` (a test asserts it):
they are the widget names the notebooks read and, outside Databricks, their `--key` options.
Values are strings, as the Jobs API requires.
"""

from __future__ import annotations

import json

from mlopsgen.model import ChampionGate, Gate, Spec, Stage

# Databricks dynamic value references, resolved by the Jobs service when a task starts.
JOB_MODEL_VERSION = "{{job.parameters.model_version}}"
JOB_START_TIME_MS = "{{job.start_time.timestamp_ms}}"
_JOB_REFERENCES = frozenset({JOB_MODEL_VERSION, JOB_START_TIME_MS})
TRAIN_TASK_KEY = "train"
TABLE_FORMAT = "delta"  # batch output on Databricks; local tests pass parquet


def endpoint_name(spec: Spec, stage: Stage) -> str:
    """One serving endpoint per stage, so staging never serves production traffic."""
    assert spec.serving is not None and spec.serving.endpoint is not None
    return f"{spec.serving.endpoint}-{stage.name}"


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
    """The user's training notebook: its parameters plus the mode it runs in."""
    training = spec.training
    if pr:
        assert training.pr_check is not None
        return {**training.pr_check.parameters, "mlopsgen_mode": "pr"}
    return {**training.parameters, "mlopsgen_mode": "train"}


def candidate(spec: Spec) -> dict[str, str]:
    return {
        "model_name": spec.model.name,
        "registry": spec.model.registry,
        "train_task_key": TRAIN_TASK_KEY,
        "job_start_time_ms": JOB_START_TIME_MS,
    }


def gate(spec: Spec, stage: Stage) -> dict[str, str]:
    return {
        "model_name": spec.model.name,
        "registry": spec.model.registry,
        "stage": stage.name,
        "model_version": JOB_MODEL_VERSION,
        "gates": gates_json(stage),
    }


def promote(spec: Spec, stage: Stage) -> dict[str, str]:
    return {
        "model_name": spec.model.name,
        "registry": spec.model.registry,
        "stage": stage.name,
        "model_version": JOB_MODEL_VERSION,
        "final_stage": _flag(stage == spec.stages[-1]),
    }


def deploy_serving(spec: Spec, stage: Stage) -> dict[str, str]:
    serving = spec.serving
    assert serving is not None
    azureml = stage.azureml
    return {
        "model_name": spec.model.name,
        "registry": spec.model.registry,
        "stage": stage.name,
        "model_version": JOB_MODEL_VERSION,
        "target": serving.target,
        "endpoint": endpoint_name(spec, stage),
        "workload_size": serving.workload_size,
        "scale_to_zero": _flag(serving.scale_to_zero),
        "instance_type": serving.instance_type,
        "instance_count": str(serving.instance_count),
        "azureml_resource_group": azureml.resource_group if azureml else "",
        "azureml_workspace": azureml.workspace if azureml else "",
    }


def smoke_test(spec: Spec, stage: Stage) -> dict[str, str]:
    serving = spec.serving
    assert serving is not None and serving.smoke_test is not None
    name = endpoint_name(spec, stage)
    # Azure ML scoring URIs are only known once the endpoint exists: the runtime looks it up.
    url = f"{stage.workspace}/serving-endpoints/{name}/invocations"
    return {
        "target": serving.target,
        "endpoint": name,
        "endpoint_url": url if serving.target == "databricks-serving" else "",
        "request_file": f"/Workspace{stage.workspace_folder}/{serving.smoke_test}",
        # the Azure ML smoke test invokes the endpoint with `az ml online-endpoint invoke`
        "azureml_resource_group": stage.azureml.resource_group if stage.azureml else "",
        "azureml_workspace": stage.azureml.workspace if stage.azureml else "",
    }


def batch_score(spec: Spec, stage: Stage) -> dict[str, str]:
    serving = spec.serving
    assert serving is not None
    return {
        "model_name": spec.model.name,
        "registry": spec.model.registry,
        "stage": stage.name,
        "input_table": serving.input_table or "",
        "output_table": serving.output_table or "",
        "table_format": TABLE_FORMAT,
    }


def local_defaults(parameters: dict[str, str]) -> dict[str, str]:
    """Notebook defaults: the job's values, minus references only the Jobs service resolves."""
    return {k: ("" if v in _JOB_REFERENCES else v) for k, v in parameters.items()}
