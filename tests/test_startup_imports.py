"""The everyday commands never import the heavy libraries (each costs 0.1 s to over 1 s).

`--help`, `validate`, `schema`, `render` and `check` run in PR checks and on laptops; only
`deploy`/`run` (databricks-sdk) and the notebooks (mlflow, pyspark) may pay for those imports.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# typer and click: the command line is argparse since issue 15 (they cost ~30 ms a start).
HEAVY = (
    "databricks",
    "mlflow",
    "pyspark",
    "pandas",
    "rich",
    "pydantic",
    "sklearn",
    "typer",
    "click",
)

# Runs the real CLI in a fresh interpreter, then reports which heavy top-level packages loaded.
PROBE = """
import sys
from mlopsgen.cli import run
code = run(sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
print(f"exit={code} loaded={loaded}", file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["validate", "model.yaml"],
        ["schema"],
        ["render", "model.yaml", "--out", "out"],
        ["check", "model.yaml"],
        ["azureml-deploy", "--help"],  # MLflow only once it downloads a model
    ],
    ids=lambda args: args[0],
)
def test_everyday_commands_stay_light(args: list[str], tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs" / "wine-quality", tmp_path, dirs_exist_ok=True)
    done = _python(PROBE, args, tmp_path)
    report = done.stderr.strip().splitlines()[-1]
    # check exits 1 here (nothing rendered next to the copy): what matters is what it loaded.
    expected_exit = 1 if args[0] == "check" else 0
    assert report == f"exit={expected_exit} loaded=[]", done.stderr


def _python(code: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -c CODE ARGS` in a fresh interpreter, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _loaded_by(args: list[str], cwd: Path) -> tuple[str, set[str]]:
    """What `python -m mlopsgen ARGS` prints, and the top-level packages it imported."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['mlopsgen', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('mlopsgen', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}), file=sys.stderr)\n"
    )
    done = _python(probe, args, cwd)
    loaded = done.stderr.strip().splitlines()[-1]
    return done.stdout, set(loaded.strip("[]").replace("'", "").split(", "))


def test_version_is_answered_before_the_command_line_loads(tmp_path: Path) -> None:
    from mlopsgen import __version__

    out, loaded = _loaded_by(["--version"], tmp_path)
    assert out == f"mlopsgen {__version__}\n"
    assert not loaded & {"typer", "click", "jinja2", "yaml"}, loaded


@pytest.mark.parametrize("args", [["--help"], ["render", "--help"], []], ids=str)
def test_help_loads_the_command_line_alone(args: list[str], tmp_path: Path) -> None:
    """Issue 15: help is argparse and the docstrings: no spec, YAML, template or model code
    (dataclasses: the model's classes cost ~25 ms to create)."""
    _, loaded = _loaded_by(args, tmp_path)
    assert "mlopsgen" in loaded and "argparse" in loaded
    assert not loaded & {"yaml", "jinja2", "jsonschema", "dataclasses", "typer", "click"}, loaded


def test_plain_pins_are_checked_without_packaging(tmp_path: Path) -> None:
    # wine-quality lists `name==version` libraries only: the fast check decides (issue 15)
    shutil.copytree(REPO / "specs" / "wine-quality", tmp_path, dirs_exist_ok=True)
    _, loaded = _loaded_by(["validate", "model.yaml"], tmp_path)
    assert "mlopsgen" in loaded
    assert "packaging" not in loaded, loaded


@pytest.mark.parametrize("requirement", ["scikit-learn==1.5.2", "x", "A_b.c-d==10.0.1", "a..b==1"])
def test_the_fast_pin_check_accepts_only_what_packaging_accepts(requirement: str) -> None:
    from packaging.requirements import Requirement

    from mlopsgen.spec.semantics import _PLAIN_PIN

    assert _PLAIN_PIN.fullmatch(requirement)
    Requirement(requirement)  # raises InvalidRequirement if the fast check were too lenient


@pytest.mark.parametrize("requirement", ["x==", "x>=1", "-x", "x==1.", "x[extra]==1", "x ==1"])
def test_everything_else_is_left_to_packaging(requirement: str) -> None:
    from mlopsgen.spec.semantics import _PLAIN_PIN

    assert not _PLAIN_PIN.fullmatch(requirement)


# `mlopsgen/__main__.py` pauses the garbage collector; the command line turns it back on
# unless the command only reads, compiles and renders.
GC_PROBE = """
import gc, sys
from mlopsgen.__main__ import main
sys.argv = ["mlopsgen", *sys.argv[1:]]
import mlopsgen.cli as cli
real = cli.run
def probe(argv):
    code = real(argv)
    print(f"gc={gc.isenabled()}", file=sys.stderr)
    return code
cli.run = probe
try:
    main()
except SystemExit:
    pass
"""


@pytest.mark.parametrize(
    ("args", "collects"),
    [
        (["schema"], False),
        (["validate", "--help"], False),
        (["check", "--help"], False),
        (["deploy", "--help"], True),  # services, and waits of hours: the collector runs
        (["run", "--help"], True),
        (["azureml-deploy", "--help"], True),
        (["pack-test", "--help"], True),
    ],
)
def test_only_the_file_commands_run_without_the_garbage_collector(
    args: list[str], collects: bool, tmp_path: Path
) -> None:
    done = _python(GC_PROBE, args, tmp_path)
    assert f"gc={collects}" in done.stderr, done.stderr
