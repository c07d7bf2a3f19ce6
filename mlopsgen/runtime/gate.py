"""The gate task: judge the candidate with `gates`, keep the full results as an MLflow run in
this stage's workspace (gate_run.py) and the verdict on the version, where promote checks it.

- Metric values come from the version's metrics snapshot only (tag `mlopsgen_metrics`,
  written by the candidate task in the training workspace: metrics.py). The gate never reads
  a run: in a stage's own workspace the training run does not exist.
- Comparison gates compare with the champion (alias `champion` / the Production version),
  read from the champion version's snapshot. A candidate that is the champion already is
  compared with the champion before it (`previous` / tag `mlopsgen_previous_production`),
  never itself. A rollback (`--deploy_mode rollback`) skips them and says so.
- On the version: `mlopsgen_gate_<stage>` (`passed` / `failed`) and `mlopsgen_gaterun_<stage>`
  (the id of the run that keeps the results).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import registry
from .candidate import candidate_version
from .contract import (
    GATE_EXPERIMENT,
    GATE_FAILED,
    GATE_PASSED,
    GATES,
    METRICS_TAG,
    MODE_DEPLOY,
    STAGE,
    gate_run_tag,
    gate_tag,
)
from .errors import TaskFailed
from .gate_run import record_gate_run
from .gates import (
    GateResult,
    evaluate_gates,
    failure_message,
    format_table,
    is_comparison,
    parse_gates,
)
from .metrics import read_snapshot
from .params import deploy_mode, required
from .registry import Registry
from .tags import set_version_tag


def run_gate(params: dict[str, str], dbutils: Any | None) -> list[GateResult]:
    required(params, STAGE, GATE_EXPERIMENT)
    mode = deploy_mode(params)
    # An absent value is not "no gates": parse_gates refuses it (see there).
    gates = parse_gates(params.get(GATES, ""))
    reg = registry.open_registry(params)
    version = candidate_version(params, dbutils)
    results, notes = judge(reg, version, gates, compare=mode == MODE_DEPLOY)
    stage = params[STAGE]
    table = format_table(results) if results else "(this stage has no gates)"
    print(f"gates for stage {stage!r}, {reg.name} version {version} ({mode}):")
    print(table)
    verdict = GATE_PASSED if all(r.passed for r in results) else GATE_FAILED
    context = {"model_name": reg.name, "model_version": version, "stage": stage}
    context |= {"deploy_mode": mode, "verdict": verdict}
    run_id = record_gate_run(reg, params[GATE_EXPERIMENT], context, results, table)
    print(f"gate results: run {run_id} of experiment {params[GATE_EXPERIMENT]!r}")
    set_version_tag(reg, version, gate_tag(stage), verdict)
    set_version_tag(reg, version, gate_run_tag(stage), run_id)
    failed = failure_message(results)
    if failed:
        why = "".join(f"; {note}" for note in notes)
        raise TaskFailed(
            f"gate failed for {reg.name} version {version} at stage {stage!r}: {failed}{why}"
        )
    print(f"all gates passed for version {version}")
    return results


def judge(
    reg: Registry, version: str, gates: Sequence[Mapping[str, Any]], *, compare: bool
) -> tuple[list[GateResult], list[str]]:
    """The gates' results, and why metrics are missing when a whole snapshot is."""
    notes: list[str] = []
    metrics = _snapshot(reg, version, "version", notes)
    champion, note = None, ""
    champion_metrics: dict[str, float] = {}
    if compare and any(is_comparison(g) for g in gates):
        champion, note = comparison_baseline(reg, version)
        if champion is not None:
            champion_metrics = _snapshot(reg, champion, "champion version", notes)
    results = evaluate_gates(
        gates, metrics, champion, champion_metrics, champion_note=note, compare=compare
    )
    return results, notes


def _snapshot(reg: Registry, version: str, whose: str, notes: list[str]) -> dict[str, float]:
    found = read_snapshot(reg, registry.existing_version(reg, version))
    if found is None:
        notes.append(
            f"{whose} {version} has no tag {METRICS_TAG} (the train job's candidate task "
            "writes it in the training workspace)"
        )
    return found or {}


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
