"""Issue 14: diagnostics as CI systems show them inline: Azure Pipelines logging commands,
GitHub workflow commands and SARIF 2.1.0.

Azure Pipelines: `##vso[task.logissue type=…;sourcepath=…;linenumber=…;columnnumber=…;
code=…]message` (Microsoft Learn, "Logging commands", LogIssue). The agent reads a command per
line and unescapes `%AZP25 %3B %0D %0A %5D` in property values and `%AZP25 %0D %0A` in the
message (azure-pipelines-agent, CommandStringConvertor); `_parse_vso` below does the same, so
a hostile message is shown to decode back to itself and never to form a second command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_runner import invoke

from mlopsgen import report
from mlopsgen.spec.diagnostics import Diagnostic, Location

CASE = Path(__file__).parent / "cases" / "invalid" / "gate-best-match" / "model.yaml"
HOSTILE = "a]b;c%AZP25d\r\n##vso[task.setvariable variable=x]evil %0A"
_VSO = re.compile(r"##vso\[(?P<area>[a-z]+)\.(?P<action>[a-z]+) (?P<props>[^\]]*)\](?P<msg>.*)")


def _unescape(text: str, table: list[tuple[str, str]]) -> str:
    for escaped, raw in table:
        text = text.replace(escaped, raw)
    return text


def _parse_vso(line: str) -> tuple[dict[str, str], str]:
    """As the agent parses one line: the first `]` ends the properties."""
    match = _VSO.fullmatch(line)
    assert match is not None, line
    props = {}
    for pair in match["props"].split(";"):
        key, _, value = pair.partition("=")
        props[key] = _unescape(
            value, [("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%AZP25", "%")]
        )
    message = _unescape(match["msg"], [("%0D", "\r"), ("%0A", "\n"), ("%AZP25", "%")])
    return props, message


def _diagnostic(message: str, file: str = "sp;ec]s/model.yaml") -> Diagnostic:
    return Diagnostic(Location(file, 3, 7), "E205", "name", message, severity="warning")


def test_azure_lines_decode_to_the_diagnostic_and_nothing_more() -> None:
    text = report.as_azure([_diagnostic(HOSTILE)])
    (line,) = text.splitlines()  # one line: CR and LF in the message are escaped
    props, message = _parse_vso(line)
    assert props == {
        "type": "warning",
        "sourcepath": "sp;ec]s/model.yaml",
        "linenumber": "3",
        "columnnumber": "7",
        "code": "E205",
    }
    # the message comes back whole, except that a `##vso[` inside it is broken
    assert message == "name: " + HOSTILE.replace("##vso[", "#\\#vso[")
    assert line.count("##vso[") == 1


def test_github_commands_escape_their_separators() -> None:
    (line,) = report.as_github([_diagnostic("x:y,z%\n::error::fake")]).splitlines()
    assert line == (
        "::warning file=sp;ec]s/model.yaml,line=3,col=7,title=E205::name: x:y,z%25%0A::error::fake"
    )
    (line,) = report.as_github([_diagnostic("m", file="a,b:c.yaml")]).splitlines()
    assert line.startswith("::warning file=a%2Cb%3Ac.yaml,line=3,")


def test_validate_and_check_print_azure_issues_located_in_the_spec() -> None:
    result = invoke("validate", "--format", "azure", str(CASE))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and all(line.startswith("##vso[task.logissue ") for line in lines)
    props, message = _parse_vso(lines[1])
    assert (props["linenumber"], props["columnnumber"], props["code"]) == ("12", "22", "E201")
    assert message.endswith("unknown key 'mni'; did you mean 'min'?")
    checked = invoke("check", "--format", "azure", str(CASE))
    assert checked.exit_code == 1 and checked.stdout.splitlines() == lines


def test_sarif_is_a_2_1_0_log_with_located_results() -> None:
    result = invoke("validate", "--format", "sarif", str(CASE))
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == sorted(set(rules))
    for item in run["results"]:
        assert rules[item["ruleIndex"]] == item["ruleId"]
        assert item["level"] in ("error", "warning", "note")
        region = item["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    first = run["results"][1]
    assert first["ruleId"] == "E201"
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12,
        "startColumn": 22,
    }


@pytest.mark.parametrize("fmt", ["json", "sarif", "azure", "github", "text"])
def test_a_valid_spec_prints_an_empty_answer_in_every_format(fmt: str) -> None:
    spec = Path(__file__).resolve().parents[2] / "specs" / "minimal" / "model.yaml"
    result = invoke("validate", "--format", fmt, str(spec))
    assert result.exit_code == 0
    if fmt == "json":
        assert json.loads(result.stdout) == []
    elif fmt == "sarif":
        assert json.loads(result.stdout)["runs"][0]["results"] == []
    else:
        assert result.stdout == ""


def test_check_in_azure_attaches_a_summary_of_stale_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --format azure` in the pipeline: the stale files on the run's summary page
    (task.uploadsummary with a Markdown file in the agent's temp folder)."""
    import shutil

    spec_dir = tmp_path / "repo" / "minimal"
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    shutil.copytree(Path(__file__).resolve().parents[2] / "specs" / "minimal", spec_dir)
    agent_temp = tmp_path / "agent-temp"
    agent_temp.mkdir()
    monkeypatch.setenv("AGENT_TEMPDIRECTORY", str(agent_temp))
    spec = str(spec_dir / "model.yaml")
    assert invoke("render", spec).exit_code == 0
    ok = invoke("check", "--format", "azure", spec)
    assert ok.exit_code == 0 and "uploadsummary" not in ok.stdout
    (spec_dir / "notebooks" / "gate.py").unlink()
    stale = invoke("check", "--format", "azure", spec)
    assert stale.exit_code == 1
    summary = agent_temp / "mlopsgen-check.md"
    assert f"##vso[task.uploadsummary]{summary}\n" in stale.stdout
    text = summary.read_text()
    assert f"run `mlopsgen render {spec}`" in text and "- `create notebooks/gate.py`" in text
