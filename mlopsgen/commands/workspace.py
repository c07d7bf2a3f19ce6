"""The commands the generated pipeline calls against Databricks: deploy and run.

Both need the `databricks` extra; nothing here imports databricks-sdk until a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlopsgen.commands import console
from mlopsgen.errors import ExitCode, MlopsgenError, UsageError

if TYPE_CHECKING:
    from mlopsgen.databricks.target import Target


def load_target(spec_path: Path, stage_name: str) -> Target:
    """Compile the spec (printing its diagnostics when invalid), pick the stage, render."""
    from mlopsgen import report
    from mlopsgen.databricks.target import make_target
    from mlopsgen.spec.compile import compile_spec

    if not spec_path.is_file():
        raise UsageError(f"no such spec file: {spec_path}")
    result = compile_spec(spec_path)
    if result.spec is None:
        console.err(report.as_text(result.diagnostics))
        raise MlopsgenError(f"{spec_path}: the spec is invalid; nothing was deployed or run")
    return make_target(result.spec, spec_path, stage_name)


def run_deploy(
    spec: Path, stage: str, *, dry_run: bool, host: str | None, repair_duplicates: bool = False
) -> ExitCode:
    """Print the stage's plan, then (unless --dry-run) apply only what changed."""
    from mlopsgen import report
    from mlopsgen.databricks.deploy import apply_plan, prepare
    from mlopsgen.layout import IDENTITY_TAG, is_shared_folder

    prepared = prepare(load_target(spec, stage), host, repair_duplicates=repair_duplicates)
    plan = prepared.plan
    folder = prepared.target.stage.workspace_folder
    console.out(report.deploy_header(stage, prepared.host, folder))
    if is_shared_folder(folder):
        console.err(report.shared_folder_warning(stage, folder))
    console.out(report.deploy_plan(plan, IDENTITY_TAG))
    if plan.conflicts:
        raise MlopsgenError(plan.conflicts[0])
    if dry_run:
        console.line("dry run: nothing was changed")
        return ExitCode.OK
    for note in apply_plan(prepared.client, prepared.host, plan):
        console.line(note)
    console.line(report.deploy_summary(plan, done=True))
    return ExitCode.OK


def run_job(
    spec: Path,
    stage: str,
    job: str,
    *,
    params: list[str],
    timeout: int | None,
    host: str | None,
    check_id: str | None = None,
) -> ExitCode:
    """Start a generated job, follow it, and exit 0 only when it ends SUCCESS."""
    from mlopsgen import report
    from mlopsgen.databricks import run
    from mlopsgen.databricks.client import connect, workspace_url
    from mlopsgen.databricks.target import resolved
    from mlopsgen.databricks.watch import watch_run
    from mlopsgen.layout import MODEL_VERSION_OUTPUT

    parameters = run.parse_params(params)
    kind = run.check_options(job, parameters, timeout, check_id)
    target = load_target(spec, stage)
    job_file = run.job_to_run(target, kind)
    url = workspace_url(host, target.stage.workspace)
    client = connect(url)
    if kind == "pr-check":  # it uploads to, and submits from, the stage's folder
        target = resolved(client, url, target)
        job_file = run.job_to_run(target, kind)
    if kind == "pr-check":
        check_id = check_id or run.local_check_id()
    try:
        run_id = run.start(client, url, target, job_file, parameters, check_id)
        finished = watch_run(client, url, run_id, timeout_minutes=timeout, echo=console.line)
    finally:
        # whatever the outcome (failure, timeout, Ctrl-C, a cancelled pipeline job): the
        # PR's notebook does not stay in the workspace
        if kind == "pr-check" and check_id is not None:
            console.line(run.remove_pr_check(client, url, target, check_id))
    if not run.succeeded(finished):
        console.err(report.failed_tasks(run.failed_tasks(client, url, finished)))
        raise MlopsgenError(run.ended_message(finished))
    if kind == "train":
        version = run.handed_over_version(client, url, finished)
        console.logging_command(report.output_variable(MODEL_VERSION_OUTPUT, version))
    return ExitCode.OK


def run_plan(spec: Path, stage: str, *, host: str | None, output_format: str) -> ExitCode:
    """What deploy would change, field by field; exit 0 when nothing, 2 when something
    (as `terraform plan -detailed-exitcode`), 1 on errors. Read-only."""
    from mlopsgen import report
    from mlopsgen.databricks.deploy import prepare
    from mlopsgen.layout import IDENTITY_TAG

    prepared = prepare(load_target(spec, stage), host)
    plan = prepared.plan
    if output_format == "json":
        console.out(report.plan_json(stage, prepared.host, plan))
    elif output_format == "markdown":
        console.out(report.plan_markdown(stage, prepared.host, plan))
    else:
        folder = prepared.target.stage.workspace_folder
        console.out(report.deploy_header(stage, prepared.host, folder))
        console.out(report.deploy_plan(plan, IDENTITY_TAG))
    if plan.conflicts:
        raise MlopsgenError(plan.conflicts[0])
    return ExitCode.CHANGES if plan.pending else ExitCode.OK
