"""`mlopsgen upgrade`: bump the packs' pins in the project configuration, re-render, and show
the reviewer what changes (issue 13): first each stage's approval and gates that change
(`mlopsgen/review.py`), then each file, and for each job the fields `deploy` would change
(the same `differences()` as `mlopsgen plan`, here between the job file on disk and the new
render); the pipeline as a diff.

Install the new pack version first (`pip install contoso-pack==1.1.0`): mlopsgen reads the
installed pack, and the pin it checks against is the one this command writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlopsgen.commands import console
from mlopsgen.commands.files import output_root, require_files, run_render
from mlopsgen.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from mlopsgen.model import Spec
    from mlopsgen.render.artifacts import Rendered
    from mlopsgen.writer import Plan


def run_upgrade(specs: list[Path], pins: list[str], out: Path | None = None) -> ExitCode:
    """Bump, review, render. The configuration is restored when a spec no longer compiles."""
    from mlopsgen import writer
    from mlopsgen.spec.diagnostics import Diagnostic
    from mlopsgen.spec.pins import bump_pins
    from mlopsgen.spec.project import BAD_CONFIG, find_config
    from mlopsgen.spec.toml_text import read_toml

    require_files(specs)
    configs = sorted({c for c in map(find_config, specs) if c is not None})
    if not configs:
        raise UsageError("no pyproject.toml with [tool.mlopsgen] above the specs")
    before: dict[Path, str] = {}
    for config in configs:
        read = read_toml(config, BAD_CONFIG)
        if isinstance(read, Diagnostic):
            raise UsageError(read.format())
        new = bump_pins(read, pins) if pins else read.text
        if new != read.text:
            before[config] = read.text
            writer.write_atomic(config, new.encode("utf-8"))
            console.err(f"{config}: pinned {', '.join(pins)}\n")
    if not _review(specs, out):
        for config, text in before.items():  # nothing half-upgraded
            writer.write_atomic(config, text.encode("utf-8"))
        console.err("upgrade: not applied; the project configuration is as it was\n")
        return ExitCode.INVALID
    return run_render(specs, out, force=False)


def _review(specs: list[Path], out: Path | None) -> bool:
    """Print, per spec, the files and job fields the new render changes; False when a spec
    does not compile with the new pins (its diagnostics are printed)."""
    from mlopsgen import report, writer
    from mlopsgen.render import render_spec
    from mlopsgen.spec.compile import compile_spec

    ok = True
    for path in specs:
        result = compile_spec(path)
        console.err(report.as_text(result.diagnostics))
        if result.spec is None:
            ok = False
            continue
        rendered = render_spec(result.spec)
        root = output_root(path, result.spec, out)
        plan = writer.plan(root, writer.generated_tree(result.spec, rendered.files()), force=True)
        console.out(f"{path}:\n")
        console.out(_controls(result.spec, rendered, plan))
        for change in plan.pending():
            console.out(f"  {change.action:<7} {change.path}\n")
            job = next((j for j in rendered.jobs if j.path == change.path), None)
            if job is not None and change.old is not None:
                console.out(_job_fields(job.settings, json.loads(change.old)))
            elif change.path.endswith(".yml"):
                console.out(report.diff(plan, change))
    return ok


def _job_fields(new: Any, old: Any) -> str:
    from mlopsgen.databricks.compare import differences

    return "".join(
        f"      {f.path}: {json.dumps(f.current)} -> {json.dumps(f.desired)}\n"
        for f in differences(new, old)
    )


def _controls(spec: Spec, rendered: Rendered, plan: Plan) -> str:
    """Each stage's approval and gates that the new render changes, first: what a reviewer
    must not miss in the diff below (`mlopsgen/review.py`)."""
    from mlopsgen import review
    from mlopsgen.render.pipeline import stage_id

    on_disk = {c.path: c.old.decode("utf-8") if c.old is not None else None for c in plan.changes}
    ids = {stage.name: stage_id(stage) for stage in spec.stages}
    jobs = {name: rendered.job("deploy", name) for name in ids}
    pipeline = rendered.pipeline
    before = review.controls(
        on_disk.get(pipeline.path),
        ids,
        {n: on_disk.get(j.path) if j else None for n, j in jobs.items()},
    )
    after = review.controls(pipeline.text, ids, {n: j.text if j else None for n, j in jobs.items()})
    lines = review.changes(before, after)
    if not lines:
        return "  gates and approvals: unchanged\n"
    return "  gates and approvals:\n" + "".join(f"    {line}\n" for line in lines)
