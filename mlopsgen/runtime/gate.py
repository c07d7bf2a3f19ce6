"""The gate task: read the candidate's (and champion's) metrics, judge them with `gates`,
and record the verdict on the version (tag `mlopsgen.gate.<stage>`), where promote checks it.

- A metric's value is its latest (highest step, then newest timestamp: MLflow's rule), from
  the version's source run, else from its MLflow 3 logged model.
- Comparison gates compare with the champion (alias `champion` / the Production version).
  A candidate that is the champion already is compared with the champion before it
  (`previous` / tag `mlopsgen.previous_production`), never itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import registry
from .candidate import candidate_version
from .contract import GATE_FAILED, GATE_PASSED, GATES, STAGE, gate_results_tag, gate_tag
from .errors import TaskFailed
from .gates import (
    GateResult,
    evaluate_gates,
    failure_message,
    format_table,
    is_comparison,
    parse_gates,
    results_json,
)
from .params import required
from .registry import Registry


def run_gate(params: dict[str, str], dbutils: Any | None) -> list[GateResult]:
    reg = registry.open_registry(params)
    required(params, STAGE)
    # An absent value is not "no gates": parse_gates refuses it (see there).
    gates = parse_gates(params.get(GATES, ""))
    version = candidate_version(params, dbutils)
    results = _judge(reg, version, gates)
    stage = params[STAGE]
    print(f"gates for stage {stage!r}, {reg.name} version {version}:")
    print(format_table(results) if results else "(this stage has no gates)")
    _record_verdict(reg, version, stage, results)
    failed = failure_message(results)
    if failed:
        raise TaskFailed(
            f"gate failed for {reg.name} version {version} at stage {stage!r}: {failed}"
        )
    print(f"all gates passed for version {version}")
    return results


def _judge(reg: Registry, version: str, gates: Sequence[Mapping[str, Any]]) -> list[GateResult]:
    candidate = registry.existing_version(reg, version)
    champion, note = comparison_baseline(reg, version)
    champion_metrics: dict[str, float] = {}
    compared = [str(g["metric"]) for g in gates if is_comparison(g)]
    if champion is not None and compared:
        champion_metrics = version_metrics(reg, registry.existing_version(reg, champion), compared)
    metrics = version_metrics(reg, candidate, [str(g["metric"]) for g in gates])
    return evaluate_gates(gates, metrics, champion, champion_metrics, champion_note=note)


def comparison_baseline(reg: Registry, version: str) -> tuple[str | None, str]:
    """The version comparison gates compare with, and a note when it is not the champion.

    A candidate that already is the champion (a re-run of its deploy job) is never compared
    with itself, which would always pass: it is compared with the champion it replaced, as
    at its promotion; with none recorded it passes like a first deploy, and says why.
    """
    champion = registry.champion(reg)
    if champion != version:
        return champion, ""
    earlier = registry.previous_champion(reg)
    if earlier is not None and earlier != version:
        return earlier, f"candidate is the champion already; compared with previous v{earlier}"
    return None, "candidate is the champion already, no earlier champion: passes"


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


def _record_verdict(reg: Registry, version: str, stage: str, results: Sequence[GateResult]) -> None:
    """Record the verdict on the model version itself, where reviewers look for it."""
    verdict = GATE_PASSED if all(r.passed for r in results) else GATE_FAILED
    reg.client.set_model_version_tag(reg.name, version, gate_tag(stage), verdict)
    reg.client.set_model_version_tag(
        reg.name, version, gate_results_tag(stage), results_json(results)
    )
