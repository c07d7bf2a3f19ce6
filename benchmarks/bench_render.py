"""Benchmark `render` and `check` over N generated specs (default 1,000).

Reports specs per second for render (compile + render + plan + atomic writes) and check
(compile + render in memory + compare with disk), the per-spec floor (yaml.CSafeLoader load of
the same YAML plus writing the same bytes with plain open/write), their ratio, and peak memory
(of render and check; then of the whole run, which holds the floor's inputs in memory).

    .venv/bin/python benchmarks/bench_render.py [-n 1000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

import yaml

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


def check_all(paths: list[Path]) -> None:
    for path in paths:
        result = compile_spec(path)
        assert result.spec is not None
        assert not plan(path.parent, tree(result.spec)).pending()


Floor = list[tuple[str, list[tuple[str, bytes]]]]


def floor_inputs(paths: list[Path]) -> Floor:
    """The same YAML texts and generated bytes, read before the floor's clock starts."""
    return [
        (
            path.read_text("utf-8"),
            [
                (file.relative_to(path.parent).as_posix(), file.read_bytes())
                for file in sorted(path.parent.rglob("*"))
                if file.is_file() and file.name != "model.yaml"
            ],
        )
        for path in paths
    ]


def floor_all(inputs: Floor, out: Path) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for i, (text, files) in enumerate(inputs):
        yaml.load(text, Loader=loader)  # CSafeLoader is a safe loader
        for relative, data in files:
            target = out / str(i) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)


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
        paths = make_specs(root, count)
        render_s = timed(render_all, paths)
        check_s = timed(check_all, paths)
        # before the floor's inputs (every generated byte of every spec) are held in memory
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        floor_s = timed(floor_all, floor_inputs(paths), root / "floor")
    whole_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"specs: {count} (python {sys.version.split()[0]})")
    print(f"render: {render_s:.2f} s  {count / render_s:,.0f} specs/s")
    print(f"check:  {check_s:.2f} s  {count / check_s:,.0f} specs/s")
    print(
        f"floor:  {floor_s:.2f} s  {count / floor_s:,.0f} specs/s "
        "(CSafeLoader load + writing the same bytes)"
    )
    print(f"ratio:  check {check_s / floor_s:.1f}x floor, render {render_s / floor_s:.1f}x floor")
    print(f"peak memory: {peak_mb:.0f} MB (render and check; {whole_mb:.0f} MB with the floor)")


if __name__ == "__main__":
    main()
