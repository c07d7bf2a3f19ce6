"""`mlopsgen validate` and `mlopsgen schema` through the real CLI, in-process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "specs" / "wine-quality" / "model.yaml"
MINIMAL = REPO / "specs" / "minimal" / "model.yaml"  # no schedule: no warning
BAD_CASE = Path(__file__).parent / "cases" / "invalid" / "gate-best-match"


def run(*args: str) -> tuple[int, str, str]:
    result = invoke(*args)
    return result.exit_code, result.stdout, result.stderr


def test_valid_spec_exits_0_with_summary() -> None:
    code, out, err = run("validate", str(MINIMAL))
    assert (code, out, err) == (0, "", "1 spec valid\n")


def test_warnings_are_printed_located_and_do_not_fail() -> None:
    """W-codes are warnings: printed like errors (FILE:LINE:COL: warning[W001]: ...), counted
    in the summary, exit 0 (README "Validation and errors")."""
    code, out, err = run("validate", str(EXAMPLE))
    assert code == 0
    assert out.startswith(f"{EXAMPLE}:26:13: warning[W001]: schedule.timezone: ")
    assert out.count("\n") == 1
    assert err == "1 spec valid, 1 warning\n"


def test_invalid_spec_prints_every_diagnostic_and_exits_1() -> None:
    spec = str(BAD_CASE / "model.yaml")
    code, out, err = run("validate", str(EXAMPLE), spec)
    expected = (BAD_CASE / "expected.txt").read_text(encoding="utf-8")
    assert code == 1
    warning, rest = out.split("\n", 1)
    assert warning.startswith(f"{EXAMPLE}:26:13: warning[W001]: ")
    assert rest == expected.replace("model.yaml:", f"{spec}:")
    assert err == "5 errors in 1 of 2 specs, 1 warning\n"


def test_json_format_lists_located_diagnostics() -> None:
    code, out, _ = run("validate", "--format", "json", str(BAD_CASE / "model.yaml"))
    assert code == 1
    items = json.loads(out)
    assert items[0] == {
        "file": str(BAD_CASE / "model.yaml"),
        "line": 12,
        "column": 9,
        "severity": "error",
        "code": "E202",
        "path": "stages[staging].gates[0]",
        "message": "missing required key: set 'min' or 'max'",
    }
    assert len(items) == 5


def test_json_format_of_a_valid_spec_is_an_empty_list() -> None:
    code, out, _ = run("validate", "--format", "json", str(MINIMAL))
    assert (code, json.loads(out)) == (0, [])


def test_json_format_gives_a_warning_its_severity() -> None:
    code, out, _ = run("validate", "--format", "json", str(EXAMPLE))
    (item,) = json.loads(out)
    assert code == 0
    assert {k: item[k] for k in ("line", "column", "severity", "code", "path")} == {
        "line": 26,
        "column": 13,
        "severity": "warning",
        "code": "W001",
        "path": "schedule.timezone",
    }


def test_missing_spec_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run("validate", str(tmp_path / "nope.yaml"))
    assert (code, out) == (2, "")
    assert err == f"error: no such spec file: {tmp_path / 'nope.yaml'}\n"
    monkeypatch.chdir(tmp_path)
    code, _, err = run("validate")
    assert code == 2 and "model.yaml" in err


def test_default_spec_is_model_yaml_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLE.parent, tmp_path / "spec")
    monkeypatch.chdir(tmp_path / "spec")
    assert run("validate")[0] == 0


def test_unknown_format_is_a_usage_error() -> None:
    assert run("validate", "--format", "xml", str(EXAMPLE))[0] == 2


def test_schema_prints_the_packaged_schema_verbatim() -> None:
    code, out, _ = run("schema")
    assert code == 0
    assert out == (REPO / "schemas" / "model.v1.schema.json").read_text(encoding="utf-8")


def test_validate_does_not_import_heavy_modules() -> None:
    """`validate` must stay fast: no Jinja, no Databricks SDK, no MLflow, no Spark."""
    probe = (
        "import sys; from mlopsgen.cli import run;"
        f"assert run(['validate', {str(EXAMPLE)!r}]) == 0;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'jinja2', 'databricks', 'mlflow', 'pyspark'}), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stderr.splitlines()[-1] == "[]"  # stdout holds the spec's warning


def test_a_folder_means_its_model_yaml(tmp_path: Path) -> None:
    """Issue 14: `mlopsgen validate specs/minimal` (a folder) validates its model.yaml."""
    code, _, err = run("validate", str(MINIMAL.parent))
    assert (code, err) == (0, "1 spec valid\n")
    code, _, err = run("validate", str(tmp_path))
    assert code == 2 and err == f"error: no such spec file: {tmp_path / 'model.yaml'}\n"


def test_dash_h_is_help() -> None:
    for args in (["-h"], ["validate", "-h"], ["run", "-h"]):
        code, out, _ = run(*args)
        assert code == 0 and out.startswith("Usage: ")


def test_two_specs_of_one_name_are_an_error_at_the_second_ones_name(tmp_path: Path) -> None:
    """They would write each other's files and, in a shared workspace, each other's jobs."""
    for folder in ("a", "b"):
        shutil.copytree(MINIMAL.parent, tmp_path / folder)
    first, second = tmp_path / "a" / "model.yaml", tmp_path / "b" / "model.yaml"
    code, out, _ = run("validate", str(first), str(second))
    assert code == 1
    assert out == (
        f"{second}:5:7: error[E375]: name: 'minimal' is also the name of {first}: their "
        "generated files and their jobs (named after it) would overwrite each other; give "
        "each spec its own name\n"
    )
    code, out, _ = run("render", str(first), str(second), "--out", str(tmp_path / "out"))
    assert code == 1 and "E375" in out
    assert not (tmp_path / "b" / "azure-pipelines.yml").exists()


def test_workspace_commands_without_the_databricks_extra_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14: `deploy --dry-run` without databricks-sdk was exit 3 ("a bug"); it is a usage
    error naming the install command. sys.modules[name] = None makes `import name` fail as a
    missing package does."""
    monkeypatch.setitem(sys.modules, "databricks.sdk", None)
    monkeypatch.setitem(sys.modules, "databricks", None)
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.1.azuredatabricks.net")
    code, _, err = run("deploy", str(EXAMPLE), "--stage", "staging", "--dry-run")
    assert code == 2
    assert err.startswith("error: talking to Databricks needs the databricks extra")
    assert 'pip install "mlopsgen[databricks]"' in err
