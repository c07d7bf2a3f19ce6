"""Everything mlopsgen prints, formatted in one place: diagnostics (text and JSON), render
plans and check diffs, deploy plans, and the lines `run` prints for the pipeline log.

Only the command layer (`mlopsgen.commands`) writes these strings to the terminal; the core
returns data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlopsgen.databricks.plan import Plan as DeployPlan
    from mlopsgen.databricks.run import FailedTask
    from mlopsgen.governance import StageChecks
    from mlopsgen.spec.diagnostics import Diagnostic
    from mlopsgen.writer import Change, Plan


# Azure Pipelines logging commands: `##vso[` and `##[`, which the agent acts on anywhere in a
# line (Microsoft Learn, "Logging commands"); matched case-insensitively to be safe.
_LOGGING_COMMAND = re.compile(r"##(?=vso\[|\[)", re.IGNORECASE)


def neutralise(text: str) -> str:
    """`text` with every logging-command prefix broken (`##vso[` becomes `#\\#vso[`), so the
    agent reads none in what mlopsgen prints from a spec, a workspace or a notebook."""
    return _LOGGING_COMMAND.sub(r"#\\#", text)


def as_text(diagnostics: Sequence[Diagnostic]) -> str:
    """One line per diagnostic, as compilers print them (editors jump to file:line:col)."""
    return "".join(f"{d.format()}\n" for d in diagnostics)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON list for editors and CI annotations; stable key order."""
    return json.dumps([d.as_dict() for d in diagnostics], indent=2) + "\n"


def summary(diagnostics: Sequence[Diagnostic], spec_count: int) -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    invalid = len({d.location.file for d in diagnostics if d.severity == "error"})
    warnings = sum(1 for d in diagnostics if d.severity == "warning")
    specs = _plural(spec_count, "spec")
    noted = f", {_plural(warnings, 'warning')}" if warnings else ""
    if errors == 0:
        return f"{specs} valid{noted}"
    return f"{_plural(errors, 'error')} in {invalid} of {specs}{noted}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- render and check -------------------------------------------------------------------

_CHECK_LABEL = {"create": "missing", "update": "stale", "delete": "extra"}


def _display(root: Path, path: str) -> str:
    return (root / path).as_posix()


def render_plan_lines(plan: Plan) -> str:
    """One line per file: `create|update|unchanged|delete  path`."""
    return "".join(f"{c.action:<9}  {_display(plan.root, c.path)}\n" for c in plan.changes)


def render_conflict_lines(plan: Plan) -> str:
    return "".join(f"error: {_display(plan.root, c.path)}: {c.reason}\n" for c in plan.conflicts)


_EDITED = "edited by hand"


def render_refusal(plan: Plan) -> str:
    """Why nothing was written, and the way out that works for these conflicts."""
    edited = any(_EDITED in c.reason for c in plan.conflicts)
    strangers = any(_EDITED not in c.reason for c in plan.conflicts)
    ways = []
    if edited:
        ways.append("--force overwrites the files edited by hand (review them first)")
    if strangers:
        ways.append("move away the files mlopsgen did not generate (--force never overwrites them)")
    return f"nothing written: {'; '.join(ways)}\n"


def check_advice(spec: Path, pending: int, render_plan: Plan) -> str:
    """`check`'s last line: the command that will bring the files up to date."""
    stale = f"{spec}: {pending} generated file(s) out of date"
    if not render_plan.conflicts:
        return f"{stale}; run: mlopsgen render {spec}\n"
    return f"{stale}; render would refuse:\n{render_conflict_lines(render_plan)}" + (
        render_refusal(render_plan)
    )


def render_summary(plan: Plan) -> str:
    counts = {a: 0 for a in ("create", "update", "unchanged", "delete")}
    for change in plan.changes:
        counts[change.action] += 1
    parts = ", ".join(f"{n} {a}" for a, n in counts.items())
    return f"{plan.root.as_posix()}: {parts}\n"


def _text(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def diff(plan: Plan, change: Change) -> str:
    """A unified diff from what is on disk to what mlopsgen generates."""
    shown = _display(plan.root, change.path)
    label = _CHECK_LABEL.get(change.action, change.action)
    import difflib  # only when a file differs: every validate, render and check imports report

    lines = difflib.unified_diff(
        _text(change.old),
        _text(change.new),
        fromfile=f"{shown} (on disk)" if change.old is not None else "/dev/null",
        tofile=f"{shown} (generated)" if change.new is not None else "/dev/null",
    )
    body = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return f"{label}: {shown}\n{body}"


# --- deploy and run -----------------------------------------------------------------------


def deploy_header(stage: str, host: str, folder: str) -> str:
    return f"stage {stage}: {host} {folder}\n"


def deploy_plan(plan: DeployPlan, identity_tag: str) -> str:
    """One line per upload and job (`create`, `update`, `unchanged`, `left alone`), a summary."""
    lines = []
    for change in plan.changes:
        suffix = f" (job {change.job_id})" if change.job_id is not None else ""
        lines.append(f"  {change.action:<10} {change.kind:<9} {change.target}{suffix}")
        lines.extend(
            f"      {f.path}: {_value(f.current)} -> {_value(f.desired)}"
            for f in change.field_changes()
        )
    for job in plan.left_alone:
        identity = f"{identity_tag} {job.identity}" if job.identity else f"no {identity_tag} tag"
        lines.append(
            f"  {'left alone':<10} {'job':<9} {job.name} (job {job.job_id}: same name, "
            f"{identity}; not managed by this spec)"
        )
    lines.append(deploy_summary(plan, done=False))
    return "".join(f"{line}\n" for line in lines)


def _value(value: object, limit: int = 120) -> str:
    """A field's value on one line: JSON, clipped; `(none)` when absent."""
    if value is None:
        return "(none)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_json(stage: str, host: str, plan: DeployPlan) -> str:
    """`mlopsgen plan --format json`: every change, with an update's fields."""
    return (
        json.dumps(
            {
                "stage": stage,
                "host": host,
                "changes": [
                    {
                        "action": c.action,
                        "kind": c.kind,
                        "target": c.target,
                        "job_id": c.job_id,
                        "fields": [
                            {"path": f.path, "current": f.current, "desired": f.desired}
                            for f in c.field_changes()
                        ],
                    }
                    for c in plan.changes
                    if c.action != "unchanged"
                ],
                "unchanged": sum(1 for c in plan.changes if c.action == "unchanged"),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


def plan_markdown(stage: str, host: str, plan: DeployPlan) -> str:
    """`mlopsgen plan --format markdown`: for a pull-request comment or a run summary."""
    lines = [f"### mlopsgen plan: stage `{stage}` ({host})", ""]
    pending = [c for c in plan.changes if c.action != "unchanged"]
    if not pending:
        return "\n".join([*lines, "No changes.", ""])
    lines += ["| action | kind | what |", "| --- | --- | --- |"]
    lines += [f"| {c.action} | {c.kind} | `{c.target}` |" for c in pending]
    for change in pending:
        fields = change.field_changes()
        if fields:
            lines += ["", f"**{change.target}**", ""]
            lines += [
                f"- `{f.path}`: `{_value(f.current)}` → `{_value(f.desired)}`" for f in fields
            ]
    lines += ["", deploy_summary(plan, done=False), ""]
    return "\n".join(lines)


def deploy_summary(plan: DeployPlan, *, done: bool) -> str:
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in ("create", "update")}
    deleted = sum(1 for c in plan.changes if c.action == "delete")
    unchanged = len(plan.changes) - counts["create"] - counts["update"] - deleted
    verbs = ("created", "updated", "deleted") if done else ("to create", "to update", "to delete")
    summary = (
        f"{'deployed: ' if done else 'plan: '}{counts['create']} {verbs[0]}, "
        f"{counts['update']} {verbs[1]}, {unchanged} unchanged"
    )
    return summary + (f", {deleted} duplicate job(s) {verbs[2]}" if deleted else "")


def failed_tasks(tasks: Sequence[FailedTask]) -> str:
    """Each failed task's error and run page, for stderr."""
    return "".join(f"task {t.task_key} {t.result}: {t.error}\n  {t.run_page_url}\n" for t in tasks)


def output_variable(name: str, value: str) -> str:
    """An Azure Pipelines logging command that publishes a step's output variable."""
    return f"##vso[task.setvariable variable={name};isOutput=true]{value}\n"


def shared_folder_warning(stage: str, folder: str) -> str:
    return (
        f"warning: stage {stage} deploys to {folder}: every workspace user can edit what is "
        "under /Shared, and so change the code its jobs run as the deploying identity; leave "
        "workspace_folder out (the deploying identity's home) or name a folder only it can "
        "write\n"
    )


def layers(
    spec_path: str,
    packs: Sequence[tuple[str, str]],
    templates: Mapping[str, str],
    defaults: Sequence[tuple[str, str]],
) -> str:
    """`mlopsgen layers`: the packs a spec renders with, each template's layer and each
    value a pack's defaults supply (issue 13)."""
    lines = [f"{spec_path}:"]
    shown = ", ".join(f"{name} {version}".strip() for name, version in packs)
    lines.append(f"  layers: builtin{', ' + shown if shown else ''} (most specific last)")
    lines += [f"  template {name}: {layer}" for name, layer in templates.items()]
    lines += [f"  default {path}: {pack}" for path, pack in defaults]
    return "\n".join(lines) + "\n"


def environment_checks(spec_path: str, stages: Sequence[StageChecks]) -> str:
    """What to configure in Azure DevOps, stage by stage (`mlopsgen environments`)."""
    lines = [f"{spec_path}:"]
    for item in stages:
        resources = " and ".join(item.resources)
        if item.environment is not None:
            lines.append(f"  stage {item.stage}: environment '{item.environment}'")
            lines.append(
                "    create it before the first run (a run creates a missing one with no "
                "checks); on it, set:"
            )
        elif item.resources:
            lines.append(f"  stage {item.stage}: no environment (stages[].environment)")
            lines.append(f"    on {resources}, set:")
        else:
            lines.append(
                f"  stage {item.stage}: no environment and no service connection or variable "
                "group: nothing in Azure DevOps can gate it; give it an environment "
                "(stages[].environment) and set there:"
            )
        lines.extend(f"      - {check.kind}: {check.setting}" for check in item.checks)
        if item.environment is not None and item.resources:
            lines.append(f"    and on {resources}: Branch control with the same branch")
        if item.inline_approval:
            lines.append(
                "    the inline ManualValidation@1 approval is part of the YAML: anyone who "
                "can queue a run of an edited copy can drop it; prefer an environment"
            )
    return "\n".join(lines) + "\n"


def environment_checks_json(entries: Sequence[tuple[str, Sequence[StageChecks]]]) -> str:
    return (
        json.dumps(
            [
                {
                    "spec": path,
                    "stages": [
                        {
                            "stage": item.stage,
                            "environment": item.environment,
                            "resources": list(item.resources),
                            "checks": [{"kind": c.kind, "setting": c.setting} for c in item.checks],
                            "inline_approval": item.inline_approval,
                        }
                        for item in stages
                    ],
                }
                for path, stages in entries
            ],
            indent=2,
        )
        + "\n"
    )


# --- diagnostics for CI systems -------------------------------------------------------------
# Azure Pipelines: `##vso[task.logissue type=error;sourcepath=F;linenumber=L;columnnumber=C;
# code=X]message` puts each problem on the run's summary and, for files in the repository, on
# the line (Microsoft Learn, "Logging commands", LogIssue). The agent unescapes `%AZP25`, `%3B`,
# `%0D`, `%0A`, `%5D` in property values and `%AZP25`, `%0D`, `%0A` in the message
# (azure-pipelines-agent, CommandStringConvertor): a user's text can neither end the command
# early nor start another line, and `##vso[` inside it is broken as everywhere else.
_AZURE_PROPERTY = (("%", "%AZP25"), (";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D"))
_AZURE_MESSAGE = (("%", "%AZP25"), ("\r", "%0D"), ("\n", "%0A"))
# GitHub Actions workflow commands `::error file=F,line=L,col=C,title=T::message` (GitHub
# docs, "Workflow commands"): `%`, CR, LF escaped in both, and `:` and `,` in properties.
_GITHUB_MESSAGE = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_GITHUB_PROPERTY = (*_GITHUB_MESSAGE, (":", "%3A"), (",", "%2C"))


def _escape(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for old, new in table:
        text = text.replace(old, new)
    return text


def as_azure(diagnostics: Sequence[Diagnostic]) -> str:
    """One `task.logissue` logging command per diagnostic (sent as is by console)."""
    lines = []
    for d in diagnostics:
        loc = d.location
        props = {
            "type": d.severity,
            "sourcepath": loc.file,
            "linenumber": str(loc.line),
            "columnnumber": str(loc.column),
            "code": d.code,
        }
        head = ";".join(f"{k}={_escape(v, _AZURE_PROPERTY)}" for k, v in props.items())
        where = f"{d.path}: " if d.path else ""
        message = _escape(neutralise(where + d.message), _AZURE_MESSAGE)
        lines.append(f"##vso[task.logissue {head}]{message}\n")
    return "".join(lines)


def as_github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        loc = d.location
        props = {"file": loc.file, "line": str(loc.line), "col": str(loc.column), "title": d.code}
        head = ",".join(f"{k}={_escape(v, _GITHUB_PROPERTY)}" for k, v in props.items())
        where = f"{d.path}: " if d.path else ""
        message = _escape(neutralise(where + d.message), _GITHUB_MESSAGE)
        lines.append(f"::{d.severity} {head}::{message}\n")
    return "".join(lines)


def as_sarif(diagnostics: Sequence[Diagnostic], version: str) -> str:
    """A SARIF 2.1.0 log (OASIS): one run of mlopsgen, a rule per code, a result per problem,
    located by file (relative URI as given) and 1-based line and column."""
    codes = sorted({d.code for d in diagnostics})
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": "error" if d.severity == "error" else "warning",
            "message": {"text": (f"{d.path}: " if d.path else "") + d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": Path(d.location.file).as_posix()},
                        "region": {
                            "startLine": d.location.line,
                            "startColumn": d.location.column,
                        },
                    }
                }
            ],
        }
        for d in diagnostics
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlopsgen",
                        "version": version,
                        "rules": [{"id": code} for code in codes],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def check_summary_markdown(stale: Sequence[tuple[Path, Sequence[str]]]) -> str:
    """The run summary `check --format azure` attaches: each stale spec and its files."""
    lines = ["### mlopsgen check: generated files out of date", ""]
    for spec, changes in stale:
        lines += [f"**{spec}**: run `mlopsgen render {spec}` and commit the result", ""]
        lines += [f"- `{change}`" for change in changes]
        lines.append("")
    return "\n".join(lines)


def upload_summary(path: Path) -> str:
    """`##vso[task.uploadsummary]<path>`; the path escaped as the agent unescapes messages."""
    return f"##vso[task.uploadsummary]{_escape(str(path), _AZURE_MESSAGE)}\n"
