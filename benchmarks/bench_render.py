"""Benchmark `render` and `check` over N generated specs (default 1,000), in one process.

Reports specs per second for render (compile + render + plan + atomic writes) and for three
runs of check, as `mlopsgen check` runs it (`run_check`): without its records (`--no-cache`:
every spec compiled, rendered and compared), with an empty record folder (the same, plus
writing a record per pass), and again (every spec unchanged: its inputs and files compared
with the record). Then the floor issue 15 defines: a process that loads the same specs with
yaml.CSafeLoader and reads every generated file; each check's ratio to it; and peak memory.

    .venv/bin/python benchmarks/bench_render.py [-n 1000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

import yaml

from mlopsgen.commands.files import run_check
from mlopsgen.errors import ExitCode
from mlopsgen.model import Spec
from mlopsgen.render import Artifact, render_spec
from mlopsgen.spec.compile import compile_spec
from mlopsgen.writer import apply, generated_tree, plan

TARGETS = ("databricks-serving", "azureml", "batch", None)
COMPUTE = (
    "    spark_version: 15.4.x-cpu-ml-scala2.12\n    node_type: Standard_DS3_v2\n    workers: 2\n",
    "    serverless: true\n",
    "    existing_cluster_id: 0101-120000-abcd1234\n",
)


def spec_text(i: int) -> str:
    target = TARGETS[i % len(TARGETS)]
    registry = "workspace" if target == "azureml" and i % 2 else "unity-catalog"
    model = f"model_{i}" if registry == "workspace" else f"main.ml.model_{i}"
    stages = ["dev", "staging", "prod"][: 1 + i % 3]
    host = "https://adb-1000000000000001.1.azuredatabricks.net"
    lines = [
        "apiVersion: mlopsgen/v1",
        f"name: bench-{i}",
        f"description: Benchmark spec {i}.",
        f"owners: [team{i % 7}@example.com]",
        f"model: {{name: {model}, registry: {registry}}}",
        "training:",
        "  notebook: notebooks/train.py",
        f'  parameters: {{alpha: "0.{i % 10}", seed: "{i}"}}',
        "  compute:",
        COMPUTE[i % len(COMPUTE)].rstrip("\n"),
        '  libraries: ["scikit-learn==1.5.2"]',
        f"  max_retries: {i % 3}",
        "  timeout_minutes: 90",  # every attempt fits a Microsoft-hosted job (E351)
    ]
    if i % 2:
        lines += ["  pr_check:", '    parameters: {sample_fraction: "0.05"}']
    if i % 3:
        lines += ["schedule:", f'  cron: "{i % 60} {i % 24} * * 1-5"', "  timezone: UTC"]
    lines.append("stages:")
    for n, stage in enumerate(stages):
        lines += [f"  - name: {stage}", f"    workspace: {host}"]
        lines.append(
            f"    service_connection: sc-{stage}"
            if n % 2 == 0
            else f"    variable_group: vg-{stage}"
        )
        lines.append("    gates: [{metric: r2, min: 0.3}]")
        if target == "azureml":
            # the Azure ML steps' service connection: the stage's own, or one of their own
            own = "" if n % 2 == 0 else f", service_connection: sc-ml-{stage}"
            lines.append(f"    azureml: {{resource_group: rg-ml, workspace: mlw-ml{own}}}")
        if n == len(stages) - 1 and n > 0:
            lines.append("    approval: {approvers: [lead@example.com]}")
    if target == "batch":
        lines += [
            "serving:",
            "  target: batch",
            "  input_table: main.ml.input",
            "  output_table: main.ml.output_{stage}",
        ]
    elif target is not None:
        lines += [
            "serving:",
            f"  target: {target}",
            f"  endpoint: bench-{i}",
            "  smoke_test: tests/request.json",
        ]
    return "\n".join(lines) + "\n"


def request_text(i: int) -> str:
    """A smoke-test request of the shape the spec's endpoint takes (validate checks, E331)."""
    if TARGETS[i % len(TARGETS)] == "azureml":
        return '{"input_data": {"columns": ["a", "b"], "data": [[1, 2]]}}\n'
    return '{"inputs": [[1, 2]]}\n'


def make_specs(root: Path, count: int) -> list[Path]:
    (root / ".git").mkdir()
    paths = []
    for i in range(count):
        folder = root / "specs" / f"bench-{i}"
        (folder / "notebooks").mkdir(parents=True)
        (folder / "tests").mkdir()
        (folder / "notebooks/train.py").write_text("# Databricks notebook source\nprint(1)\n")
        (folder / "tests/request.json").write_text(request_text(i))
        (folder / "model.yaml").write_text(spec_text(i))
        paths.append(folder / "model.yaml")
    return paths


def tree(spec: Spec) -> tuple[Artifact, ...]:
    """What render writes for one spec: the rendered files plus the manifest."""
    return generated_tree(spec, render_spec(spec).files())


def render_all(paths: list[Path]) -> None:
    for path in paths:
        result = compile_spec(path)
        assert result.spec is not None, [d.format() for d in result.diagnostics]
        apply(plan(path.parent, tree(result.spec)))


def check_all(paths: list[Path], use_cache: bool) -> None:
    assert run_check(paths, quiet=True, use_cache=use_cache) == ExitCode.OK


def generated_files(paths: list[Path]) -> list[list[Path]]:
    """Every file render wrote beside each spec, listed before the floor's clock starts."""
    return [
        [file for file in sorted(path.parent.rglob("*")) if file.is_file() and file != path]
        for path in paths
    ]


def floor_all(paths: list[Path], files: list[list[Path]]) -> None:
    """Load each spec with the C YAML loader and read every generated file."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path, generated in zip(paths, files, strict=True):
        with open(path, "rb") as handle:
            yaml.load(handle.read(), Loader=loader)  # CSafeLoader is a safe loader
        for file in generated:
            with open(file, "rb") as handle:
                handle.read()


P = ParamSpec("P")


def timed(action: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1000, help="number of specs (default 1000)")
    count = parser.parse_args().n
    with tempfile.TemporaryDirectory(prefix="mlopsgen-bench-") as temp:
        root = Path(temp)
        os.environ["MLOPSGEN_CACHE_DIR"] = str(root / "records")  # not the user's own
        paths = make_specs(root, count)
        render_s = timed(render_all, paths)
        full_s = timed(check_all, paths, use_cache=False)
        cold_s = timed(check_all, paths, use_cache=True)
        warm_s = timed(check_all, paths, use_cache=True)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        floor_s = timed(floor_all, paths, generated_files(paths))
    print(f"specs: {count} (python {sys.version.split()[0]})")
    print(f"render: {render_s:.2f} s  {count / render_s:,.0f} specs/s")
    print(f"floor:  {floor_s:.2f} s  {count / floor_s:,.0f} specs/s (CSafeLoader load + reads)")
    for label, seconds in (
        ("check --no-cache", full_s),
        ("check, no records", cold_s),
        ("check, unchanged", warm_s),
    ):
        rate = f"{count / seconds:,.0f} specs/s"
        print(f"{label + ':':19} {seconds:.2f} s  {rate}  {seconds / floor_s:.1f}x floor")
    print(f"peak memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
