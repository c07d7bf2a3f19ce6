"""The benchmark's generated specs stay valid as the rules grow (a benchmark that stops at its
first spec measures nothing: it did, twice, when E331 and E351 arrived)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from mlopsgen.spec.compile import compile_spec

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_render.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_render", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_benchmark_spec_is_valid(tmp_path: Path) -> None:
    bench = _bench()
    count = 2 * 3 * 4 * 3  # covers every combination of the generator's cycles
    paths = bench.make_specs(tmp_path, count)
    problems = [
        d.format() for p in paths for d in compile_spec(p).diagnostics if d.severity == "error"
    ]
    assert problems == []
