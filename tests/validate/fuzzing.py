"""Run one fuzz case through the whole pipeline and classify the outcome.

Shared by test_fuzz.py and benchmarks/fuzz_specs.py, so both count the same things."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from validate.mutations import Case

from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Origin
from mlopsgen.render import render_spec
from mlopsgen.spec.compile import compile_bytes, folder_reader

ACCEPTED = "accepted"
LOCATED = "located rejection"
UNLOCATED = "unlocated rejection"
INTERNAL = "internal error"
OUTCOMES = (ACCEPTED, LOCATED, UNLOCATED, INTERNAL)
ORIGIN = Origin(spec_path="specs/example/model.yaml", spec_dir="specs/example")


@dataclass(frozen=True)
class Outcome:
    kind: str
    seconds: float
    detail: str = ""  # the traceback or the unlocated diagnostic


def run(case: Case) -> Outcome:
    started = time.perf_counter()
    try:
        kind, detail = _classify(case)
    except Exception:  # the very thing being counted
        kind, detail = INTERNAL, traceback.format_exc()
    return Outcome(kind, time.perf_counter() - started, detail)


def _classify(case: Case) -> tuple[str, str]:
    result = compile_bytes(
        case.raw, Path("model.yaml"), read_file=folder_reader(case.folder), origin=ORIGIN
    )
    if result.spec is not None:
        try:
            render_spec(result.spec)
        except MlopsgenError as exc:  # a refusal at render time: validate should have said it
            return UNLOCATED, f"render refused an accepted spec: {exc}"
        return ACCEPTED, ""
    lines = result.text.count("\n") + 1
    for diagnostic in result.diagnostics:
        where = diagnostic.location
        if not (1 <= where.line <= lines and where.column >= 1):
            return UNLOCATED, diagnostic.format()
    if not result.diagnostics:
        return UNLOCATED, "rejected without a diagnostic"
    return LOCATED, ""
