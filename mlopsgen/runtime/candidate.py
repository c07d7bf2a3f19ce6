"""The candidate: the model version a job run trains, gates, promotes and serves.

The `candidate` task resolves it after training, writes the metrics snapshot on it (the gate
metrics' values, read here in the training workspace: see metrics.py) and hands it over as
the task value `model_version`; the later tasks take `--model_version` or, when it is empty,
that task value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .contract import (
    CANDIDATE,
    GATE_METRICS,
    JOB_START_TIME_MS,
    METRICS_TAG,
    MODEL_VERSION,
    MODEL_VERSION_KEY,
    TRAIN_TASK_KEY,
)
from .errors import TaskFailed
from .metrics import parse_metric_names, write_snapshot
from .params import required
from .registry import Registry, existing_version, open_registry, versions

# Where a task looks for a handed-over version when --model_version is empty: the candidate
# task, else the training task of the same job (the layout's train task key).
HANDOVER_TASKS = (CANDIDATE, "train")


def run_candidate(params: dict[str, str], dbutils: Any | None) -> str:
    required(params, TRAIN_TASK_KEY)
    wanted = parse_metric_names(params.get(GATE_METRICS, ""))
    reg = open_registry(params)
    train_key = params[TRAIN_TASK_KEY].strip()
    version = task_value(dbutils, train_key)
    if version:
        print(f"candidate: version {version} of {reg.name}, handed over by task {train_key!r}")
    else:
        version = _newest_since(reg, params.get(JOB_START_TIME_MS, ""))
        print(
            f"candidate: task {train_key!r} handed over no model_version; using version "
            f"{version}, the newest version of {reg.name} created during this job run"
        )
    _snapshot(reg, version, wanted)
    _hand_over(version, dbutils)
    return version


def _snapshot(reg: Registry, version: str, wanted: list[str]) -> None:
    metrics = write_snapshot(reg, existing_version(reg, version), wanted)
    print(f"metrics snapshot on version {version} (tag {METRICS_TAG}): {metrics}")
    missing = [name for name in wanted if name not in metrics]
    if missing:
        print(
            f"warning: version {version} has no value for {missing} (neither on its run nor "
            "on its logged model): every gate that reads them will fail"
        )


def _hand_over(version: str, dbutils: Any | None) -> None:
    payload = json.dumps({MODEL_VERSION_KEY: version})
    if dbutils is None:
        print(payload)
    else:
        dbutils.jobs.taskValues.set(key=MODEL_VERSION_KEY, value=version)
        dbutils.notebook.exit(payload)


def _newest_since(reg: Registry, start_ms: str) -> str:
    try:
        since = int(start_ms)
    except ValueError:
        raise TaskFailed(
            f"--job_start_time_ms must be epoch milliseconds, not {start_ms!r}"
        ) from None
    fresh = [v for v in versions(reg) if int(v.creation_timestamp or 0) >= since]
    if not fresh:
        raise TaskFailed(
            f"no version of {reg.name} was created during this job run (since {since} ms): "
            "the training notebook must register the model (and may set the task value "
            "'model_version')"
        )
    return str(max(int(v.version) for v in fresh))


def task_value(dbutils: Any | None, task_key: str) -> str:
    """The `model_version` task value another task of this job run set ('' if none)."""
    if dbutils is None:
        return ""
    try:
        value = dbutils.jobs.taskValues.get(taskKey=task_key, key=MODEL_VERSION_KEY, debugValue="")
    except Exception:  # the task does not exist in this job, or set nothing
        return ""
    return "" if value is None else str(value).strip()


def candidate_version(params: Mapping[str, str], dbutils: Any | None) -> str:
    """`model_version` if given, else the version handed over earlier in this job run."""
    version = params.get(MODEL_VERSION, "").strip()
    if version:
        return version
    for task_key in HANDOVER_TASKS:
        version = task_value(dbutils, task_key)
        if version:
            print(f"model_version not given; using version {version} handed over by {task_key}")
            return version
    raise TaskFailed(
        "no candidate model version: pass --model_version (job parameter model_version), "
        "or run after a task that sets the task value 'model_version'"
    )
