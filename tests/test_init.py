"""Issue 14: `mlopsgen init` starts a model folder that validates, renders and checks, in both
modes: asking (prompts carry the schema's descriptions and defaults) and --no-input.

The notebook it writes is the `minimal` example's (byte for byte, for that name), which the
suite runs on the MLflow of each Databricks runtime (tests/training_notebooks): so the
scaffold really trains, logs and hands over a version as the contract says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke

from mlopsgen.scaffold import scaffold
from mlopsgen.spec.compile import compile_spec

REPO = Path(__file__).resolve().parents[1]
WORKSPACE = "https://adb-1234567890123456.7.azuredatabricks.net"


def _init(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = invoke("init", *args, input=stdin)
    return result.exit_code, result.output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_no_input_writes_a_folder_that_validates_renders_and_checks(repo: Path) -> None:
    code, out = _init("churn", "--no-input", "--set", f"workspace={WORKSPACE}", "--set",
                      "owners=ana@corp.example, ben@corp.example")  # fmt: skip
    assert code == 0, out
    folder = repo / "churn"
    for path in ("model.yaml", "notebooks/train.py", "tests/sample_request.json",
                 "tests/test_spec.py", "azure-pipelines.yml", "databricks/train.json"):  # fmt: skip
        assert (folder / path).is_file(), path
    result = compile_spec(folder / "model.yaml")
    assert result.spec is not None and result.diagnostics == ()
    spec = result.spec
    assert (spec.name, spec.model.name, spec.owners) == (
        "churn",
        "main.default.churn",
        ("ana@corp.example", "ben@corp.example"),
    )
    assert spec.stages[0].service_connection == "sc-databricks-prod"
    assert invoke("check", str(folder / "model.yaml")).exit_code == 0
    # the test init writes passes, run as the pipeline runs it
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_questions_carry_the_schemas_help_and_defaults(repo: Path) -> None:
    answers = "\n".join(["fraud-score", "", "", "", "staging", WORKSPACE, ""]) + "\n"
    code, out = _init("new", stdin=answers)
    assert code == 0, out
    assert "workspace: The stage's Databricks workspace URL" in out
    assert "model_name [main.default.fraud_score]:" in out  # derived from the name given
    assert "service_connection [sc-databricks-staging]:" in out  # and from the stage
    spec = compile_spec(repo / "new" / "model.yaml").spec
    assert spec is not None and spec.stages[0].name == "staging"


def test_no_input_names_what_is_missing_and_writes_nothing(repo: Path) -> None:
    code, out = _init("x-model", "--no-input")
    assert code == 2 and "init --no-input needs: --set workspace=..." in out
    assert not (repo / "x-model").exists()


def test_answers_that_make_an_invalid_spec_write_nothing(repo: Path) -> None:
    code, out = _init("bad", "--no-input", "--set", f"workspace={WORKSPACE}", "--set", "name=X")
    assert code == 1
    assert "bad/model.yaml:5:7: error[E205]: name:" in out  # in the spec it would write
    assert "nothing was written" in out and not (repo / "bad").exists()


def test_an_existing_spec_is_never_overwritten(repo: Path) -> None:
    (repo / "m").mkdir()
    (repo / "m" / "model.yaml").write_text("mine\n")
    code, out = _init("m", "--no-input", "--set", f"workspace={WORKSPACE}")
    assert code == 1 and "exists already" in out
    assert (repo / "m" / "model.yaml").read_text() == "mine\n"
    assert not (repo / "m" / "notebooks").exists()


def test_an_answers_file_and_set_combine(repo: Path) -> None:
    (repo / "answers.yaml").write_text(f"workspace: {WORKSPACE}\nstage: dev\nowners:\n")
    code, out = _init("m2", "--no-input", "--answers", "answers.yaml", "--set", "stage=test")
    assert code == 0, out
    spec = compile_spec(repo / "m2" / "model.yaml").spec
    assert spec is not None and spec.stages[0].name == "test" and spec.owners == ()
    code, out = _init("m3", "--no-input", "--set", "colour=blue")
    assert code == 2 and "expected key=value, key one of" in out


def test_the_notebook_is_the_minimal_examples() -> None:
    files = {a.path: a.text for a in scaffold({
        "name": "minimal", "description": "", "owners": "", "model_name": "m.m.m",
        "stage": "prod", "workspace": WORKSPACE, "service_connection": "sc",
    })}  # fmt: skip
    expected = (REPO / "specs" / "minimal" / "notebooks" / "train.py").read_text()
    assert files["notebooks/train.py"] == expected


def test_input_that_ends_before_every_answer_is_a_usage_error(repo: Path) -> None:
    """Issue 15: end of input at a question was click's Abort, reported as an internal error
    (exit 3); it is a usage error naming the question, and nothing is written."""
    code, out = _init("early", stdin="fraud\n")
    assert code == 2
    assert out.endswith("error: no answer for description: input ended (--no-input asks nothing)\n")
    assert not (repo / "early").exists()
