"""Golden files: golden/<spec>/... holds the expected tree of every example spec, and
golden/_runtime/ the runtime package's files once, since every spec renders them alike.

Each generated file is a syrupy snapshot stored as a plain file at its own path under
golden/, so `pytest tests/render --snapshot-update` regenerates them on purpose (and removes
golden files no longer generated); a plain run (CI) only compares. Two more tests compare
whole trees and print one readable unified diff for every missing, extra or changed file:
one per spec, and one for the runtime, whose change is one diff however many specs render it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

import pytest
from render.examples import EXAMPLES, GOLDEN, example_tree
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension

from mlopsgen import layout
from mlopsgen.render import notebooks

# golden/_runtime/<path under notebooks/>, e.g. golden/_runtime/mlopsgen_runtime/gates.py
RUNTIME_GOLDEN = GOLDEN / "_runtime"
UPDATE_HINT = "review, then run `pytest tests/render --snapshot-update`"


def golden_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def spec_files(name: str) -> dict[str, str]:
    """A spec's rendered tree without the runtime's files (kept once, in RUNTIME_GOLDEN)."""
    return {p: t for p, t in example_tree(name).items() if not layout.is_runtime_file(p)}


def runtime_golden_path(path: str) -> Path:
    """Where the runtime file rendered at `path` (notebooks/mlopsgen_runtime/...) is kept."""
    return RUNTIME_GOLDEN / PurePosixPath(path).relative_to(layout.NOTEBOOKS_DIR)


def golden_runtime() -> dict[str, bytes]:
    """The kept runtime files, by the path they are rendered at."""
    return {
        f"{layout.NOTEBOOKS_DIR}/{p.relative_to(RUNTIME_GOLDEN).as_posix()}": p.read_bytes()
        for p in sorted(RUNTIME_GOLDEN.rglob("*"))
        if p.is_file()
    }


def golden_extension(stored: Path) -> type[SingleFileSnapshotExtension]:
    """A syrupy extension that stores one snapshot as the plain file `stored`."""

    # syrupy calls these classmethods with keyword arguments (test location, index); the
    # stored path is fixed here instead, so they accept and ignore any keyword.
    class GoldenFile(SingleFileSnapshotExtension):
        file_extension = ""  # the stored name keeps the generated file's own extension

        @classmethod
        def dirname(cls, **_: object) -> str:
            return str(stored.parent)

        @classmethod
        def get_snapshot_name(cls, **_: object) -> str:
            return stored.name

    return GoldenFile


def _check_snapshot(
    generated: str | None,
    stored: Path,
    snapshot: SnapshotAssertion,
    request: pytest.FixtureRequest,
) -> None:
    if generated is None:  # a golden file the renderer no longer produces
        if request.config.option.update_snapshots:
            stored.unlink()
            return
        shown = stored.relative_to(GOLDEN.parent).as_posix()
        pytest.fail(f"{shown} is no longer generated (--snapshot-update removes it)")
    assert generated.encode("utf-8") == snapshot(extension_class=golden_extension(stored))


def _spec_cases() -> list[tuple[str, str]]:
    cases: set[tuple[str, str]] = set()
    for name in EXAMPLES:
        cases.update((name, path) for path in spec_files(name))
        if (GOLDEN / name).is_dir():
            cases.update((name, path) for path in golden_files(GOLDEN / name))
    return sorted(cases)


def _runtime_cases() -> list[str]:
    rendered = {path for path, _text in notebooks.render_runtime()}
    return sorted(rendered | golden_runtime().keys())


# syrupy cannot relate a path under golden/ to the test's name; that is the point here.
@pytest.mark.filterwarnings("ignore::UserWarning:syrupy.extensions.base")
@pytest.mark.parametrize(("name", "path"), _spec_cases())
def test_golden_file(
    name: str, path: str, snapshot: SnapshotAssertion, request: pytest.FixtureRequest
) -> None:
    _check_snapshot(spec_files(name).get(path), GOLDEN / name / path, snapshot, request)


@pytest.mark.filterwarnings("ignore::UserWarning:syrupy.extensions.base")
@pytest.mark.parametrize("path", _runtime_cases())
def test_golden_runtime_file(
    path: str, snapshot: SnapshotAssertion, request: pytest.FixtureRequest
) -> None:
    generated = dict(notebooks.render_runtime()).get(path)
    _check_snapshot(generated, runtime_golden_path(path), snapshot, request)


def _diff(kind: str, path: str, expected: str, actual: str, fromfile: str, tofile: str) -> str:
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=fromfile,
        tofile=tofile,
    )
    return f"{kind}: {path}\n{''.join(diff)}"


def _kind(path: str, expected: Mapping[str, object], actual: Mapping[str, object]) -> str:
    return "extra" if path not in actual else "missing" if path not in expected else "changed"


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_tree(name: str, request: pytest.FixtureRequest) -> None:
    if request.config.option.update_snapshots:
        pytest.skip("golden files are being regenerated by test_golden_file")
    expected, actual = golden_files(GOLDEN / name), spec_files(name)
    problems = [
        _diff(
            _kind(path, expected, actual),
            path,
            expected.get(path, ""),
            actual.get(path, ""),
            f"golden/{name}/{path}",
            f"rendered/{name}/{path}",
        )
        for path in sorted(expected.keys() | actual.keys())
        if expected.get(path) != actual.get(path)
    ]
    assert not problems, f"rendered output differs from golden files; {UPDATE_HINT}:\n" + "\n".join(
        problems
    )


def _runtime_by_content(names: Iterable[str]) -> dict[str, dict[bytes | None, list[str]]]:
    """For each runtime path any spec renders: each distinct content, with its specs."""
    found: dict[str, dict[bytes | None, list[str]]] = {}
    trees = {name: example_tree(name) for name in names}
    paths = {p for tree in trees.values() for p in tree if layout.is_runtime_file(p)}
    for path in sorted(paths | golden_runtime().keys()):
        for name, tree in trees.items():
            text = tree.get(path)
            content = None if text is None else text.encode("utf-8")
            found.setdefault(path, {}).setdefault(content, []).append(name)
    return found


def test_every_spec_renders_the_golden_runtime(request: pytest.FixtureRequest) -> None:
    """Byte for byte, in every spec; a difference is shown once, naming the specs."""
    if request.config.option.update_snapshots:
        pytest.skip("golden files are being regenerated by test_golden_runtime_file")
    expected = golden_runtime()
    problems = []
    for path, contents in _runtime_by_content(EXAMPLES).items():
        for content, names in contents.items():
            if content == expected.get(path):
                continue
            actual = {path: content} if content is not None else {}
            problems.append(
                _diff(
                    _kind(path, expected, actual),
                    path,
                    expected.get(path, b"").decode("utf-8"),
                    (content or b"").decode("utf-8"),
                    runtime_golden_path(path).relative_to(GOLDEN.parent).as_posix(),
                    f"rendered by {', '.join(names)}: {path}",
                )
            )
    assert not problems, f"rendered runtime differs from golden/_runtime; {UPDATE_HINT}:\n" + (
        "\n".join(problems)
    )


def test_every_example_has_golden_files() -> None:
    assert len(EXAMPLES) >= 4
    for name in EXAMPLES:
        assert (GOLDEN / name / "azure-pipelines.yml").is_file(), name
        assert not any(layout.is_runtime_file(p) for p in golden_files(GOLDEN / name)), name
    assert runtime_golden_path(f"{layout.RUNTIME_DIR}/__init__.py").is_file()
