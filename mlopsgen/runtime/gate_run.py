"""The gate's full results, kept as an MLflow run in the stage's own workspace.

A model version tag holds at most 1000 characters (Unity Catalog), too little for a table of
gates; so the gate logs a run in the stage's gate experiment (`--gate_experiment`, created
if missing) with the results as `gate_results.json` and the printed table as
`gate_results.txt`, the verdict and context as run tags and the candidate's values as
metrics. The version itself keeps the short verdict and the run's id (gate.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .contract import GATE_RESULTS_JSON, GATE_RESULTS_TEXT
from .errors import PlatformError, TaskFailed
from .gates import GateResult, results_data
from .registry import Registry


def gate_experiment(reg: Registry, name: str) -> str:
    """The id of the experiment `name` in this workspace, created if it does not exist."""
    found = reg.client.get_experiment_by_name(name)
    if found is None:
        try:
            return str(reg.client.create_experiment(name))
        except PlatformError as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # else another gate created it
                raise PlatformError(
                    f"cannot create the gate experiment {name!r} in this workspace (its folder "
                    f"must exist and be writable by the job's identity): {exc}",
                    exc.error_code,
                ) from None
            found = reg.client.get_experiment_by_name(name)
    if found is None or found.lifecycle_stage == "deleted":
        raise TaskFailed(
            f"the gate experiment {name!r} is deleted: restore it (MLflow restore_experiment) "
            "or delete it for good, then run the gate again"
        )
    return str(found.experiment_id)


def record_gate_run(
    reg: Registry,
    experiment: str,
    context: Mapping[str, str],
    results: Sequence[GateResult],
    table: str,
) -> str:
    """Log the gate's results as a run of `experiment`; its run id."""
    experiment_id = gate_experiment(reg, experiment)
    name = f"gate {context['stage']} {reg.name} v{context['model_version']}"
    run = reg.client.create_run(experiment_id, run_name=name, tags=dict(context))
    run_id = str(run.info.run_id)
    payload: dict[str, Any] = {**context, "gates": results_data(results)}
    reg.client.log_dict(run_id, payload, GATE_RESULTS_JSON)
    reg.client.log_text(run_id, table + "\n", GATE_RESULTS_TEXT)
    _log_values(reg, run_id, results)
    reg.client.set_terminated(run_id, "FINISHED")
    return run_id


def _log_values(reg: Registry, run_id: str, results: Sequence[GateResult]) -> None:
    """The candidate's finite values, once per metric (MLflow metrics cannot be NaN here)."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    values = {r.metric: r.candidate for r in results if r.candidate is not None}
    finite = [Metric(k, v, now, 0) for k, v in sorted(values.items()) if math.isfinite(v)]
    if finite:
        reg.client.log_batch(run_id, metrics=finite)
