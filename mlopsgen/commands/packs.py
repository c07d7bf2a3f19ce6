"""`mlopsgen pack-test`: a template pack's own safety net (issue 13). Render the pack against
its own example specs (`<pack>/specs/*/model.yaml`) and any spec given, and compare each
generated tree with the pack's golden tree, `<golden>/<spec folder>/`, as this repository
tests its own templates; `--update` rewrites the golden trees on purpose.

The runtime's files are left out (they are mlopsgen's, not the pack's). The same oracles as
`render` apply (the spec's rules, the pack's policies, the checks of the rendered pipeline),
then independent validators (`pack_validators.py`: Microsoft's Azure Pipelines schema,
databricks-sdk's JobSettings, the notebook format) before the golden comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlopsgen.commands import console, pack_validators
from mlopsgen.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from mlopsgen.spec.project import Project

SPECS = "specs"
GOLDEN = "golden"
SPEC_FILE = "model.yaml"


def pack_specs(pack: Path, given: list[Path]) -> list[Path]:
    """The pack's own example specs, then those given; each spec folder's name once."""
    own = sorted((pack / SPECS).glob(f"*/{SPEC_FILE}"))
    specs = own + [p / SPEC_FILE if p.is_dir() else p for p in given]
    missing = [str(p) for p in specs if not p.is_file()]
    if missing:
        raise UsageError(f"no such spec file: {', '.join(missing)}")
    if not specs:
        raise UsageError(f"{pack}: no specs: add {pack / SPECS}/<name>/{SPEC_FILE} or name one")
    names = [p.parent.name for p in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"two specs in folders named {', '.join(twice)}: one golden tree each")
    return specs


def run_pack_test(
    pack: Path,
    given: list[Path],
    golden: Path | None,
    update: bool,
    *,
    policy_warnings: bool = False,
) -> ExitCode:
    """Exit 0 when every tree matches its golden tree (or was rewritten), 1 otherwise.
    `policy_warnings`: the pack's policy rules are reported as warnings, for specs that were
    not written for the pack (mlopsgen's own examples) but whose render is worth comparing."""
    from mlopsgen import report
    from mlopsgen.spec.project import pack_project

    pack_validators.require()
    project = pack_project(pack)
    if project.problems:
        console.err(report.as_text(project.problems))
        return ExitCode.INVALID
    if policy_warnings:
        project = _policy_as_warnings(project)
    specs = pack_specs(pack, given)
    root = golden if golden is not None else pack / GOLDEN
    codes = [_test_one(spec, project, root / spec.parent.name, update) for spec in specs]
    return max(codes, default=ExitCode.OK)


def _test_one(spec_path: Path, project: Project, golden: Path, update: bool) -> ExitCode:
    from mlopsgen import layout, report, writer
    from mlopsgen.render import render_spec
    from mlopsgen.spec.compile import compile_spec

    result = compile_spec(spec_path, project)
    console.err(report.as_text(result.diagnostics))
    if result.spec is None:
        return ExitCode.INVALID
    rendered = render_spec(result.spec)
    found = pack_validators.problems(rendered.pipeline, rendered.jobs, rendered.notebooks)
    if found:
        console.err("".join(f"{spec_path}: {line}\n" for line in found))
        return ExitCode.INVALID
    files = [a for a in rendered.files() if not layout.is_runtime_file(a.path)]
    plan = writer.plan(golden, writer.generated_tree(result.spec, files), force=True)
    pending = plan.pending()
    if update:
        writer.apply(plan)
        console.err(f"{spec_path}: {len(pending)} golden file(s) written under {golden}\n")
        return ExitCode.OK
    for change in pending:
        console.out(report.diff(plan, change))
    verdict = f"{len(pending)} file(s) differ from" if pending else "matches"
    console.err(f"{spec_path}: {verdict} {golden}\n")
    return ExitCode.INVALID if pending else ExitCode.OK


def _policy_as_warnings(project: Project) -> Project:
    import dataclasses

    packs = tuple(
        pack._replace(rules=tuple(dataclasses.replace(r, severity="warning") for r in pack.rules))
        for pack in project.packs
    )
    return project._replace(packs=packs)
