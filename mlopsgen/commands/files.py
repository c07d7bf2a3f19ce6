"""The commands that work on files: validate, schema, render and check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mlopsgen.commands import console
from mlopsgen.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from mlopsgen.model import Spec


def require_files(specs: list[Path]) -> None:
    """A spec named on the command line that does not exist is a usage error (exit 2)."""
    missing = [str(p) for p in specs if not p.is_file()]
    if missing:
        raise UsageError(f"no such spec file: {', '.join(missing)}")


def run_validate(specs: list[Path], output_format: str) -> ExitCode:
    """Validate every spec; all diagnostics on stdout, a one-line summary on stderr."""
    from mlopsgen import report
    from mlopsgen.spec.compile import compile_spec

    require_files(specs)
    diagnostics = [d for p in specs for d in compile_spec(p).diagnostics]
    out = report.as_json(diagnostics) if output_format == "json" else report.as_text(diagnostics)
    console.out(out)
    console.err(report.summary(diagnostics, len(specs)) + "\n")
    failed = any(d.severity == "error" for d in diagnostics)
    return ExitCode.INVALID if failed else ExitCode.OK


def run_schema() -> ExitCode:
    """Print the packaged JSON Schema byte for byte (yaml-language-server reads it)."""
    from mlopsgen.spec.schema import schema_text

    console.out(schema_text())
    return ExitCode.OK


def _valid_specs(specs: list[Path]) -> Iterator[tuple[Path, Spec | None]]:
    """Compile each spec for render/check, printing its diagnostics; None marks an invalid one."""
    from mlopsgen import report
    from mlopsgen.spec.compile import compile_spec

    require_files(specs)
    for path in specs:
        result = compile_spec(path)
        console.out(report.as_text(result.diagnostics))
        yield path, result.spec


def run_render(specs: list[Path], out: Path | None, force: bool) -> ExitCode:
    """Render each spec into its folder (or --out), printing the plan; refuse conflicts."""
    from mlopsgen import report, writer
    from mlopsgen.render import render_spec

    code = ExitCode.OK
    for path, spec in _valid_specs(specs):
        if spec is None:
            code = ExitCode.INVALID
            continue
        root = path.parent if out is None else (out if len(specs) == 1 else out / spec.name)
        tree = writer.generated_tree(spec, render_spec(spec).files())
        plan = writer.plan(root, tree, force=force, protected=_inputs_under(root, path, spec))
        console.out(report.render_plan_lines(plan))
        if plan.conflicts:
            console.err(report.render_conflict_lines(plan))
            console.err("nothing written; --force overwrites files edited by hand\n")
            code = ExitCode.INVALID
            continue
        writer.apply(plan)
        console.err(report.render_summary(plan))
    return code


def _inputs_under(root: Path, spec_path: Path, spec: Spec) -> set[str]:
    """The spec and the files it references, as paths relative to `root` (never deleted)."""
    folder = spec_path.parent
    inputs = [spec_path, folder / spec.training.notebook]
    if spec.serving is not None and spec.serving.smoke_test is not None:
        inputs.append(folder / spec.serving.smoke_test)
    real_root = root.resolve()
    inside = set()
    for item in inputs:
        try:
            inside.add(item.resolve().relative_to(real_root).as_posix())
        except ValueError:
            continue  # not under the output root: nothing there to protect
    return inside


def run_check(specs: list[Path]) -> ExitCode:
    """Compare what render would write with what is on disk; never writes."""
    from mlopsgen import report, writer
    from mlopsgen.render import render_spec

    code = ExitCode.OK
    for path, spec in _valid_specs(specs):
        if spec is None:
            code = ExitCode.INVALID
            continue
        plan = writer.plan(
            path.parent, writer.generated_tree(spec, render_spec(spec).files()), force=True
        )
        _explain_packs(path, spec)
        pending = plan.pending()
        for change in pending:
            console.out(report.diff(plan, change))
        if pending:
            code = ExitCode.INVALID
            console.err(
                f"{path}: {len(pending)} generated file(s) out of date; "
                f"run: mlopsgen render {path}\n"
            )
    return code


def _explain_packs(path: Path, spec: Spec) -> None:
    """One line when the template packs differ from those the files were rendered with
    (issue 13): the diffs that follow are then the packs' doing."""
    from mlopsgen import writer

    recorded = writer.recorded_packs(path.parent)
    current = writer.pack_versions(spec)
    if recorded == current:
        before = writer.recorded_templates(path.parent)
        if before is not None and before != writer.templates_hash(spec):
            console.err(
                f"{path}: the template packs' templates changed since the last render "
                f"(same versions); run: mlopsgen render {path}\n"
            )
        return

    def shown(packs: dict[str, str]) -> str:
        return ", ".join(f"{n} {v}".strip() for n, v in packs.items()) or "none"

    console.err(
        f"{path}: template packs differ from the last render: recorded {shown(recorded)}, "
        f"installed {shown(current)}; run: mlopsgen render {path}\n"
    )


def run_layers(specs: list[Path]) -> ExitCode:
    """Show, per spec, the layer each template comes from and the defaults packs supply."""
    from mlopsgen import report
    from mlopsgen.render.environment import template_origins
    from mlopsgen.spec.compile import compile_spec

    require_files(specs)
    code = ExitCode.OK
    for path in specs:
        result = compile_spec(path)
        console.err(report.as_text(result.diagnostics))
        if result.spec is None:
            code = ExitCode.INVALID
            continue
        layers = result.spec.origin.layers
        packs = [(layer.name, layer.version) for layer in layers]
        templates = template_origins(layers)
        console.out(report.layers(str(path), packs, templates, result.defaults_from))
    return code


def run_environments(specs: list[Path], output_format: str) -> ExitCode:
    """Print, per stage, the Azure DevOps checks to configure (approvals, branch control,
    exclusive lock) on its environment or resources. An invalid spec prints its diagnostics."""
    from mlopsgen import report
    from mlopsgen.governance import stage_checks
    from mlopsgen.spec.compile import compile_spec

    require_files(specs)
    entries = []
    code = ExitCode.OK
    for path in specs:
        result = compile_spec(path)
        console.err(report.as_text(result.diagnostics))  # stdout stays the answer (JSON)
        if result.spec is None:
            code = ExitCode.INVALID
            continue
        entries.append((str(path), stage_checks(result.spec)))
    if output_format == "json":
        console.out(report.environment_checks_json(entries))
    else:
        console.out("".join(report.environment_checks(p, s) for p, s in entries))
    return code
