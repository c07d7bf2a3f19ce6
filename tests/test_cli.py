"""The command line itself (argparse since issue 15): what typer gave, kept, and completion."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cli_runner import invoke

from mlopsgen import __version__
from mlopsgen.cli import COMMANDS, command_parser

REPO = Path(__file__).resolve().parents[1]
MINIMAL = REPO / "specs" / "minimal"


def test_no_arguments_print_the_help_as_a_usage_error() -> None:
    result = invoke()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("Usage: mlopsgen ")
    for name in COMMANDS:
        assert f"    {name}" in result.stderr


def test_help_lists_every_command_with_its_first_sentence() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "validate      Check specs and report every problem with file:line:col.\n" in (
        result.stdout
    )


def test_version_in_process() -> None:
    assert invoke("--version").stdout == f"mlopsgen {__version__}\n"


@pytest.mark.parametrize(
    "args",
    [["bogus"], ["--bogus"], ["validate", "--bogus"], ["validate", "--form", "json"], ["plan"]],
)
def test_usage_errors_exit_2_and_say_why(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert "error: " in result.stderr and result.stderr.startswith("Usage: ")


def test_options_and_specs_may_be_intermixed(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        shutil.copytree(MINIMAL, tmp_path / folder)
        (tmp_path / folder / "model.yaml").write_text(
            (MINIMAL / "model.yaml").read_text().replace("name: minimal", f"name: m-{folder}")
        )
    a, b = tmp_path / "a" / "model.yaml", tmp_path / "b" / "model.yaml"
    result = invoke("render", a, "--out", tmp_path / "out", b, "-q")
    assert (result.exit_code, result.output) == (0, "")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"m-a", "m-b"}


def test_host_comes_from_databricks_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.1.azuredatabricks.net")
    args = command_parser("plan").parse_args(["x", "--stage", "s"])
    assert args.host == "https://adb-1.1.azuredatabricks.net"
    assert command_parser("plan").parse_args(["x", "--stage", "s", "--host", "h"]).host == "h"
    monkeypatch.setenv("DATABRICKS_HOST", "")  # empty: not set, as click read it
    assert command_parser("deploy").parse_args(["x", "--stage", "s"]).host is None


def _complete(script: str, *words: str) -> list[str]:
    """What <TAB> offers after `words` (the last one being completed) in bash."""
    line = " ".join(words)
    probe = (
        f"{script}\nCOMP_WORDS=({line})\nCOMP_CWORD={len(words) - 1}\n"
        '_mlopsgen\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_bash_completion_offers_commands_options_and_choices() -> None:
    result = invoke("completion", "bash")
    assert result.exit_code == 0
    script = result.stdout
    assert "complete -o default -F _mlopsgen mlopsgen" in script
    assert _complete(script, "mlopsgen", "re") == ["render"]
    assert sorted(_complete(script, "mlopsgen", "")) == sorted(
        [*COMMANDS, "-h", "--help", "--version"]
    )
    assert _complete(script, "mlopsgen", "check", "--f") == ["--format"]
    assert _complete(script, "mlopsgen", "render", "--f") == ["--force"]
    assert _complete(script, "mlopsgen", "validate", "--format", "s") == ["sarif"]
    assert _complete(script, "mlopsgen", "plan", "--format", "") == ["text", "json", "markdown"]
    assert _complete(script, "mlopsgen", "validate", "mo") == []  # bash falls back to files


def test_zsh_completion_loads_the_bash_function_through_bashcompinit() -> None:
    bash, zsh = invoke("completion", "bash").stdout, invoke("completion", "zsh").stdout
    assert "bashcompinit && bashcompinit\n" in zsh
    assert zsh.endswith(bash.split("\n", 1)[1])
    assert invoke("completion", "fish").exit_code == 2
