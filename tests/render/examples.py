"""Shared helpers for the render tests: the example specs, compiled and rendered once."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from mlopsgen.model import Origin, Spec
from mlopsgen.render import render_spec
from mlopsgen.spec.compile import compile_text, folder_reader
from mlopsgen.writer import generated_tree

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
GOLDEN = REPO / "golden"
EXAMPLES = tuple(sorted(p.parent.name for p in SPECS.glob("*/model.yaml")))


def origin_of(name: str) -> Origin:
    # Fixed, repository-relative origin: golden files must not depend on where tests run.
    return Origin(spec_path=f"specs/{name}/model.yaml", spec_dir=f"specs/{name}")


@cache
def example_spec(name: str) -> Spec:
    path = SPECS / name / "model.yaml"
    result = compile_text(
        path.read_text(encoding="utf-8"),
        path,
        read_file=folder_reader(path.parent),
        origin=origin_of(name),
    )
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    return result.spec


@cache
def example_tree(name: str) -> dict[str, str]:
    """The complete generated tree of an example spec, path -> text."""
    return {
        a.path: a.text
        for a in generated_tree(example_spec(name), render_spec(example_spec(name)).files())
    }


def job_key(job: dict[str, Any]) -> str:
    """A pipeline job's name: `job: x`, or `deployment: x` for a deployment job."""
    return str(job.get("job") or job.get("deployment"))


def job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A pipeline job's steps; a deployment job (runOnce) keeps them in its deploy hook."""
    if "strategy" in job:
        steps: list[dict[str, Any]] = job["strategy"]["runOnce"]["deploy"]["steps"]
        return steps
    plain: list[dict[str, Any]] = job.get("steps", [])
    return plain


# churn-batch's issue-12 blocks: runtime_compute (with its comment) and serving.compute.
_WORKLOAD_COMPUTE = (
    re.compile(r"^# gate, promote.*?\n\n", re.S | re.M),
    re.compile(r"^  compute:  # scoring.*\Z", re.S | re.M),
)


def churn_on_training_compute() -> str:
    """churn-batch's model.yaml without runtime_compute and serving.compute: every workload on
    what the training compute gives it (serverless), as before they could be set."""
    text = (SPECS / "churn-batch" / "model.yaml").read_text("utf-8")
    for block in _WORKLOAD_COMPUTE:
        text, found = block.subn("", text)
        assert found == 1, block.pattern
    return text
