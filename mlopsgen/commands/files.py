"""The commands that work on files: validate, schema, render and check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlopsgen import __version__
from mlopsgen.commands import console
from mlopsgen.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from mlopsgen.check_cache import ProjectKeys
    from mlopsgen.model import Layer, Spec
    from mlopsgen.render.artifacts import Artifact
    from mlopsgen.spec.compile import CompileResult
    from mlopsgen.spec.diagnostics import Diagnostic
    from mlopsgen.spec.project import Project


def require_files(specs: list[Path]) -> None:
    """A spec named on the command line that does not exist is a usage error (exit 2)."""
    missing = [str(p) for p in specs if not p.is_file()]
    if missing:
        raise UsageError(f"no such spec file: {', '.join(missing)}")


def run_validate(specs: list[Path], output_format: str, *, quiet: bool = False) -> ExitCode:
    """Validate every spec; all diagnostics on stdout, a one-line summary on stderr."""
    from mlopsgen import report
    from mlopsgen.spec.compile import compile_spec, duplicate_names

    require_files(specs)
    results = [compile_spec(p) for p in specs]
    diagnostics = [d for r in results for d in r.diagnostics]
    diagnostics += duplicate_names(results)  # two specs of one name overwrite each other
    if output_format == "sarif":
        console.out(report.as_sarif(diagnostics, __version__))
    else:
        _print_diagnostics(diagnostics, output_format)
    if not quiet:
        console.err(report.summary(diagnostics, len(specs)) + "\n")
    failed = any(d.severity == "error" for d in diagnostics)
    return ExitCode.INVALID if failed else ExitCode.OK


def _print_diagnostics(diagnostics: Sequence[Diagnostic], output_format: str) -> None:
    from mlopsgen import report

    if output_format == "azure":  # logging commands mlopsgen built, each value escaped
        console.logging_command(report.as_azure(diagnostics))
    elif output_format == "github":
        console.logging_command(report.as_github(diagnostics))
    elif output_format == "json":
        console.out(report.as_json(diagnostics))
    else:
        console.out(report.as_text(diagnostics))


def run_schema() -> ExitCode:
    """Print the packaged JSON Schema byte for byte (yaml-language-server reads it)."""
    from mlopsgen.spec.schema import schema_text

    console.out(schema_text())
    return ExitCode.OK


def _valid_specs(
    specs: list[Path], output_format: str = "text"
) -> Iterator[tuple[Path, Spec | None]]:
    """Compile each spec for render/check, printing its diagnostics; None marks an invalid one
    (also a spec whose name an earlier one has: they would overwrite each other, E375)."""
    from mlopsgen.spec.compile import compile_spec, duplicate_names

    require_files(specs)
    results = [compile_spec(path) for path in specs]
    duplicates = {d.location.file: d for d in duplicate_names(results)}
    for result in results:
        clash = duplicates.get(str(result.path))
        found = [*result.diagnostics, *([clash] if clash is not None else [])]
        _print_diagnostics(found, output_format)
        yield result.path, None if clash is not None else result.spec


def output_root(spec_path: Path, spec: Spec, out: Path | None) -> Path:
    """Where a spec's files go, for render and check alike: next to the spec, or with `--out
    DIR` in DIR/<name>/ however many specs are given (issue 14: one rule)."""
    return output_root_named(spec_path, spec.name, out)


def output_root_named(spec_path: Path, name: str, out: Path | None) -> Path:
    return spec_path.parent if out is None else out / name


def run_render(
    specs: list[Path], out: Path | None, force: bool, *, quiet: bool = False
) -> ExitCode:
    """Render each spec into its folder (or --out), printing the plan; refuse conflicts."""
    from mlopsgen import report, writer
    from mlopsgen.render import render_spec

    code = ExitCode.OK
    for path, spec in _valid_specs(specs):
        if spec is None:
            code = ExitCode.INVALID
            continue
        root = output_root(path, spec, out)
        tree = writer.generated_tree(spec, render_spec(spec).files())
        plan = writer.plan(root, tree, force=force, protected=_inputs_under(root, path, spec))
        if plan.conflicts:  # refused before any plan is shown: nothing of it will happen
            console.err(report.render_conflict_lines(plan))
            console.err(report.render_refusal(plan))
            code = ExitCode.INVALID
            continue
        if not quiet:
            console.out(report.render_plan_lines(plan))
        writer.apply(plan)
        if not quiet:
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


def run_check(
    specs: list[Path],
    output_format: str = "text",
    out: Path | None = None,
    *,
    quiet: bool = False,
    use_cache: bool = True,
) -> ExitCode:
    """Compare what render would write with what is on disk; never writes generated files.
    `output_format` is the diagnostics' (text, azure, github); the diffs are always text.

    A spec whose inputs and generated files are all as a passing check recorded them is not
    compiled again: its verdict and warnings are replayed (`check_cache`, issue 15).
    `use_cache=False` compiles every spec."""
    import os

    from mlopsgen import check_cache, report
    from mlopsgen.spec.compile import compile_spec, duplicate_names
    from mlopsgen.spec.project import load_project

    require_files(specs)
    folder = check_cache.cache_dir(os.environ) if use_cache else None
    keys = check_cache.ProjectKeys()
    replayed = _replayed(specs, out, folder, keys) if folder is not None else {}
    compiled: dict[Path, tuple[CompileResult, _Inputs]] = {}

    def compile_one(path: Path) -> None:
        inputs = _Inputs(path, load_project(path), keys)
        result = compile_spec(path, inputs.project, raw=inputs.raw, reads=inputs.reads)
        compiled[path] = (result, inputs)

    for path in specs:
        if path not in replayed:
            compile_one(path)
    for path in _shared_names(specs, replayed, compiled):  # E375 compares them: compile them too
        del replayed[path]
        compile_one(path)
    results = [compiled[p][0] for p in specs if p in compiled]  # in the command line's order
    clashes = {d.location.file: d for d in duplicate_names(results)}
    code = ExitCode.OK
    stale: list[tuple[Path, list[str]]] = []  # for the pipeline run's summary
    for path in specs:
        if path in replayed:
            _print_diagnostics(replayed[path][1], output_format)
            continue
        result, inputs = compiled[path]
        clash = clashes.get(str(result.path))
        _print_diagnostics([*result.diagnostics, *([clash] if clash else [])], output_format)
        if result.spec is None or clash is not None:
            code = ExitCode.INVALID
            continue
        tree = _checked_tree(path, result.spec, out, quiet, stale)
        if tree is None:
            code = ExitCode.INVALID
        elif folder is not None:
            record = inputs.record(result, output_root(path, result.spec, out), tree)
            check_cache.write_record(check_cache.record_path(folder, path, out), record)
    if stale and output_format == "azure":
        _upload_summary(report.check_summary_markdown(stale))
    return code


def _checked_tree(
    path: Path, spec: Spec, out: Path | None, quiet: bool, stale: list[tuple[Path, list[str]]]
) -> tuple[Artifact, ...] | None:
    """Compare one valid spec's render with the disk, printing the diffs: the generated
    tree when nothing differs, else None."""
    from mlopsgen import report, writer
    from mlopsgen.render import render_spec

    files = render_spec(spec).files()
    root = output_root(path, spec, out)
    tree = writer.generated_tree(spec, files)
    plan = writer.plan(root, tree, force=True)
    _explain_packs(path, spec, root)
    pending = plan.pending()
    if not pending:
        return tree
    for change in [] if quiet else pending:  # quiet: the one-line verdict alone
        console.out(report.diff(plan, change))
    # what will really work: render, unless it would refuse (hand edits, strangers)
    refused = writer.plan(root, tree, force=False)
    console.err(report.check_advice(path, len(pending), refused))
    stale.append((path, [f"{c.action} {c.path}" for c in pending]))
    return None


class _Inputs:
    """What a compile for `check` reads, kept for the record of its pass: the spec's bytes
    (read once, so the record and the compile saw the same), the project, and every file the
    compile read beside the spec."""

    def __init__(self, path: Path, project: Project, keys: ProjectKeys) -> None:
        from mlopsgen.spec.compile import read_spec

        self.project = project
        self.keys = keys
        self.raw = read_spec(path)
        self.reads: dict[str, bytes | None] = {}

    def record(
        self, result: CompileResult, root: Path, tree: tuple[Artifact, ...]
    ) -> dict[str, Any]:
        from mlopsgen import check_cache

        assert result.spec is not None
        reads = check_cache.recorded_reads(self.reads)
        zones = [(k, check_cache.zone_digest(k)) for k in check_cache.spec_zones(result.spec)]
        project = self.keys(self.project)
        spec_path = result.spec.origin.spec_path
        return check_cache.new_record(
            inputs=check_cache.inputs_digest(self.raw, spec_path, project, reads, zones),
            reads=reads,
            zones=zones,
            root=root,
            tree=tree,
            name=result.spec.name,
            diagnostics=result.diagnostics,
        )


def _replayed(
    specs: list[Path], out: Path | None, folder: Path, keys: ProjectKeys
) -> dict[Path, tuple[str, list[Diagnostic]]]:
    """The specs whose recorded pass still holds: their names and diagnostics."""
    from mlopsgen import check_cache
    from mlopsgen.spec.compile import folder_reader, read_spec, repo_origin
    from mlopsgen.spec.project import load_project

    known: dict[Path, tuple[str, list[Diagnostic]]] = {}
    for path in specs:
        record = check_cache.read_record(check_cache.record_path(folder, path, out))
        project = load_project(path) if record is not None else None
        if record is None or project is None or project.problems:
            continue
        found = check_cache.replayed(
            record,
            spec_bytes=read_spec(path),
            spec_path=repo_origin(path).spec_path,
            project=keys(project),
            read_file=folder_reader(path.parent),
            root_of=partial(output_root_named, path, out=out),
        )
        if found is not None:
            name, items = found
            known[path] = (name, [_diagnostic(d) for d in items])
    return known


def _diagnostic(item: dict[str, Any]) -> Diagnostic:
    """A recorded diagnostic (`Diagnostic.as_dict`) as it was."""
    from mlopsgen.spec.diagnostics import Diagnostic, Location

    where = Location(str(item["file"]), int(item["line"]), int(item["column"]))
    fields = (str(item[k]) for k in ("code", "path", "message", "severity"))
    return Diagnostic(where, *fields)


def _shared_names(
    specs: list[Path],
    replayed: dict[Path, tuple[str, list[Diagnostic]]],
    compiled: dict[Path, tuple[CompileResult, _Inputs]],
) -> list[Path]:
    """The replayed specs whose name another spec of this run has (or that are named twice)."""
    count: dict[str, int] = {}
    for path in specs:
        if path in replayed:
            name: str | None = replayed[path][0]
        else:
            spec = compiled[path][0].spec
            name = spec.name if spec is not None else None
        if name is not None:
            count[name] = count.get(name, 0) + 1
    return [path for path, (name, _) in replayed.items() if count[name] > 1]


def _upload_summary(markdown: str) -> None:
    """Attach a Markdown summary to the Azure Pipelines run (logging command
    task.uploadsummary, Microsoft Learn "Logging commands"), from the agent's temp folder."""
    import os
    import tempfile

    from mlopsgen import report, writer

    folder = Path(os.environ.get("AGENT_TEMPDIRECTORY") or tempfile.gettempdir())
    path = folder / "mlopsgen-check.md"
    writer.write_atomic(path, markdown.encode("utf-8"))
    console.logging_command(report.upload_summary(path))


def _explain_packs(path: Path, spec: Spec, root: Path) -> None:
    """One line when the template packs differ from those the files were rendered with
    (issue 13): the diffs that follow are then the packs' doing."""
    from mlopsgen import writer

    recorded = writer.recorded_packs(root)
    current = writer.pack_versions(spec)
    if recorded == current:
        before = writer.recorded_templates(root)
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
        templates = {
            name: _described(name, owner, layers)
            for name, owner in template_origins(layers).items()
        }
        console.out(report.layers(str(path), packs, templates, result.defaults_from))
    return code


def _described(template: str, owner: str, layers: tuple[Layer, ...]) -> str:
    """`contoso (extends builtin:...; blocks: ...)`, or `builtin` for mlopsgen's own."""
    from mlopsgen.spec.pack_templates import describe

    folder = next((la.templates for la in layers if la.name == owner and la.templates), None)
    if folder is None:  # built-in
        return owner
    text = (Path(folder) / template).read_text(encoding="utf-8")
    return f"{owner} ({describe(template, text)})"


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
