"""No text from a workspace, a notebook or a spec can reach the Azure agent as a logging
command (issue 11). The agent acts on `##vso[` and `##[` anywhere in a line of stdout or
stderr (Microsoft Learn, "Logging commands"); mlopsgen prints foreign text in many places, and
every one of them goes through `commands.console`, which breaks those prefixes.

Each test plants a hostile string in one source and scans all of the command's output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from cli_runner import Result
from fakes.databricks_runs import RunScript
from fakes.databricks_server import FakeDatabricks

from mlopsgen.report import neutralise

Cli = Callable[..., Result]
HOSTILE = "x ##vso[task.prependpath]/tmp/evil ##[error]fake ##VSO[artifact.upload]y"
# What the agent would act on: the prefixes, in any case, anywhere in a line.
COMMAND = re.compile(r"##(vso)?\[", re.IGNORECASE)
LEGIT = "##vso[task.setvariable variable=model_version;isOutput=true]"


def commands_in(output: str) -> list[str]:
    """Logging commands the agent would read, except the one mlopsgen means to send."""
    return [line for line in output.splitlines() if COMMAND.search(line.replace(LEGIT, ""))]


def test_neutralise_breaks_every_prefix_and_keeps_the_text_readable() -> None:
    assert commands_in(neutralise(HOSTILE)) == []
    assert neutralise(HOSTILE).replace("\\", "") == HOSTILE
    assert neutralise("## heading and [brackets]") == "## heading and [brackets]"


def test_a_same_named_job_with_a_hostile_identity_tag(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    fake.add_job({"name": "wine-quality-train", "tags": {"mlopsgen-id": HOSTILE}})
    result = cli("deploy", spec, "--stage", "staging", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "left alone" in result.output and "prependpath" in result.output
    assert commands_in(result.output) == []


def test_task_errors_and_state_messages(fake: FakeDatabricks, cli: Cli, deployed: Path) -> None:
    fake.script_runs(RunScript(result="FAILED", failing_task="gate", error=HOSTILE))
    args = ("run", deployed, "--stage", "staging", "--job", "deploy")
    result = cli(*args, "--param", "model_version=3")
    assert result.exit_code == 1
    assert "prependpath" in result.output  # the error is shown, just not as a command
    assert commands_in(result.output) == []


def test_notebook_output(fake: FakeDatabricks, cli: Cli, deployed: Path) -> None:
    handed_over = json.dumps({"model_version": HOSTILE})
    fake.script_runs(RunScript(notebook_results={"candidate": handed_over}))
    result = cli("run", deployed, "--stage", "staging", "--job", "train")
    assert result.exit_code == 1
    assert "handed over no model version" in result.output
    assert commands_in(result.output) == []


def test_spec_text_in_diagnostics_and_diffs(cli: Cli, spec: Path) -> None:
    text = spec.read_text()
    spec.write_text(text.replace("description:", f"unknown_{'x'}: '{HOSTILE}'\ndescription:", 1))
    result = cli("validate", spec)
    assert result.exit_code == 1 and "unknown" in result.output
    assert commands_in(result.output) == []
    spec.write_text(text)
    assert cli("render", spec).exit_code == 0
    described = "description: " + json.dumps(HOSTILE) + "\n"
    spec.write_text(re.sub(r"(?m)^description: .*\n", lambda _: described, text, count=1))
    result = cli("check", spec)
    assert result.exit_code == 1 and "prependpath" in result.output
    assert commands_in(result.output) == []
