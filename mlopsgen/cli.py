"""The command line: options in, one core call, exit code out. No rules live here.

Heavy modules (jsonschema, jinja2, databricks-sdk, mlflow) are imported inside the commands
that need them, so `mlopsgen --help` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mlopsgen import __version__
from mlopsgen.errors import ExitCode, MlopsgenError

app = typer.Typer(
    name="mlopsgen",
    help="Compile model.yaml into an Azure DevOps pipeline, Databricks jobs and deploy notebooks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich (imported only for help formatting) costs ~70 ms per start.
    rich_markup_mode=None,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ISSUES_URL = "https://github.com/mlopsgen/mlopsgen/issues"
SpecArgs = Annotated[
    list[Path] | None,
    typer.Argument(help="Spec files (default: ./model.yaml).", show_default=False),
]


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    azure = "azure"  # Azure Pipelines logging commands (task.logissue)
    github = "github"  # GitHub Actions workflow commands
    sarif = "sarif"  # SARIF 2.1.0


Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Problems only: no summary (validate), plan (render) or diff (check)."
    ),
]


Host = Annotated[
    str | None,
    typer.Option("--host", envvar="DATABRICKS_HOST", help="Override the stage's workspace URL."),
]


def _specs(paths: list[Path] | None) -> list[Path]:
    """The spec files given (a folder means its model.yaml); none: ./model.yaml."""
    given = list(paths) if paths else [Path(".")]
    return [p / SPEC_FILE if p.is_dir() else p for p in given]


SPEC_FILE = "model.yaml"


def _guard(action: Callable[[], ExitCode]) -> None:
    """Map outcomes to exit codes in one place: user errors are one line, bugs say how to report."""
    try:
        code = action()
    except MlopsgenError as exc:
        from mlopsgen.commands import console  # the message may quote a workspace or a spec

        console.err(f"error: {exc}\n")
        code = exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        code = ExitCode.INVALID
    except Exception:
        from mlopsgen.commands import console

        if os.environ.get("MLOPSGEN_DEBUG"):
            traceback.print_exc()
        exc_type, exc_value, _ = sys.exc_info()
        name = exc_type.__name__ if exc_type else "Exception"
        console.err(
            f"internal error: {name}: {exc_value}\n"
            f"This is a bug in mlopsgen {__version__}. Please report it at {ISSUES_URL} "
            "with the spec and this message (set MLOPSGEN_DEBUG=1 to see the traceback).\n"
        )
        code = ExitCode.INTERNAL
    raise typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlopsgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """mlopsgen: one model.yaml in, a whole Azure DevOps + Databricks MLOps setup out."""


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The new model's folder.")] = Path("."),
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="An answer as key=value (repeatable), e.g. workspace=https://..."
        ),
    ] = None,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="A YAML file of answers (the --set keys).")
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing: answers and defaults only.")
    ] = False,
) -> None:
    """Start a model: write model.yaml, a training notebook, a smoke-test request and a test,
    then validate and render. Asks for what it needs unless --no-input."""
    from mlopsgen.commands.init import parse_sets, read_answers, run_init

    def ask(key: str, help_text: str, fallback: str | None) -> str:
        typer.echo(f"{key}: {help_text}")
        return str(typer.prompt(key, default=fallback))

    _guard(
        lambda: run_init(
            folder,
            {**read_answers(answers), **parse_sets(list(set_ or []))},
            None if no_input else ask,
        )
    )


@app.command()
def validate(
    specs: SpecArgs = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text; json for editors; azure, github or sarif for CI annotations.",
        ),
    ] = OutputFormat.text,
    quiet: Quiet = False,
) -> None:
    """Check specs and report every problem with file:line:col."""
    from mlopsgen.commands.files import run_validate

    _guard(lambda: run_validate(_specs(specs), output_format.value, quiet=quiet))


@app.command()
def schema() -> None:
    """Print the JSON Schema of model.yaml (for yaml-language-server and IDEs)."""
    from mlopsgen.commands.files import run_schema

    _guard(run_schema)


@app.command()
def render(
    specs: SpecArgs = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to <out>/<name>/ (default: next to each spec)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite generated files that were edited by hand.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Write the pipeline, job definitions and notebooks next to each spec."""
    from mlopsgen.commands.files import run_render

    _guard(lambda: run_render(_specs(specs), out, force, quiet=quiet))


class CheckFormat(str, Enum):
    text = "text"
    azure = "azure"
    github = "github"


@app.command()
def check(
    specs: SpecArgs = None,
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", help="How diagnostics print: text, azure or github."),
    ] = CheckFormat.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Compare with what render --out wrote: <out>/<name>/."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Fail (exit 1, with a diff) when generated files are stale, missing or extra. Never writes."""
    from mlopsgen.commands.files import run_check

    _guard(lambda: run_check(_specs(specs), output_format.value, out, quiet=quiet))


@app.command()
def layers(specs: SpecArgs = None) -> None:
    """Show which layer (built-in, a template pack, the repository's overrides) each template
    comes from, and which values the packs' defaults supply."""
    from mlopsgen.commands.files import run_layers

    _guard(lambda: run_layers(_specs(specs)))


@app.command()
def environments(
    specs: SpecArgs = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text, or json.")
    ] = OutputFormat.text,
) -> None:
    """List the checks to configure in Azure DevOps for each stage: approvals, branch control
    and exclusive lock on its environment (or service connection and variable group)."""
    from mlopsgen.commands.files import run_environments

    _guard(lambda: run_environments(_specs(specs), output_format.value))


class PlanFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def plan(
    spec: Annotated[Path, typer.Argument(help="The spec file (or its folder).")],
    stage: Annotated[str, typer.Option("--stage", help="The stage whose workspace to compare.")],
    output_format: Annotated[
        PlanFormat, typer.Option("--format", help="text, json or markdown.")
    ] = PlanFormat.text,
    host: Host = None,
) -> None:
    """Show what deploy would change, field by field; changes nothing. Exit 0: no change,
    2: changes, 1: errors."""
    from mlopsgen.commands.workspace import run_plan

    _guard(lambda: run_plan(_specs([spec])[0], stage, host=host, output_format=output_format.value))


@app.command()
def deploy(
    spec: Annotated[Path, typer.Argument(help="The spec file (or its folder).")],
    stage: Annotated[str, typer.Option("--stage", help="The stage to deploy to.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; change nothing.")
    ] = False,
    repair_duplicates: Annotated[
        bool,
        typer.Option(
            "--repair-duplicates",
            help="When several jobs carry this spec's name and identity, keep the oldest "
            "and delete the others (instead of stopping).",
        ),
    ] = False,
    host: Host = None,
) -> None:
    """Upload notebooks and create or update the stage's Databricks jobs."""
    from mlopsgen.commands.workspace import run_deploy

    _guard(
        lambda: run_deploy(
            _specs([spec])[0],
            stage,
            dry_run=dry_run,
            host=host,
            repair_duplicates=repair_duplicates,
        )
    )


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="The spec file (or its folder).")],
    stage: Annotated[str, typer.Option("--stage", help="The stage whose workspace runs the job.")],
    job: Annotated[
        str, typer.Option("--job", help="Which generated job: train, deploy, batch or pr-check.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="A job parameter as key=value (repeatable)."),
    ] = None,
    timeout: Annotated[
        int | None, typer.Option("--timeout", help="Minutes to wait before cancelling the run.")
    ] = None,
    host: Host = None,
    check_id: Annotated[
        str | None,
        typer.Option(
            "--check-id",
            help="pr-check only: this check's id (its workspace folder and run name), e.g. "
            "pr-17-build-4711; default: a random one.",
        ),
    ] = None,
) -> None:
    """Run a generated job, stream its state, and exit 0 only on SUCCESS."""
    from mlopsgen.commands.workspace import run_job

    _guard(
        lambda: run_job(
            _specs([spec])[0],
            stage,
            job,
            params=list(param or []),
            timeout=timeout,
            host=host,
            check_id=check_id,
        )
    )


@app.command("pack-test")
def pack_test(
    pack: Annotated[Path, typer.Argument(help="The pack's folder (holding mlopsgen-pack.toml).")],
    specs: Annotated[
        list[Path] | None,
        typer.Argument(help="More specs to render with the pack (besides <pack>/specs/*)."),
    ] = None,
    golden: Annotated[
        Path | None,
        typer.Option("--golden", help="The golden trees' folder (default: <pack>/golden)."),
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Rewrite the golden trees instead of comparing.")
    ] = False,
    policy_warnings: Annotated[
        bool,
        typer.Option(
            "--policy-warnings",
            help="Report the pack's policy as warnings: for specs not written for the pack "
            "(e.g. mlopsgen's examples), whose render is still worth comparing.",
        ),
    ] = False,
) -> None:
    """Test a template pack: render its example specs (and SPECS) with it and compare each
    tree with its golden tree, <golden>/<spec folder>/ (exit 1 with a diff when one differs)."""
    from mlopsgen.commands.packs import run_pack_test

    _guard(
        lambda: run_pack_test(
            pack, list(specs or []), golden, update, policy_warnings=policy_warnings
        )
    )


@app.command()
def upgrade(
    specs: SpecArgs = None,
    pack: Annotated[
        list[str] | None,
        typer.Option("--pack", help="A new pin, NAME==VERSION (repeatable); install it first."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Compare with and render into <out>/<name>/, as render --out."),
    ] = None,
) -> None:
    """Bump pack pins in [tool.mlopsgen] (pyproject.toml, comments kept), re-render, and show
    what changes for the reviewer: files, job fields (gates among them), the pipeline's diff."""
    from mlopsgen.commands.upgrade import run_upgrade

    _guard(lambda: run_upgrade(_specs(specs), list(pack or []), out))


@app.command("azureml-deploy")
def azureml_deploy(
    spec: Annotated[Path, typer.Argument(help="The spec file (or its folder).")],
    stage: Annotated[str, typer.Option("--stage", help="The stage to roll out on Azure ML.")],
    version: Annotated[str, typer.Option("--version", help="The model version to serve.")],
    deploy_mode: Annotated[
        str, typer.Option("--deploy-mode", help="deploy, or rollback to an earlier version.")
    ] = "deploy",
) -> None:
    """Serve a version on the stage's Azure ML endpoint (safe rollout), then promote it.

    Runs where `az` is installed and logged in (the pipeline's AzureCLI@2 step).
    """
    from mlopsgen.commands.azureml import run_azureml_deploy

    _guard(lambda: run_azureml_deploy(_specs([spec])[0], stage, version, deploy_mode))


def main() -> None:
    # Under LANG=C (or a console that is not UTF-8) a spec path or a workspace message with
    # non-ASCII characters must not turn into an encoding crash (exit 3): escape what the
    # terminal cannot show. Generated files are always written as UTF-8 regardless.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    app()


if __name__ == "__main__":
    main()
