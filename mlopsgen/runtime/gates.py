"""The gates, pure: parse and normalize them, check values against them, format the verdict.

Nothing unclear may pass:
- `--gates` must be a JSON list; `[]` is a stage without gates, an empty value is an error.
  Each gate is checked strictly: unknown keys, a threshold without min/max, min above max,
  non-numeric or non-finite bounds, a negative tolerance or an unclear `higher_is_better`
  ("false" is false) fail the task before anything is read.
- Missing, NaN or infinite metric values fail the gate, on the candidate and on the champion.
- Comparison gates with no champion to compare with pass, and say so.
- A rollback (to an earlier version, on purpose) skips the comparison gates, and says so:
  the threshold gates still apply.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import TaskFailed, clip
from .params import parse_bool

THRESHOLD_KEYS = frozenset({"metric", "min", "max"})
CHAMPION_KEYS = frozenset({"metric", "compare", "higher_is_better", "tolerance"})


@dataclass(frozen=True)
class GateResult:
    metric: str
    kind: str  # "threshold" or "champion"
    candidate: float | None
    bound: str  # e.g. ">= 0.35", "<= 0.7 (champion v3 0.7 + tol 0)"
    passed: bool
    note: str = ""
    skipped: bool = False  # a comparison gate a rollback does not apply (it counts as passed)


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
    where = f"gate {index} ({clip(json.dumps(gate, sort_keys=True), 200)})"
    if not isinstance(gate, dict) or not isinstance(gate.get("metric"), str):
        raise TaskFailed(f'{where}: a gate is an object with a "metric" name')
    if not gate["metric"].strip():
        raise TaskFailed(f"{where}: the metric name is empty")
    champion = "compare" in gate
    unknown = sorted(set(gate) - (CHAMPION_KEYS if champion else THRESHOLD_KEYS))
    if unknown:
        raise TaskFailed(f"{where}: unknown key(s) {unknown}")
    if champion:
        return _comparison_gate(gate, where)
    return _threshold_gate(gate, where)


def _comparison_gate(gate: dict[str, Any], where: str) -> dict[str, Any]:
    if gate["compare"] != "champion":
        raise TaskFailed(f"{where}: compare must be 'champion', not {gate['compare']!r}")
    if "higher_is_better" not in gate:
        raise TaskFailed(f"{where}: a comparison gate needs higher_is_better")
    tolerance = _number(gate.get("tolerance", 0.0), where, "tolerance")
    if tolerance < 0:
        raise TaskFailed(f"{where}: tolerance must be >= 0, not {tolerance:g}")
    higher = parse_bool(gate["higher_is_better"], f"{where}: higher_is_better")
    return {**gate, "higher_is_better": higher, "tolerance": tolerance}


def _threshold_gate(gate: dict[str, Any], where: str) -> dict[str, Any]:
    bounds: dict[str, float] = {k: _number(gate[k], where, k) for k in ("min", "max") if k in gate}
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


ROLLBACK_NOTE = "rollback: the champion comparison does not apply"


def skip_comparison(gate: Mapping[str, Any], value: float | None) -> GateResult:
    """A comparison gate in a rollback: recorded, not applied."""
    return GateResult(str(gate["metric"]), "champion", value, "skipped", True, ROLLBACK_NOTE, True)


def is_comparison(gate: Mapping[str, Any]) -> bool:
    """A gate that compares with the champion (else it checks fixed bounds)."""
    return "compare" in gate


def evaluate_gates(
    gates: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, float],
    champion: str | None,
    champion_metrics: Mapping[str, float],
    *,
    champion_note: str = "",
    compare: bool = True,
) -> list[GateResult]:
    """Every gate's result; `compare=False` (a rollback) skips the comparison gates."""
    results = []
    for gate in gates:
        value = metrics.get(str(gate["metric"]))
        if is_comparison(gate) and not compare:
            results.append(skip_comparison(gate, value))
        elif is_comparison(gate):
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
            _verdict(r) + (f" ({r.note})" if r.note else ""),
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


def _verdict(result: GateResult) -> str:
    if result.skipped:
        return "SKIP"
    return "PASS" if result.passed else "FAIL"


def results_data(results: Sequence[GateResult]) -> list[dict[str, Any]]:
    """The results as strict JSON data (NaN / inf as text), as the gate run records them."""
    return [
        {
            "metric": r.metric,
            "gate": r.kind,
            "candidate": r.candidate
            if r.candidate is None or math.isfinite(r.candidate)
            else str(r.candidate),
            "bound": r.bound,
            "passed": r.passed,
            "skipped": r.skipped,
            "note": r.note,
        }
        for r in results
    ]


def failure_message(results: Sequence[GateResult]) -> str:
    """The failed gates, each with why: '' when every gate passed."""
    return ", ".join(f"{r.metric} ({r.note or 'out of bounds'})" for r in results if not r.passed)
