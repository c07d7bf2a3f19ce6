"""Command bodies behind the CLI: read inputs, call the pure core, print, return an exit code."""

from __future__ import annotations

from pathlib import Path

from mlopsgen.errors import ExitCode


def run_validate(specs: list[Path], output_format: str) -> ExitCode:
    """Validate every spec; all diagnostics on stdout, a one-line summary on stderr."""
    import sys

    from mlopsgen import report
    from mlopsgen.compile import compile_spec
    from mlopsgen.errors import UsageError

    missing = [str(p) for p in specs if not p.is_file()]
    if missing:
        raise UsageError(f"no such spec file: {', '.join(missing)}")
    diagnostics = [d for p in specs for d in compile_spec(p).diagnostics]
    out = report.as_json(diagnostics) if output_format == "json" else report.as_text(diagnostics)
    sys.stdout.write(out)
    sys.stderr.write(report.summary(diagnostics, len(specs)) + "\n")
    failed = any(d.severity == "error" for d in diagnostics)
    return ExitCode.INVALID if failed else ExitCode.OK


def run_schema() -> ExitCode:
    """Print the packaged JSON Schema byte for byte (yaml-language-server reads it)."""
    import sys

    from mlopsgen.schema import schema_text

    sys.stdout.write(schema_text())
    return ExitCode.OK


def _compile_for_output(path: Path) -> tuple[object, ExitCode]:
    """Compile one spec for render/check; print its diagnostics. Returns (spec or None, code)."""
    import sys

    from mlopsgen import report
    from mlopsgen.compile import compile_spec

    result = compile_spec(path)
    sys.stdout.write(report.as_text(result.diagnostics))
    return result.spec, (ExitCode.OK if result.spec is not None else ExitCode.INVALID)


def run_render(specs: list[Path], out: Path | None, force: bool) -> ExitCode:
    """Render each spec into its folder (or --out), printing the plan; refuse conflicts."""
    import sys

    from mlopsgen import writer
    from mlopsgen.errors import UsageError
    from mlopsgen.model import Spec
    from mlopsgen.render import report as render_report

    missing = [str(p) for p in specs if not p.is_file()]
    if missing:
        raise UsageError(f"no such spec file: {', '.join(missing)}")
    code = ExitCode.OK
    for path in specs:
        spec, status = _compile_for_output(path)
        if not isinstance(spec, Spec):
            code = max(code, status)
            continue
        root = path.parent if out is None else (out if len(specs) == 1 else out / spec.name)
        plan = writer.plan(root, writer.generated_tree(spec), force=force)
        sys.stdout.write(render_report.plan_lines(plan))
        if plan.conflicts:
            sys.stderr.write(render_report.conflict_lines(plan))
            sys.stderr.write("nothing written; --force overwrites files edited by hand\n")
            code = ExitCode.INVALID
            continue
        writer.apply(plan)
        sys.stderr.write(render_report.summary(plan))
    return code


def run_check(specs: list[Path]) -> ExitCode:
    """Compare what render would write with what is on disk; never writes."""
    import sys

    from mlopsgen import writer
    from mlopsgen.errors import UsageError
    from mlopsgen.model import Spec
    from mlopsgen.render import report as render_report

    missing = [str(p) for p in specs if not p.is_file()]
    if missing:
        raise UsageError(f"no such spec file: {', '.join(missing)}")
    code = ExitCode.OK
    for path in specs:
        spec, status = _compile_for_output(path)
        if not isinstance(spec, Spec):
            code = max(code, status)
            continue
        plan = writer.plan(path.parent, writer.generated_tree(spec), force=True)
        pending = plan.pending()
        for change in pending:
            sys.stdout.write(render_report.diff(plan, change))
        if pending:
            code = ExitCode.INVALID
            sys.stderr.write(
                f"{path}: {len(pending)} generated file(s) out of date; "
                f"run: mlopsgen render {path}\n"
            )
    return code
