"""The folders show the flow, and imports point down it (README "Architecture").

    cli -> commands -> (spec, model, render, writer, databricks, azureml, report)
    spec -> model -> render -> writer;  databricks, azureml beside writer;  runtime imports nothing

Checked on the source (AST), so a new import against the flow fails here, naming the file.
Imports under `if TYPE_CHECKING:` are type annotations only and do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlopsgen"
# Leaf modules every part may use.
_BASE = {"__init__", "errors", "layout", "resources", "azure_devops"}
# For each part of the package, the other parts it may import at run time.
ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "__main__": {"cli", "__init__"},  # `--version` before the command line loads
    "errors": set(),
    "resources": set(),
    "azure_devops": set(),
    "layout": {"runtime"},
    "runtime": set(),  # ships to the cluster alone: the standard library only
    "timeouts": {"model", "runtime"},  # one formula for job timeouts: render and validate
    "governance": {"model"},  # the checks a spec asks of Azure DevOps (pure)
    "review": {"runtime"},  # a stage's gates and approvals, read from generated files (pure)
    "scaffold": _BASE | {"render", "spec"},  # what init writes (pure)
    "spec": _BASE | {"model", "runtime", "azure_devops", "timeouts"},  # compile builds the model
    "model": _BASE | {"spec"},  # defaults come from the schema
    "render": _BASE | {"model", "runtime", "spec", "timeouts"},
    "writer": _BASE | {"model", "render"},
    # check's records of passes: digests of what compile, render and the writer read
    "check_cache": _BASE | {"model", "render", "spec"},
    "report": _BASE,
    "databricks": _BASE | {"model", "render", "runtime"},
    # Azure ML from the pipeline agent: may use the runtime's pure parts (smoke counting,
    # registry URIs) and its promote, which runs on the agent after the traffic moved
    "azureml": _BASE | {"model", "render", "runtime"},
    "commands": _BASE
    | {
        "spec",
        "model",
        "render",
        "writer",
        "check_cache",
        "databricks",
        "azureml",
        "report",
        "governance",
        "review",
        "scaffold",
    },
    "cli": _BASE | {"commands"},
}
# Where output to the terminal may be written (the runtime prints into notebook output). In
# the command layer only `commands/console.py` writes: it neutralises logging commands.
PRINTERS = {"__main__", "cli", "runtime"}  # __main__: the version, before cli loads
CONSOLE = PACKAGE / "commands" / "console.py"


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        part = relative.parts[0].removesuffix(".py")
        yield part, path


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node outside `if TYPE_CHECKING:` and `if __name__ == "__main__":` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "__name__ == '__main__'",
        ):
            skipped.update(id(child) for child in ast.walk(node) if child is not node)
            continue
        if id(node) not in skipped:
            yield node


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mlopsgen":  # a submodule, or a name from mlopsgen/__init__.py
                yield from (f"mlopsgen.{_submodule(alias.name)}" for alias in node.names)
            else:
                yield node.module


def _submodule(name: str) -> str:
    is_module = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return name if is_module else "__init__"


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "mlopsgen" and len(parts) > 1 else None


@pytest.mark.parametrize(("part", "path"), list(_modules()), ids=lambda v: str(v))
def test_imports_point_down_the_flow(part: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module in _imports(tree):
        other = _part(module)
        if other is not None and other != part:
            assert other in ALLOWED[part], f"{path.name}: {part} must not import {module}"
        # the command line is argparse (issue 15): typer and click are no dependency
        assert module.split(".")[0] not in ("typer", "click"), f"{path.name} imports {module}"


@pytest.mark.parametrize(("part", "path"), list(_modules()), ids=lambda v: str(v))
def test_only_the_command_layer_prints(part: str, path: Path) -> None:
    if part in PRINTERS or path == CONSOLE:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "print":
            pytest.fail(f"{path.name}:{node.lineno}: print() below the command layer")
        if isinstance(node, ast.Attribute) and ast.unparse(node) in ("sys.stdout", "sys.stderr"):
            pytest.fail(f"{path.name}:{node.lineno}: {ast.unparse(node)} below the command layer")


def test_every_part_is_known() -> None:
    """A new folder or top-level module must say what it may import."""
    assert {part for part, _ in _modules()} <= ALLOWED.keys()


def test_the_checks_see_imports_and_prints() -> None:
    """The AST walk finds what it must find (so the tests above cannot pass vacuously)."""
    tree = ast.parse("import sys\nfrom mlopsgen import writer\nsys.stderr.write('x')\n")
    assert list(_imports(tree)) == ["sys", "mlopsgen.writer"]
    assert list(_imports(ast.parse("from mlopsgen import __version__"))) == ["mlopsgen.__init__"]
    assert any(ast.unparse(n) == "sys.stderr" for n in _runtime_nodes(tree))
    guarded = ast.parse("if TYPE_CHECKING:\n    from mlopsgen.writer import Plan\n")
    assert list(_imports(guarded)) == []
