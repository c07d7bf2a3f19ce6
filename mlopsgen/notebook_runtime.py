"""The logic behind mlopsgen's generated deploy notebooks.

This module is copied verbatim (with a header) into every rendered `notebooks/` folder as
`mlopsgen_runtime.py`, a plain workspace file that the thin generated notebooks import.
It must therefore stay self-contained: standard library at module level, and `mlflow`,
`databricks.sdk`, `pyspark` imported only inside the functions that need them. That is also
why it is one file longer than our usual modules: a second file would have to be shipped,
uploaded and kept in step with it.

TASK_PARAMETERS is the contract with the job renderer: for each task, the exact
`base_parameters` keys its job task passes, which are also the notebook's widget names and,
outside Databricks, its `--<key> <value>` command-line options.

A thin notebook does exactly this (on Databricks `dbutils` exists, outside it does not):

    import mlopsgen_runtime as rt
    dbutils = globals().get("dbutils")
    params = rt.read_params("gate", {...defaults...}, dbutils=dbutils)
    rt.main("gate", params, dbutils=dbutils)

How the gates block (nothing unclear may pass):
- `--gates` must be a JSON list; `[]` is a stage without gates, an empty value is an error.
  Each gate is checked strictly: unknown keys, a threshold without min/max, min above max,
  non-numeric or non-finite bounds, a negative tolerance or an unclear `higher_is_better`
  ("false" is false) fail the task before anything is read.
- A metric's value is its latest (highest step, then newest timestamp: MLflow's rule), from
  the version's source run, else from its MLflow 3 logged model. Missing, NaN or infinite
  values fail the gate, on the candidate and on the champion alike.
- Comparison gates compare with the champion (alias `champion` / the Production version).
  No champion: pass, and say so. A candidate that is the champion already is compared with
  the champion before it (`previous` / tag `mlopsgen.previous_production`), never itself.
- The verdict is written on the version (tag `mlopsgen.gate.<stage>`); promote refuses a
  version whose tag for its stage is not `passed`, even though the job runs gate first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TASK_PARAMETERS: dict[str, tuple[str, ...]] = {
    # training job, after the user's notebook: resolve and hand over the candidate version
    "candidate": ("model_name", "registry", "train_task_key", "job_start_time_ms"),
    # per-stage deploy job
    "gate": ("model_name", "registry", "stage", "model_version", "gates"),
    "promote": ("model_name", "registry", "stage", "model_version", "final_stage"),
    "deploy_serving": (
        "model_name",
        "registry",
        "stage",
        "model_version",
        "target",
        "endpoint",
        "workload_size",
        "scale_to_zero",
        "instance_type",
        "instance_count",
        "azureml_resource_group",
        "azureml_workspace",
    ),
    "smoke_test": (
        "target",
        "endpoint",
        "endpoint_url",
        "request_file",
        "azureml_resource_group",
        "azureml_workspace",
    ),
    # per-stage batch scoring job (serving.target: batch)
    "batch_score": (
        "model_name",
        "registry",
        "stage",
        "input_table",
        "output_table",
        "table_format",
    ),
}

TASK_HELP: dict[str, str] = {
    "candidate": "Resolve the model version the training task registered and hand it over.",
    "gate": "Check the candidate model version against the stage's gates; fail if any fails.",
    "promote": "Move the stage's alias (or registry stage) to the candidate model version.",
    "deploy_serving": "Deploy the model version to the stage's serving endpoint.",
    "smoke_test": "Send the sample request to the endpoint; expect one prediction per record.",
    "batch_score": "Score the input table with the stage's model and write the output table.",
}

PARAMETER_HELP: dict[str, str] = {
    "model_name": "registered model name (Unity Catalog: catalog.schema.model)",
    "registry": "'unity-catalog' (aliases) or 'workspace' (registry stages)",
    "train_task_key": "task whose task value 'model_version' names the candidate",
    "job_start_time_ms": "job run start (epoch ms): versions created since then are candidates",
    "stage": "deploy stage name (its alias in Unity Catalog)",
    "model_version": "candidate version ('' = the version handed over in this job run)",
    "gates": 'JSON list of gates, e.g. [{"metric": "r2", "min": 0.35}]',
    "final_stage": "'true' for the last stage: also moves 'champion' / Production",
    "target": "'databricks-serving', 'azureml' or 'batch'",
    "endpoint": "serving endpoint name for this stage",
    "workload_size": "Databricks serving workload size (Small, Medium, Large)",
    "scale_to_zero": "'true' to let the Databricks endpoint scale to zero",
    "instance_type": "Azure ML instance type",
    "instance_count": "Azure ML instance count",
    "azureml_resource_group": "Azure resource group of the Azure ML workspace",
    "azureml_workspace": "Azure ML workspace name",
    "endpoint_url": "invocation URL (default: the Databricks endpoint's invocations URL)",
    "request_file": "JSON request to send",
    "input_table": "table name, or a path when it contains '/'",
    "output_table": "table name, or a path when it contains '/'",
    "table_format": "output format, default 'delta' (tests use 'parquet')",
}

CHAMPION_ALIAS = "champion"
PREVIOUS_ALIAS = "previous"
MODEL_VERSION_KEY = "model_version"
PREVIOUS_PRODUCTION_TAG = "mlopsgen.previous_production"
GATE_PASSED = "passed"
SMOKE_TEST_ATTEMPTS = 6


class TaskFailed(RuntimeError):
    """A task failed for a reason the user can act on (a gate, a missing version, ...)."""


# ---------------------------------------------------------------- parameters and dispatch


def read_params(
    task: str,
    defaults: Mapping[str, str],
    *,
    dbutils: Any | None = None,
    argv: Sequence[str] | None = None,
) -> dict[str, str]:
    """The task's parameters: widgets on Databricks, else `--key value`, env, defaults."""
    keys = TASK_PARAMETERS[task]
    extra = sorted(set(defaults) - set(keys))
    if extra:
        raise ValueError(f"{task}: unknown parameters {extra}; known: {list(keys)}")
    if dbutils is not None:
        for key in keys:
            dbutils.widgets.text(key, defaults.get(key, ""), key)
        return {key: str(dbutils.widgets.get(key)) for key in keys}
    parser = argparse.ArgumentParser(
        prog=f"{task}.py",
        allow_abbrev=False,  # a misspelt option is an error, never a guess
        description=TASK_HELP[task],
        epilog="Each option falls back to the environment variable MLOPSGEN_<OPTION>.",
    )
    for key in keys:
        default = os.environ.get(f"MLOPSGEN_{key.upper()}", defaults.get(key, ""))
        parser.add_argument(
            f"--{key}", default=default, metavar="VALUE", help=f"{PARAMETER_HELP[key]}"
        )
    namespace = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return {key: str(getattr(namespace, key)) for key in keys}


def main(task: str, params: Mapping[str, str], *, dbutils: Any | None = None) -> object:
    """Run a task. On Databricks failures raise (failing the job task); elsewhere exit 1."""
    try:
        return TASKS[task](dict(params), dbutils)
    except Exception as exc:
        if dbutils is not None or os.environ.get("MLOPSGEN_TRACEBACK"):
            raise
        # A notebook run as a script: one clear line, no traceback wall, non-zero exit.
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        kind = "" if isinstance(exc, TaskFailed) else f"{type(exc).__name__}: "
        print(f"mlopsgen {task}: error: {kind}{message}", file=sys.stderr)
        raise SystemExit(1) from None


def _flag(params: Mapping[str, str], key: str, default: bool) -> bool:
    """A true/false parameter; '' is the default, anything unclear is an error (a typo
    such as 'ture' must not quietly mean false)."""
    value = params.get(key, "")
    return default if not value.strip() else _bool(value, f"--{key}")


def _required(params: Mapping[str, str], *keys: str) -> None:
    missing = [key for key in keys if not params.get(key, "").strip()]
    if missing:
        raise TaskFailed(f"missing parameter(s): {', '.join('--' + k for k in missing)}")


# ---------------------------------------------------------------- registry helpers


@dataclass(frozen=True)
class Registry:
    """The model registry as the tasks see it: aliases (Unity Catalog) or stages."""

    client: Any  # mlflow.MlflowClient
    name: str
    uses_aliases: bool


def _registry(params: Mapping[str, str]) -> Registry:
    import mlflow

    _required(params, "model_name")
    kind = params.get("registry", "unity-catalog")
    if kind not in ("unity-catalog", "workspace"):
        raise TaskFailed(f"--registry must be 'unity-catalog' or 'workspace', not {kind!r}")
    on_databricks = mlflow.get_tracking_uri().startswith("databricks")
    if kind == "unity-catalog" and on_databricks and not os.environ.get("MLFLOW_REGISTRY_URI"):
        mlflow.set_registry_uri("databricks-uc")
    return Registry(mlflow.MlflowClient(), params["model_name"], kind == "unity-catalog")


def stage_alias(stage: str) -> str:
    """The Unity Catalog alias for a deploy stage (aliases take letters, digits and '_')."""
    return stage.strip().lower().replace("-", "_")


def registry_stage(final_stage: bool) -> str:
    """The workspace registry stage for a deploy stage: the last one is Production."""
    return "Production" if final_stage else "Staging"


def _alias_version(reg: Registry, alias: str) -> str | None:
    """The version holding an alias, None if no version does.

    Read from the registered model's alias map (Unity Catalog and the MLflow server both
    return it) instead of guessing from the error text of `get_model_version_by_alias`: a
    lookup that fails for any other reason (a missing model, an outage) must fail the task,
    not read as "no champion yet", which would let a comparison gate pass.
    """
    version = (reg.client.get_registered_model(reg.name).aliases or {}).get(alias)
    return None if version is None else str(version)


def _versions(reg: Registry) -> list[Any]:
    return list(reg.client.search_model_versions(f"name='{reg.name}'"))


def _stage_version(reg: Registry, stage: str) -> str | None:
    """The newest version in a workspace registry stage (Staging / Production)."""
    held = [int(v.version) for v in _versions(reg) if v.current_stage == stage]
    return str(max(held)) if held else None


def _champion(reg: Registry) -> str | None:
    if reg.uses_aliases:
        return _alias_version(reg, CHAMPION_ALIAS)
    return _stage_version(reg, "Production")


def _previous_champion(reg: Registry) -> str | None:
    """The champion before the current one, as promote recorded it for a rollback."""
    if reg.uses_aliases:
        return _alias_version(reg, PREVIOUS_ALIAS)
    value = (reg.client.get_registered_model(reg.name).tags or {}).get(PREVIOUS_PRODUCTION_TAG)
    return str(value) if value else None


def _comparison_baseline(reg: Registry, version: str) -> tuple[str | None, str]:
    """The version comparison gates compare with, and a note when it is not the champion.

    A candidate that already is the champion (a re-run of its deploy job) is never compared
    with itself, which would always pass: it is compared with the champion it replaced, as
    at its promotion; with none recorded it passes like a first deploy, and says why.
    """
    champion = _champion(reg)
    if champion != version:
        return champion, ""
    earlier = _previous_champion(reg)
    if earlier is not None and earlier != version:
        return earlier, f"candidate is the champion already; compared with previous v{earlier}"
    return None, "candidate is the champion already, no earlier champion: passes"


def _existing_version(reg: Registry, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return reg.client.get_model_version(reg.name, version)
    except MlflowException as exc:
        raise TaskFailed(f"model {reg.name} has no version {version!r}: {exc.message}") from None


def _task_value(dbutils: Any | None, task_key: str) -> str:
    """The `model_version` task value another task of this job run set ('' if none)."""
    if dbutils is None:
        return ""
    try:
        value = dbutils.jobs.taskValues.get(taskKey=task_key, key=MODEL_VERSION_KEY, debugValue="")
    except Exception:  # the task does not exist in this job, or set nothing
        return ""
    return "" if value is None else str(value).strip()


def _candidate_version(params: Mapping[str, str], dbutils: Any | None) -> str:
    """`model_version` if given, else the version handed over earlier in this job run."""
    version = params.get("model_version", "").strip()
    if version:
        return version
    for task_key in ("candidate", "train"):
        version = _task_value(dbutils, task_key)
        if version:
            print(f"model_version not given; using version {version} handed over by {task_key}")
            return version
    raise TaskFailed(
        "no candidate model version: pass --model_version (job parameter model_version), "
        "or run after a task that sets the task value 'model_version'"
    )


# ---------------------------------------------------------------- candidate


def run_candidate(params: dict[str, str], dbutils: Any | None) -> str:
    reg = _registry(params)
    train_key = params.get("train_task_key", "").strip() or "train"
    version = _task_value(dbutils, train_key)
    if version:
        _existing_version(reg, version)
        print(f"candidate: version {version} of {reg.name}, handed over by task {train_key!r}")
    else:
        version = _newest_since(reg, params.get("job_start_time_ms", ""))
        print(
            f"candidate: task {train_key!r} handed over no model_version; using version "
            f"{version}, the newest version of {reg.name} created during this job run"
        )
    payload = json.dumps({MODEL_VERSION_KEY: version})
    if dbutils is None:
        print(payload)
    else:
        dbutils.jobs.taskValues.set(key=MODEL_VERSION_KEY, value=version)
        dbutils.notebook.exit(payload)
    return version


def _newest_since(reg: Registry, start_ms: str) -> str:
    try:
        since = int(start_ms)
    except ValueError:
        raise TaskFailed(
            f"--job_start_time_ms must be epoch milliseconds, not {start_ms!r}"
        ) from None
    fresh = [v for v in _versions(reg) if int(v.creation_timestamp or 0) >= since]
    if not fresh:
        raise TaskFailed(
            f"no version of {reg.name} was created during this job run (since {since} ms): "
            "the training notebook must register the model (and may set the task value "
            "'model_version')"
        )
    return str(max(int(v.version) for v in fresh))


# ---------------------------------------------------------------- gate


@dataclass(frozen=True)
class GateResult:
    metric: str
    kind: str  # "threshold" or "champion"
    candidate: float | None
    bound: str  # e.g. ">= 0.35", "<= 0.7 (champion v3 0.7 + tol 0)"
    passed: bool
    note: str = ""


THRESHOLD_KEYS = frozenset({"metric", "min", "max"})
CHAMPION_KEYS = frozenset({"metric", "compare", "higher_is_better", "tolerance"})


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a gate can compare with")


def parse_gates(text: str) -> list[dict[str, Any]]:
    """The stage's gates, each checked and normalized; anything unclear is an error.

    `[]` is a stage without gates (it passes and says so); an empty value is not `[]`: it
    means the parameter never arrived, and a gate that was never read must not pass.
    """
    if not text.strip():
        raise TaskFailed("--gates is empty: pass '[]' for a stage without gates")
    try:
        gates = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise TaskFailed(f"--gates is not valid JSON: {exc}") from None
    if not isinstance(gates, list):
        raise TaskFailed(f"--gates must be a JSON list of gates, not {type(gates).__name__}")
    return [normalize_gate(gate, index) for index, gate in enumerate(gates, 1)]


def normalize_gate(gate: object, index: int = 1) -> dict[str, Any]:
    """One gate as the checks read it: numbers as floats, `higher_is_better` as a bool.

    A threshold gate is {metric, min and/or max}; a comparison gate is {metric, compare:
    champion, higher_is_better, tolerance >= 0}. Unknown keys are rejected: a misspelt
    bound ("mni") would otherwise leave a gate without any bound, which always passes.
    """
    where = f"gate {index} ({_clip(json.dumps(gate, sort_keys=True), 200)})"
    if not isinstance(gate, dict) or not isinstance(gate.get("metric"), str):
        raise TaskFailed(f'{where}: a gate is an object with a "metric" name')
    if not gate["metric"].strip():
        raise TaskFailed(f"{where}: the metric name is empty")
    champion = "compare" in gate
    unknown = sorted(set(gate) - (CHAMPION_KEYS if champion else THRESHOLD_KEYS))
    if unknown:
        raise TaskFailed(f"{where}: unknown key(s) {unknown}")
    if champion:
        if gate["compare"] != "champion":
            raise TaskFailed(f"{where}: compare must be 'champion', not {gate['compare']!r}")
        if "higher_is_better" not in gate:
            raise TaskFailed(f"{where}: a comparison gate needs higher_is_better")
        tolerance = _number(gate.get("tolerance", 0.0), where, "tolerance")
        if tolerance < 0:
            raise TaskFailed(f"{where}: tolerance must be >= 0, not {tolerance:g}")
        higher = _bool(gate["higher_is_better"], f"{where}: higher_is_better")
        return {**gate, "higher_is_better": higher, "tolerance": tolerance}
    bounds = {k: _number(gate[k], where, k) for k in ("min", "max") if k in gate}
    if not bounds:
        raise TaskFailed(f"{where}: a threshold gate needs min and/or max")
    if bounds.get("min", -math.inf) > bounds.get("max", math.inf):
        raise TaskFailed(f"{where}: min is above max, so no value could pass")
    return {"metric": gate["metric"], **bounds}


def _number(value: object, where: str, key: str) -> float:
    # bool is an int in Python, but `"min": true` is a mistake, not 1.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TaskFailed(f"{where}: {key} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise TaskFailed(f"{where}: {key} must be a finite number, not {value!r}")
    return float(value)


def _bool(value: object, what: str) -> bool:
    """A JSON bool, or its spelling as a string ("false" is false: bool("false") is not)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise TaskFailed(f"{what} must be true or false, not {value!r}")


def _latest(metrics: Sequence[Any]) -> dict[str, float]:
    """Each metric's latest value: highest step, then newest timestamp (MLflow's own rule
    for a run's metrics, applied to a logged model's too, whose list holds every value)."""
    latest: dict[str, Any] = {}
    for m in metrics:
        if m.key not in latest or (m.step, m.timestamp) >= (
            latest[m.key].step,
            latest[m.key].timestamp,
        ):
            latest[m.key] = m
    return {key: float(m.value) for key, m in latest.items()}


def version_metrics(reg: Registry, version: Any, wanted: Iterable[str]) -> dict[str, float]:
    """The metrics a version's gates read: its source run's, then its logged model's.

    A metric logged several times counts with its latest value (see `_latest`). The source
    run's value wins (the issue's contract); only for `wanted` metrics the run lacks is the
    MLflow 3 logged model asked, e.g. for metrics an evaluation run logged against it.
    """
    metrics: dict[str, float] = {}
    if version.run_id:
        run_metrics = reg.client.get_run(version.run_id).data.metrics
        metrics.update({k: float(v) for k, v in run_metrics.items()})
    model_id = _logged_model_id(version)
    if model_id and set(wanted) - set(metrics):
        logged = _latest(reg.client.get_logged_model(model_id).metrics or [])
        metrics.update({k: v for k, v in logged.items() if k not in metrics})
    return metrics


def _logged_model_id(version: Any) -> str | None:
    """The version's MLflow 3 logged model: `model_id` (Unity Catalog fills it in), else its
    source `models:/<model_id>` (the MLflow server's registry keeps only the source)."""
    model_id = getattr(version, "model_id", None)
    if model_id:
        return str(model_id)
    rest = str(version.source or "").removeprefix("models:/")
    if rest != version.source and rest and "/" not in rest and "@" not in rest:
        return rest
    return None


def _unusable(value: float | None, whose: str) -> str:
    """Why a metric value cannot be compared ('' if it can): missing, NaN or infinite."""
    if value is None:
        return f"metric missing on {whose}"
    if not math.isfinite(value):
        return f"metric is {value} on {whose}"
    return ""


def check_threshold(gate: Mapping[str, Any], value: float | None) -> GateResult:
    gate = normalize_gate(gate)
    metric = str(gate["metric"])
    low, high = gate.get("min"), gate.get("max")
    parts = ([f">= {low:g}"] if low is not None else []) + (
        [f"<= {high:g}"] if high is not None else []
    )
    bound = " and ".join(parts)
    problem = _unusable(value, "candidate")
    if problem or value is None:
        return GateResult(metric, "threshold", value, bound, False, problem)
    passed = (low is None or value >= low) and (high is None or value <= high)
    return GateResult(metric, "threshold", value, bound, passed)


def check_champion(
    gate: Mapping[str, Any],
    value: float | None,
    champion: str | None,
    champion_value: float | None,
    *,
    note: str = "",
) -> GateResult:
    """Compare with the champion's value; `champion` None = nothing to compare with."""
    gate = normalize_gate(gate)
    metric = str(gate["metric"])
    higher, tolerance = bool(gate["higher_is_better"]), float(gate["tolerance"])
    problem = _unusable(value, "candidate")
    if problem or value is None:
        return GateResult(metric, "champion", value, "", False, problem)
    if champion is None:
        return GateResult(
            metric, "champion", value, "no champion", True, note or "no champion yet: passes"
        )
    problem = _unusable(champion_value, f"champion version {champion}")
    if problem or champion_value is None:
        return GateResult(metric, "champion", value, f"champion v{champion}", False, problem)
    limit = champion_value - tolerance if higher else champion_value + tolerance
    passed = value >= limit if higher else value <= limit
    sign = ">=" if higher else "<="
    bound = f"{sign} {limit:g} (champion v{champion} {champion_value:g}, tolerance {tolerance:g})"
    return GateResult(metric, "champion", value, bound, passed, note)


def evaluate_gates(
    gates: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, float],
    champion: str | None,
    champion_metrics: Mapping[str, float],
    *,
    champion_note: str = "",
) -> list[GateResult]:
    results = []
    for gate in gates:
        value = metrics.get(str(gate["metric"]))
        if "compare" in gate:
            champ_value = champion_metrics.get(str(gate["metric"]))
            results.append(check_champion(gate, value, champion, champ_value, note=champion_note))
        else:
            results.append(check_threshold(gate, value))
    return results


def format_table(results: Sequence[GateResult]) -> str:
    header = ("metric", "gate", "candidate", "bound", "verdict")
    rows = [
        (
            r.metric,
            r.kind,
            "missing" if r.candidate is None else f"{r.candidate:.6g}",
            r.bound,
            ("PASS" if r.passed else "FAIL") + (f" ({r.note})" if r.note else ""),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_gate(params: dict[str, str], dbutils: Any | None) -> list[GateResult]:
    reg = _registry(params)
    _required(params, "stage")
    gates = parse_gates(params.get("gates", "[]"))
    version = _candidate_version(params, dbutils)
    candidate = _existing_version(reg, version)
    champion, note = _comparison_baseline(reg, version)
    champion_metrics: dict[str, float] = {}
    if champion is not None and any("compare" in g for g in gates):
        compared = [str(g["metric"]) for g in gates if "compare" in g]
        champion_metrics = version_metrics(reg, _existing_version(reg, champion), compared)
    metrics = version_metrics(reg, candidate, [str(g["metric"]) for g in gates])
    results = evaluate_gates(gates, metrics, champion, champion_metrics, champion_note=note)
    stage = params["stage"]
    print(f"gates for stage {stage!r}, {reg.name} version {version}:")
    print(format_table(results) if results else "(this stage has no gates)")
    _log_gate_results(reg, version, stage, results)
    failed = [r.metric for r in results if not r.passed]
    if failed:
        raise TaskFailed(
            f"gate failed for {reg.name} version {version} at stage {stage!r}: "
            + ", ".join(
                f"{r.metric} ({r.note or 'out of bounds'})" for r in results if not r.passed
            )
        )
    print(f"all gates passed for version {version}")
    return results


def _log_gate_results(
    reg: Registry, version: str, stage: str, results: Sequence[GateResult]
) -> None:
    """Record the verdict on the model version itself, where reviewers look for it."""
    verdict = GATE_PASSED if all(r.passed for r in results) else "failed"
    detail = [
        {
            "metric": r.metric,
            "gate": r.kind,
            # NaN / inf as text: the tag stays strict JSON
            "candidate": r.candidate
            if r.candidate is None or math.isfinite(r.candidate)
            else str(r.candidate),
            "bound": r.bound,
            "passed": r.passed,
            "note": r.note,
        }
        for r in results
    ]
    reg.client.set_model_version_tag(reg.name, version, f"mlopsgen.gate.{stage}", verdict)
    reg.client.set_model_version_tag(
        reg.name, version, f"mlopsgen.gate.{stage}.results", json.dumps(detail, sort_keys=True)
    )


# ---------------------------------------------------------------- promote


def run_promote(params: dict[str, str], dbutils: Any | None) -> list[str]:
    reg = _registry(params)
    _required(params, "stage")
    version = _candidate_version(params, dbutils)
    _require_gate_passed(reg, _existing_version(reg, version), params["stage"])
    final = _flag(params, "final_stage", False)
    if reg.uses_aliases:
        changes = _promote_aliases(reg, version, stage_alias(params["stage"]), final)
    else:
        changes = _promote_stages(reg, version, final)
        changes += _tag_stage(reg, params["stage"], version)
    for change in changes or [f"no change: version {version} already holds its place"]:
        print(f"promote {reg.name}: {change}")
    return changes


def _require_gate_passed(reg: Registry, version: Any, stage: str) -> None:
    """Defence in depth: the job runs gate before promote, and this holds even if a job
    is edited or a task is run by hand. The gate writes its verdict on the version."""
    key = f"mlopsgen.gate.{stage}"
    verdict = (version.tags or {}).get(key)
    if verdict != GATE_PASSED:
        state = "has no verdict" if verdict is None else f"says {verdict!r}"
        raise TaskFailed(
            f"version {version.version} of {reg.name} has not passed the gate of stage "
            f"{stage!r} (tag {key} {state}): run the gate task first"
        )


def _move_alias(reg: Registry, alias: str, version: str) -> list[str]:
    if _alias_version(reg, alias) == version:
        return []
    reg.client.set_registered_model_alias(reg.name, alias, version)
    return [f"alias {alias!r} -> version {version}"]


def _promote_aliases(reg: Registry, version: str, alias: str, final: bool) -> list[str]:
    changes = _move_alias(reg, alias, version)
    if final:
        champion = _champion(reg)
        if champion is not None and champion != version:
            # the outgoing champion stays addressable for a rollback
            changes += _move_alias(reg, PREVIOUS_ALIAS, champion)
        if alias != CHAMPION_ALIAS:
            changes += _move_alias(reg, CHAMPION_ALIAS, version)
    return changes


def _tag_stage(reg: Registry, stage: str, version: str) -> list[str]:
    """Remember which version a deploy stage holds: workspace stages are only two."""
    if _stage_holder(reg, stage) == version:
        return []
    reg.client.set_registered_model_tag(reg.name, f"mlopsgen.stage.{stage}", version)
    return [f"tag mlopsgen.stage.{stage} -> version {version}"]


def _promote_stages(reg: Registry, version: str, final: bool) -> list[str]:
    target = registry_stage(final)
    current = reg.client.get_model_version(reg.name, version).current_stage
    # An earlier stage never pulls a Production version back to Staging: that would leave
    # the registry without a champion (and the next comparison gate with nothing to beat).
    if current == target or (current == "Production" and not final):
        return []
    previous = _stage_version(reg, "Production") if final else None
    reg.client.transition_model_version_stage(
        reg.name, version, target, archive_existing_versions=final
    )
    changes = [f"version {version}: {current} -> {target}"]
    if previous is not None and previous != version:
        # archived by the transition; remembered for a rollback
        reg.client.set_registered_model_tag(reg.name, PREVIOUS_PRODUCTION_TAG, previous)
        changes.append(f"version {previous} archived (tag mlopsgen.previous_production)")
    return changes


# ---------------------------------------------------------------- deploy serving


def run_deploy_serving(params: dict[str, str], dbutils: Any | None) -> str:
    target = params.get("target", "")
    _required(params, "model_name", "endpoint")
    reg = _registry(params)
    version = _serving_version(reg, params, dbutils)
    if target == "databricks-serving":
        return deploy_databricks_serving(reg.name, version, params)
    if target == "azureml":
        return deploy_azureml(reg.name, version, params)
    raise TaskFailed(f"--target must be 'databricks-serving' or 'azureml', not {target!r}")


def _serving_version(reg: Registry, params: Mapping[str, str], dbutils: Any | None) -> str:
    """The candidate if known, else the version the stage points at (just promoted)."""
    try:
        version = _candidate_version(params, dbutils)
    except TaskFailed:
        _required(params, "stage")
        # exactly this stage's version (alias, or the tag promote sets): in the workspace
        # registry, "Production or else Staging" would serve production's in staging
        found = _stage_holder(reg, params["stage"])
        if found is None:
            raise
        version = found
        print(
            f"model_version not given; serving version {version}, held by stage {params['stage']!r}"
        )
    _existing_version(reg, version)
    return version


def served_entity_name(model_name: str, version: str) -> str:
    """Served entity names allow letters, digits, '-' and '_' (no dots from UC names)."""
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in model_name.split(".")[-1])
    return f"{base[:50]}-{version}"


def deploy_databricks_serving(model_name: str, version: str, params: Mapping[str, str]) -> str:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.serving import (
        EndpointCoreConfigInput,
        EndpointStateReady,
        Route,
        ServedEntityInput,
        TrafficConfig,
    )

    name = params["endpoint"]
    entity = ServedEntityInput(
        name=served_entity_name(model_name, version),
        entity_name=model_name,
        entity_version=version,
        workload_size=params.get("workload_size") or "Small",
        scale_to_zero_enabled=_flag(params, "scale_to_zero", True),
    )
    traffic = TrafficConfig(routes=[Route(served_model_name=entity.name, traffic_percentage=100)])
    w = WorkspaceClient()
    try:
        w.serving_endpoints.get(name)
        exists = True
    except NotFound:
        exists = False
    if exists:
        print(f"updating serving endpoint {name!r} to {model_name} version {version}")
        waiter = w.serving_endpoints.update_config(
            name, served_entities=[entity], traffic_config=traffic
        )
    else:
        print(f"creating serving endpoint {name!r} for {model_name} version {version}")
        config = EndpointCoreConfigInput(
            name=name, served_entities=[entity], traffic_config=traffic
        )
        waiter = w.serving_endpoints.create(name, config=config)
    endpoint = waiter.result()
    ready = endpoint.state.ready if endpoint.state else None
    if ready != EndpointStateReady.READY:
        raise TaskFailed(f"serving endpoint {name!r} is not ready after the update: {ready}")
    print(f"serving endpoint {name!r} is ready and serves version {version}")
    return name


def azureml_model_name(model_name: str) -> str:
    """Azure ML asset names take letters, digits, '-' and '_' (UC names carry dots)."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in model_name)


def azureml_deployment_yaml(params: Mapping[str, str], model_name: str, version: str) -> str:
    """A managed online deployment of an MLflow model: no scoring script, no environment."""
    fields = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json",
        "name": f"version-{version}",
        "endpoint_name": params["endpoint"],
        "model": f"azureml:{azureml_model_name(model_name)}:{version}",
        "instance_type": params.get("instance_type") or "Standard_DS3_v2",
        "instance_count": int(params.get("instance_count") or "1"),
    }
    # JSON is valid YAML, and the standard library writes it
    return json.dumps(fields, indent=2) + "\n"


def azureml_commands(
    params: Mapping[str, str],
    model_name: str,
    version: str,
    paths: tuple[str, str],
    exists: Callable[[list[str]], bool],
) -> list[list[str]]:
    """The `az ml` commands that register the MLflow model and send all traffic to it.

    `paths` = (downloaded model folder, deployment YAML file); `exists(show_command)` tells
    which assets already exist, so that a re-run updates instead of failing on a conflict.
    """
    where = ["--resource-group", params["azureml_resource_group"]]
    where += ["--workspace-name", params["azureml_workspace"]]
    endpoint, aml_model = params["endpoint"], azureml_model_name(model_name)
    deployment = f"version-{version}"
    commands: list[list[str]] = []
    model_id = ["--name", aml_model, "--version", version]
    if not exists(["az", "ml", "model", "show", *model_id, *where]):
        commands.append(
            [
                "az",
                "ml",
                "model",
                "create",
                *model_id,
                "--type",
                "mlflow_model",
                "--path",
                paths[0],
                *where,
            ]
        )
    if not exists(["az", "ml", "online-endpoint", "show", "--name", endpoint, *where]):
        commands.append(["az", "ml", "online-endpoint", "create", "--name", endpoint, *where])
    show = ["az", "ml", "online-deployment", "show", "--name", deployment]
    if exists([*show, "--endpoint-name", endpoint, *where]):
        commands.append(
            [
                "az",
                "ml",
                "online-endpoint",
                "update",
                "--name",
                endpoint,
                "--traffic",
                f"{deployment}=100",
                *where,
            ]
        )
    else:
        commands.append(
            ["az", "ml", "online-deployment", "create", "--file", paths[1], "--all-traffic", *where]
        )
    return commands


def _az_succeeds(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, text=True, check=False).returncode == 0


def deploy_azureml(model_name: str, version: str, params: Mapping[str, str]) -> str:
    import mlflow

    _required(params, "azureml_resource_group", "azureml_workspace")
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{model_name}/{version}", dst_path=str(Path(tmp, "model"))
        )
        spec_file = Path(tmp, "deployment.yml")
        spec_file.write_text(azureml_deployment_yaml(params, model_name, version))
        paths = (model_dir, str(spec_file))
        for command in azureml_commands(params, model_name, version, paths, _az_succeeds):
            print("+ " + " ".join(command))
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
                raise TaskFailed(f"`{' '.join(command[:4])}` failed ({done.returncode}): {last}")
    print(f"Azure ML endpoint {params['endpoint']!r} serves {model_name} version {version}")
    return params["endpoint"]


# ---------------------------------------------------------------- smoke test


def count_records(request: Any) -> int:
    """How many records a scoring request holds (MLflow / Databricks / Azure ML formats)."""
    if isinstance(request, dict):
        for key in ("dataframe_split", "input_data"):
            if isinstance(request.get(key), dict) and isinstance(request[key].get("data"), list):
                return len(request[key]["data"])
        for key in ("dataframe_records", "instances", "inputs", "input_data"):
            value = request.get(key)
            if isinstance(value, list):
                return len(value)
            if isinstance(value, dict) and value:
                first = next(iter(value.values()))
                return len(first) if isinstance(first, list) else 1
    raise TaskFailed(
        "the smoke-test request has no records: expected dataframe_split, dataframe_records, "
        "instances, inputs or input_data"
    )


def count_predictions(answer: Any) -> int:
    predictions = answer.get("predictions") if isinstance(answer, dict) else answer
    if isinstance(predictions, dict) and predictions:
        first = next(iter(predictions.values()))
        return len(first) if isinstance(first, list) else 1
    if isinstance(predictions, list):
        return len(predictions)
    raise TaskFailed(f"the endpoint's answer holds no predictions: {_clip(json.dumps(answer))}")


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    attempts: int = SMOKE_TEST_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """POST and return the body of a 200 answer; retry only on 429 and 503, with backoff."""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                text = response.read().decode("utf-8", "replace")
                if response.status != 200:
                    raise TaskFailed(f"{url} answered HTTP {response.status}: {_clip(text)}")
                return str(text)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            if exc.code not in (429, 503) or attempt == attempts:
                raise TaskFailed(f"{url} answered HTTP {exc.code}: {_clip(text, 500)}") from None
            print(f"HTTP {exc.code} from {url}; retrying ({attempt}/{attempts})")
            sleep(min(2.0**attempt, 30.0))
        except urllib.error.URLError as exc:
            raise TaskFailed(f"cannot reach {url}: {exc.reason}") from None
    raise AssertionError("unreachable")


def _databricks_auth(url: str, endpoint: str) -> tuple[str, dict[str, str]]:
    """The invocation URL and the SDK's auth headers (only for the workspace's own host)."""
    from databricks.sdk import WorkspaceClient

    try:
        config = WorkspaceClient().config
    except ValueError:
        if url:  # an explicit URL outside any configured workspace: send no credentials
            return url, {}
        raise
    host = (config.host or "").rstrip("/")
    url = url or f"{host}/serving-endpoints/{endpoint}/invocations"
    same_host = url.startswith(host + "/")
    return url, dict(config.authenticate()) if same_host else {}


def _invoke_azureml(params: Mapping[str, str], request_file: str) -> str:
    _required(params, "endpoint", "azureml_resource_group", "azureml_workspace")
    command = [
        "az", "ml", "online-endpoint", "invoke", "--name", params["endpoint"],
        "--request-file", request_file,
        "--resource-group", params["azureml_resource_group"],
        "--workspace-name", params["azureml_workspace"],
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise TaskFailed(f"az ml online-endpoint invoke failed: {_clip(done.stderr.strip(), 500)}")
    # `az` prints the endpoint's JSON answer as a JSON string
    answer = json.loads(done.stdout)
    return answer if isinstance(answer, str) else json.dumps(answer)


def run_smoke_test(params: dict[str, str], dbutils: Any | None) -> int:
    _required(params, "request_file")
    request_file = params["request_file"]
    try:
        body = Path(request_file).read_bytes()
        expected = count_records(json.loads(body))
    except (OSError, ValueError) as exc:
        raise TaskFailed(f"cannot read the smoke-test request {request_file}: {exc}") from None
    if expected == 0:  # zero predictions for zero records would prove nothing
        raise TaskFailed(f"the smoke-test request {request_file} holds no records")
    url = params.get("endpoint_url", "").strip()
    if not url and params.get("target") == "azureml":
        print(f"invoking Azure ML endpoint {params.get('endpoint')!r} with {request_file}")
        text = _invoke_azureml(params, request_file)
    else:
        headers = {"Content-Type": "application/json"}
        if params.get("target") == "databricks-serving" or not url:
            _required(params, "endpoint")
            url, auth = _databricks_auth(url, params["endpoint"])
            headers.update(auth)
        print(f"POST {url} ({expected} records from {request_file})")
        text = post_json(url, body, headers)
    print(f"answer: {_clip(text)}")
    try:
        got = count_predictions(json.loads(text))
    except ValueError:
        raise TaskFailed(f"the endpoint's answer is not JSON: {_clip(text, 500)}") from None
    if got != expected:
        raise TaskFailed(f"expected {expected} predictions (one per record), got {got}")
    print(f"smoke test passed: {got} predictions for {expected} records")
    return got


# ---------------------------------------------------------------- batch scoring


def _stage_holder(reg: Registry, stage: str) -> str | None:
    """The version a deploy stage points at: its alias, or the tag promote sets."""
    if reg.uses_aliases:
        return _alias_version(reg, stage_alias(stage))
    tags = reg.client.get_registered_model(reg.name).tags or {}
    value = tags.get(f"mlopsgen.stage.{stage}")
    return str(value) if value else None


def _is_path(table: str) -> bool:
    return "/" in table or table.startswith(("dbfs:", "abfss:", "file:"))


def run_batch_score(params: dict[str, str], dbutils: Any | None) -> int:
    import mlflow
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    _required(params, "stage", "input_table", "output_table")
    reg = _registry(params)
    stage, fmt = params["stage"], params.get("table_format") or "delta"
    version = _stage_holder(reg, stage)
    if version is None:
        raise TaskFailed(f"no version of {reg.name} is promoted to stage {stage!r} yet")
    # Load exactly the version the alias names now, so the model_version column cannot
    # disagree with the model that scored even if the alias moves during the run.
    uri = f"models:/{reg.name}/{version}"
    print(f"scoring {params['input_table']} with {reg.name} version {version} (stage {stage!r})")
    spark = SparkSession.builder.getOrCreate()
    source, target = params["input_table"], params["output_table"]
    frame = spark.read.format(fmt).load(source) if _is_path(source) else spark.read.table(source)
    predict = mlflow.pyfunc.spark_udf(spark, uri, env_manager="local")
    scored = frame.withColumn("prediction", predict(F.struct(*[F.col(c) for c in frame.columns])))
    scored = scored.withColumn("model_version", F.lit(version))
    writer = scored.write.mode("overwrite").format(fmt)
    if _is_path(target):
        writer.save(target)
    else:
        writer.saveAsTable(target)
    rows = int(
        spark.read.format(fmt).load(target).count()
        if _is_path(target)
        else spark.table(target).count()
    )
    print(f"wrote {rows} rows with predictions of version {version} to {target} ({fmt})")
    return rows


TASKS: dict[str, Callable[[dict[str, str], Any | None], object]] = {
    "candidate": run_candidate,
    "gate": run_gate,
    "promote": run_promote,
    "deploy_serving": run_deploy_serving,
    "smoke_test": run_smoke_test,
    "batch_score": run_batch_score,
}
