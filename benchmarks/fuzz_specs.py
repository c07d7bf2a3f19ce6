"""Fuzz `compile` (and `render` of what it accepts) with N mutated example specs (issue 11).

Reports counts by outcome: accepted, located rejection, unlocated rejection (a diagnostic
without a line and column inside the file, or a render-time refusal of an accepted spec),
internal error (an exception), and cases over one second; the slowest case; and the first
case of each failure signature, to replay with `--seed` and `--show`.

    .venv/bin/python benchmarks/fuzz_specs.py [-n 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from validate.fuzzing import INTERNAL, OUTCOMES, UNLOCATED, run
from validate.mutations import EXAMPLES, Case, mutate

_NEAR_LIMIT = 990_000  # bytes: just under the 1,000,000 that E012 refuses


def large_specs() -> dict[str, bytes]:
    """Specs just under the size limit, each stressing another layer."""
    base = (EXAMPLES[0] / "model.yaml").read_text(encoding="utf-8")
    n = _NEAR_LIMIT

    def description(filler: str) -> bytes:
        value = filler * (n // len(filler) - 20)
        return base.replace("description:", f"description: '{value}' #", 1).encode()

    return {
        "one long description": description("word "),
        "one long random string": description("Xk9PqL2mN8vR4tY7wZ3aB6cD1eF5gH0jK"),
        "one long URL-like string": description("a://b:"),
        "many owners": base.replace("owners: [", "owners: [" + "a@b.c, " * (n // 8), 1).encode(),
        "many unknown keys": (base + "".join(f"k{i}: 1\n" for i in range(n // 10))).encode(),
        "long keys": (base + "".join(f"{'k' * 1000}{i}: 1\n" for i in range(n // 1010))).encode(),
        "deep nesting": (base + "x: " + "[" * (n // 2 - 5000) + "]" * (n // 2 - 5000)).encode(),
    }


def time_large_specs() -> float:
    worst = 0.0
    print("specs just under 1 MB:")
    for name, raw in large_specs().items():
        outcome = run(Case(EXAMPLES[0], raw, (name,)))
        worst = max(worst, outcome.seconds)
        print(f"  {name:26} {len(raw):>9,} bytes {outcome.seconds * 1000:6.0f} ms  {outcome.kind}")
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of cases")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for folder in EXAMPLES:  # warm up: imports and the schema's compilation, paid once per run
        run(Case(folder, (folder / "model.yaml").read_bytes(), ()))
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    signatures: dict[str, str] = {}
    slowest: tuple[float, tuple[str, ...]] = (0.0, ())
    over_a_second = 0
    started = time.perf_counter()
    for _ in range(args.n):
        case = mutate(rng)
        outcome = run(case)
        counts[outcome.kind] += 1
        over_a_second += outcome.seconds > 1
        slowest = max(slowest, (outcome.seconds, case.mutations))
        if outcome.kind in (INTERNAL, UNLOCATED):
            last = outcome.detail.strip().splitlines()[-1]
            signatures.setdefault(last, f"{case.mutations}\n{outcome.detail}")
    elapsed = time.perf_counter() - started
    print(f"{args.n:,} cases (seed {args.seed}) in {elapsed:.1f} s")
    for kind in OUTCOMES:
        print(f"  {kind:20} {counts[kind]:>8,}")
    print(f"  {'over 1 s':20} {over_a_second:>8,}")
    print(f"slowest case: {slowest[0] * 1000:.0f} ms {slowest[1]}")
    worst = time_large_specs()
    for detail in signatures.values():
        print("---", detail, sep="\n")
    return 1 if signatures or over_a_second or worst > 1 else 0


if __name__ == "__main__":
    sys.exit(main())
