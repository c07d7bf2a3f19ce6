"""The example pack's own safety net (issue 13): its example project's full generated tree,
rendered with the pack, kept under golden/_packs/contoso/ and compared file by file, the
way tests/render/test_golden.py keeps mlopsgen's examples. A platform team tests its pack
the same way; `make regen` (`--snapshot-update`) rewrites the tree on purpose."""

from __future__ import annotations

from functools import cache

import pytest
from packs.support import CONTOSO
from render.examples import GOLDEN
from render.test_golden import _check_snapshot, golden_files
from syrupy.assertion import SnapshotAssertion

from mlopsgen import layout
from mlopsgen.render import render_spec
from mlopsgen.spec.compile import compile_spec
from mlopsgen.writer import generated_tree

PACK_GOLDEN = GOLDEN / "_packs" / "contoso"
SPEC = CONTOSO / "example" / "model.yaml"


@cache
def pack_tree() -> dict[str, str]:
    """The example project's tree without the runtime's files (golden/_runtime has them)."""
    result = compile_spec(SPEC)
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    assert result.spec.origin.spec_path == "examples/packs/contoso/example/model.yaml"
    files = generated_tree(result.spec, render_spec(result.spec).files())
    return {a.path: a.text for a in files if not layout.is_runtime_file(a.path)}


def _cases() -> list[str]:
    kept = golden_files(PACK_GOLDEN) if PACK_GOLDEN.is_dir() else {}
    return sorted(pack_tree().keys() | kept.keys())


@pytest.mark.filterwarnings("ignore::UserWarning:syrupy.extensions.base")
@pytest.mark.parametrize("path", _cases())
def test_pack_golden_file(
    path: str, snapshot: SnapshotAssertion, request: pytest.FixtureRequest
) -> None:
    _check_snapshot(pack_tree().get(path), PACK_GOLDEN / path, snapshot, request)
