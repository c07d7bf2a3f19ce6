"""Every command: its options, and a runner that makes one core call (`mlopsgen.commands`)
and returns its exit code. Listed in the order the help shows them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mlopsgen.cli.parsing import COMMANDS, command, command_parser
from mlopsgen.errors import ExitCode

SPEC_FILE = "model.yaml"

# Choices of the --format options (the values the commands' reporters accept).
OUTPUT_FORMATS = ("text", "json", "azure", "github", "sarif")  # azure: task.logissue
CHECK_FORMATS = ("text", "azure", "github")
PLAN_FORMATS = ("text", "json", "markdown")


def _specs(paths: list[Path] | None) -> list[Path]:
    """The spec files given (a folder means its model.yaml); none: ./model.yaml."""
    given = list(paths) if paths else [Path(".")]
    return [p / SPEC_FILE if p.is_dir() else p for p in given]


# Options shared by several commands.


def _spec_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "specs", nargs="*", type=Path, metavar="SPEC", help="Spec files (default: ./model.yaml)."
    )


def _one_spec(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", type=Path, metavar="SPEC", help="The spec file (or its folder).")


def _quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="Problems only: no summary (validate), plan (render) or diff (check).",
    )


def _host(parser: argparse.ArgumentParser) -> None:
    # Read when the command runs (the parser is built per run), as the env var option was.
    parser.add_argument(
        "--host",
        default=os.environ.get("DATABRICKS_HOST") or None,
        help="Override the stage's workspace URL. [env var: DATABRICKS_HOST]",
    )


def _format(parser: argparse.ArgumentParser, choices: Sequence[str], help_text: str) -> None:
    parser.add_argument(
        "--format", dest="output_format", choices=choices, default="text", help=help_text
    )


def _stage(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--stage", required=True, help=help_text)


# The commands, in the order the help lists them.


def _init_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder", nargs="?", type=Path, default=Path("."), help="The new model's folder."
    )
    parser.add_argument(
        "--set",
        dest="set_",
        action="append",
        default=[],
        help="An answer as key=value (repeatable), e.g. workspace=https://...",
    )
    parser.add_argument("--answers", type=Path, help="A YAML file of answers (the --set keys).")
    parser.add_argument(
        "--no-input", action="store_true", help="Ask nothing: answers and defaults only."
    )


def ask(key: str, help_text: str, fallback: str | None) -> str:
    """One question on the terminal; an empty answer takes the default (none: ask again)."""
    sys.stdout.write(f"{key}: {help_text}\n")
    prompt = f"{key} [{fallback}]: " if fallback is not None else f"{key}: "
    while True:
        try:
            answer = input(prompt)
        except EOFError:
            from mlopsgen.errors import UsageError

            raise UsageError(
                f"no answer for {key}: input ended (--no-input asks nothing)"
            ) from None
        if answer:
            return answer
        if fallback is not None:
            return fallback


@command("init", _init_options)
def _init(args: argparse.Namespace) -> ExitCode:
    """Start a model: write model.yaml, a training notebook, a smoke-test request and a test,
    then validate and render. Asks for what it needs unless --no-input."""
    from mlopsgen.commands.init import parse_sets, read_answers, run_init

    answers = {**read_answers(args.answers), **parse_sets(args.set_)}
    return run_init(args.folder, answers, None if args.no_input else ask)


def _validate_options(parser: argparse.ArgumentParser) -> None:
    _spec_args(parser)
    _format(
        parser,
        OUTPUT_FORMATS,
        "text; json for editors; azure, github or sarif for CI annotations.",
    )
    _quiet(parser)


@command("validate", _validate_options, file_only=True)
def _validate(args: argparse.Namespace) -> ExitCode:
    """Check specs and report every problem with file:line:col."""
    from mlopsgen.commands.files import run_validate

    return run_validate(_specs(args.specs), args.output_format, quiet=args.quiet)


def _no_options(_: argparse.ArgumentParser) -> None:
    pass


@command("schema", _no_options, file_only=True)
def _schema(_: argparse.Namespace) -> ExitCode:
    """Print the JSON Schema of model.yaml (for yaml-language-server and IDEs)."""
    from mlopsgen.commands.files import run_schema

    return run_schema()


def _render_options(parser: argparse.ArgumentParser) -> None:
    _spec_args(parser)
    parser.add_argument(
        "--out", type=Path, help="Write to <out>/<name>/ (default: next to each spec)."
    )
    parser.add_argument(
        "--force", action="store_true", help="Overwrite generated files that were edited by hand."
    )
    _quiet(parser)


@command("render", _render_options, file_only=True)
def _render(args: argparse.Namespace) -> ExitCode:
    """Write the pipeline, job definitions and notebooks next to each spec."""
    from mlopsgen.commands.files import run_render

    return run_render(_specs(args.specs), args.out, args.force, quiet=args.quiet)


def _check_options(parser: argparse.ArgumentParser) -> None:
    _spec_args(parser)
    _format(parser, CHECK_FORMATS, "How diagnostics print: text, azure or github.")
    parser.add_argument(
        "--out", type=Path, help="Compare with what render --out wrote: <out>/<name>/."
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="Compile every spec, even one whose inputs and files are all as a passing check "
        "recorded them (records: MLOPSGEN_CACHE_DIR, else ~/.cache/mlopsgen; "
        "MLOPSGEN_NO_CACHE=1 turns them off).",
    )
    _quiet(parser)


@command("check", _check_options, file_only=True)
def _check(args: argparse.Namespace) -> ExitCode:
    """Fail (exit 1, with a diff) when generated files are stale, missing or extra. Never
    writes them; a pass is recorded in the user's cache folder, so an unchanged spec is not
    compiled again."""
    from mlopsgen.commands.files import run_check

    return run_check(
        _specs(args.specs),
        args.output_format,
        args.out,
        quiet=args.quiet,
        use_cache=not args.no_cache,
    )


@command("layers", _spec_args, file_only=True)
def _layers(args: argparse.Namespace) -> ExitCode:
    """Show which layer (built-in, a template pack, the repository's overrides) each template
    comes from, and which values the packs' defaults supply."""
    from mlopsgen.commands.files import run_layers

    return run_layers(_specs(args.specs))


def _environments_options(parser: argparse.ArgumentParser) -> None:
    _spec_args(parser)
    # Only text and json are documented; the other output formats were accepted, so still are.
    _format(parser, OUTPUT_FORMATS, "text, or json.")


@command("environments", _environments_options, file_only=True)
def _environments(args: argparse.Namespace) -> ExitCode:
    """List the checks to configure in Azure DevOps for each stage: approvals, branch control
    and exclusive lock on its environment (or service connection and variable group)."""
    from mlopsgen.commands.files import run_environments

    return run_environments(_specs(args.specs), args.output_format)


def _plan_options(parser: argparse.ArgumentParser) -> None:
    _one_spec(parser)
    _stage(parser, "The stage whose workspace to compare.")
    _format(parser, PLAN_FORMATS, "text, json or markdown.")
    _host(parser)


@command("plan", _plan_options)
def _plan(args: argparse.Namespace) -> ExitCode:
    """Show what deploy would change, field by field; changes nothing. Exit 0: no change,
    2: changes, 1: errors."""
    from mlopsgen.commands.workspace import run_plan

    spec = _specs([args.spec])[0]
    return run_plan(spec, args.stage, host=args.host, output_format=args.output_format)


def _deploy_options(parser: argparse.ArgumentParser) -> None:
    _one_spec(parser)
    _stage(parser, "The stage to deploy to.")
    parser.add_argument("--dry-run", action="store_true", help="Print the plan; change nothing.")
    parser.add_argument(
        "--repair-duplicates",
        action="store_true",
        help="When several jobs carry this spec's name and identity, keep the oldest "
        "and delete the others (instead of stopping).",
    )
    _host(parser)


@command("deploy", _deploy_options)
def _deploy(args: argparse.Namespace) -> ExitCode:
    """Upload notebooks and create or update the stage's Databricks jobs."""
    from mlopsgen.commands.workspace import run_deploy

    return run_deploy(
        _specs([args.spec])[0],
        args.stage,
        dry_run=args.dry_run,
        host=args.host,
        repair_duplicates=args.repair_duplicates,
    )


def _run_options(parser: argparse.ArgumentParser) -> None:
    _one_spec(parser)
    _stage(parser, "The stage whose workspace runs the job.")
    parser.add_argument(
        "--job", required=True, help="Which generated job: train, deploy, batch or pr-check."
    )
    parser.add_argument(
        "--param", action="append", default=[], help="A job parameter as key=value (repeatable)."
    )
    parser.add_argument("--timeout", type=int, help="Minutes to wait before cancelling the run.")
    _host(parser)
    parser.add_argument(
        "--check-id",
        help="pr-check only: this check's id (its workspace folder and run name), e.g. "
        "pr-17-build-4711; default: a random one.",
    )


@command("run", _run_options)
def _run(args: argparse.Namespace) -> ExitCode:
    """Run a generated job, stream its state, and exit 0 only on SUCCESS."""
    from mlopsgen.commands.workspace import run_job

    return run_job(
        _specs([args.spec])[0],
        args.stage,
        args.job,
        params=args.param,
        timeout=args.timeout,
        host=args.host,
        check_id=args.check_id,
    )


def _pack_test_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pack", type=Path, help="The pack's folder (holding mlopsgen-pack.toml).")
    parser.add_argument(
        "specs",
        nargs="*",
        type=Path,
        metavar="SPEC",
        help="More specs to render with the pack (besides <pack>/specs/*).",
    )
    parser.add_argument(
        "--golden", type=Path, help="The golden trees' folder (default: <pack>/golden)."
    )
    parser.add_argument(
        "--update", action="store_true", help="Rewrite the golden trees instead of comparing."
    )
    parser.add_argument(
        "--policy-warnings",
        action="store_true",
        help="Report the pack's policy as warnings: for specs not written for the pack "
        "(e.g. mlopsgen's examples), whose render is still worth comparing.",
    )


@command("pack-test", _pack_test_options)
def _pack_test(args: argparse.Namespace) -> ExitCode:
    """Test a template pack: render its example specs (and SPECS) with it, check each render
    with independent validators (Azure Pipelines schema, JobSettings, notebook format) and
    compare each tree with its golden tree, <golden>/<spec folder>/ (exit 1 with a diff when
    one differs)."""
    from mlopsgen.commands.packs import run_pack_test

    return run_pack_test(
        args.pack, args.specs, args.golden, args.update, policy_warnings=args.policy_warnings
    )


def _upgrade_options(parser: argparse.ArgumentParser) -> None:
    _spec_args(parser)
    parser.add_argument(
        "--pack",
        action="append",
        default=[],
        help="A new pin, NAME==VERSION (repeatable); install it first.",
    )
    parser.add_argument(
        "--out", type=Path, help="Compare with and render into <out>/<name>/, as render --out."
    )


@command("upgrade", _upgrade_options)
def _upgrade(args: argparse.Namespace) -> ExitCode:
    """Bump pack pins in [tool.mlopsgen] (pyproject.toml, comments kept), re-render, and show
    what changes for the reviewer: each stage's gates and approvals, files, job fields, the
    pipeline's diff."""
    from mlopsgen.commands.upgrade import run_upgrade

    return run_upgrade(_specs(args.specs), args.pack, args.out)


def _azureml_deploy_options(parser: argparse.ArgumentParser) -> None:
    _one_spec(parser)
    _stage(parser, "The stage to roll out on Azure ML.")
    parser.add_argument("--version", required=True, help="The model version to serve.")
    parser.add_argument(
        "--deploy-mode", default="deploy", help="deploy, or rollback to an earlier version."
    )


@command("azureml-deploy", _azureml_deploy_options)
def _azureml_deploy(args: argparse.Namespace) -> ExitCode:
    """Serve a version on the stage's Azure ML endpoint (safe rollout), then promote it.

    Runs where `az` is installed and logged in (the pipeline's AzureCLI@2 step).
    """
    from mlopsgen.commands.azureml import run_azureml_deploy

    spec = _specs([args.spec])[0]
    return run_azureml_deploy(spec, args.stage, args.version, args.deploy_mode)


def _completion_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh"), help="The shell: bash or zsh.")


@command("completion", _completion_options, file_only=True)
def _completion(args: argparse.Namespace) -> ExitCode:
    """Print a shell completion script for the commands and options. Add
    `eval "$(mlopsgen completion bash)"` to ~/.bashrc (or zsh and ~/.zshrc)."""
    from mlopsgen.commands.completion import run_completion

    return run_completion(args.shell, _completion_words())


def _completion_words() -> dict[str, dict[str, tuple[str, ...]]]:
    """For each command, its options and their choices (none: free text or a path)."""
    words: dict[str, dict[str, tuple[str, ...]]] = {}
    for name in COMMANDS:
        options = words.setdefault(name, {})
        for action in command_parser(name)._actions:
            for option in action.option_strings:
                options[option] = tuple(action.choices or ())
    return words
