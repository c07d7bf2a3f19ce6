"""The runtime as a package: what it may import, how it ships, what it asks of its callers.

On the cluster it is the folder `notebooks/mlopsgen_runtime/` beside the notebooks, imported
as `mlopsgen_runtime` with no mlopsgen installed; in tests it is `mlopsgen.runtime`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlopsgen import layout
from mlopsgen.runtime import TaskFailed, contract, main
from mlopsgen.runtime.batch import run_batch_score
from mlopsgen.runtime.gate import run_gate
from mlopsgen.runtime.params import flag
from mlopsgen.runtime.promote import run_promote
from mlopsgen.runtime.serving import deploy_databricks_serving
from runtime.support import EXAMPLE_SPEC, REPO, render_tree

PACKAGE = REPO / "mlopsgen" / "runtime"
MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))
HEAVY = ("mlflow", "databricks", "pyspark", "requests")


def _imports(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every import statement under `node`, and whether a function body holds it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _imports(child, inside)


def _problems(module: str) -> Iterator[str]:
    tree = ast.parse((PACKAGE / module).read_text("utf-8"))
    for node, in_function in _imports(tree):
        where = f"{module}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level > 1:  # `from .. import x` reaches outside the package
                yield f"{where}: relative import beyond the package"
            continue
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for top in (name.split(".")[0] for name in names):
            if top == "mlopsgen":  # absolute: it would break as `mlopsgen_runtime`
                yield f"{where}: imports {top} by name; import relatively"
            elif not in_function and top not in sys.stdlib_module_names | {"__future__"}:
                yield f"{where}: {top} at module level (import it inside the function)"


def test_the_runtime_imports_only_itself_and_heavy_libraries_only_inside_functions() -> None:
    assert "contract.py" in MODULES and "__init__.py" in MODULES
    assert [p for m in MODULES for p in _problems(m)] == []


PROBE = """
import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])  # as Databricks puts the notebook's folder on sys.path
import mlopsgen_runtime
from mlopsgen_runtime import gates
modules = sorted(m.name for m in pkgutil.iter_modules(mlopsgen_runtime.__path__))
for name in modules:
    importlib.import_module(f"mlopsgen_runtime.{name}")
print(json.dumps({
    "file": mlopsgen_runtime.__file__,
    "modules": modules,
    "gates": gates.parse_gates('[{"metric": "r2", "min": 0.35}]'),
    "params": mlopsgen_runtime.read_params("gate", {"gates": "[]"}, argv=["--stage", "dev"]),
    "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(","))),
}))
"""


def test_the_rendered_package_imports_as_mlopsgen_runtime_in_a_fresh_interpreter(
    tmp_path: Path,
) -> None:
    notebooks = render_tree(EXAMPLE_SPEC, tmp_path) / layout.NOTEBOOKS_DIR
    forbidden = ",".join(("mlopsgen", *HEAVY))
    # -I: no PYTHONPATH, no current folder; the rendered folder is the only way in
    done = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, str(notebooks), forbidden],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert Path(got["file"]) == notebooks / layout.RUNTIME_PACKAGE / "__init__.py"
    assert got["modules"] == [m.removesuffix(".py") for m in MODULES if m != "__init__.py"]
    assert got["gates"] == [{"metric": "r2", "min": 0.35}]
    assert got["params"] == {
        "model_name": "",
        "registry": "",
        "stage": "dev",
        "model_version": "",
        "gates": "[]",
        "deploy_mode": "",
        "gate_experiment": "",
    }
    assert got["loaded"] == []  # neither mlopsgen itself nor a heavy library


def test_the_contract_names_every_task_once() -> None:
    tasks = set(contract.TASKS)
    assert len(contract.TASKS) == len(tasks)
    assert set(contract.TASK_PARAMETERS) == set(contract.TASK_TITLES) == tasks
    used = {key for keys in contract.TASK_PARAMETERS.values() for key in keys}
    assert set(contract.PARAMETER_HELP) == used


@pytest.mark.parametrize("task", contract.TASKS)
def test_main_runs_every_task_and_checks_its_parameters_first(task: str) -> None:
    # no parameters at all: each task refuses before it touches MLflow, Databricks or Spark
    with pytest.raises(TaskFailed, match="missing parameter"):
        main(task, {}, dbutils=object())


def test_an_unknown_task_is_an_error() -> None:
    with pytest.raises(KeyError):
        main("train", {}, dbutils=object())


SERVING = {"endpoint": "e"}


@pytest.mark.parametrize(
    ("call", "missing"),
    [
        (
            lambda: run_batch_score({"stage": "s", "input_table": "i", "output_table": "o"}),
            "table_format",
        ),
        (lambda: deploy_databricks_serving("m", "1", SERVING), "workload_size"),
        (
            lambda: deploy_databricks_serving("m", "1", SERVING | {"workload_size": "Small"}),
            "scale_to_zero",
        ),
        (lambda: run_promote({"model_name": "m", "stage": "s"}, None), "registry"),
        (
            lambda: run_promote({"model_name": "m", "registry": "workspace", "stage": "s"}, None),
            "deploy_mode",
        ),
        (lambda: run_gate({"stage": "s", "deploy_mode": "deploy"}, None), "gate_experiment"),
        (lambda: flag({"final_stage": " "}, "final_stage"), "final_stage"),
    ],
)
def test_parameters_the_job_always_passes_have_no_default_here(
    call: Callable[[], object], missing: str
) -> None:
    """The spec's defaults live in the spec: a value the job passes is never made up here."""
    with pytest.raises(TaskFailed, match=f"missing parameter\\(s\\): --{missing}"):
        call()
