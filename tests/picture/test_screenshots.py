"""Look at the picture as a person would (issue 14): each example's PIPELINE.md drawn by
Mermaid's browser bundle in headless Chromium (tests/picture/screenshot.mjs; the binary ships
inside the npm package @sparticuz/chromium, pinned by package-lock.json), offline. The SVG and
the PNG go to a temporary folder, never into the repository: set MLOPSGEN_PICTURE_DIR to keep
them somewhere to look at.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from picture.test_picture import HERE, expected, hostile_spec, mermaid_tools
from render.examples import EXAMPLES, GOLDEN, example_spec

from mlopsgen import layout
from mlopsgen.render import render_spec

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def draw(markdown: Path, out: Path) -> dict[str, Any]:
    """Draw `markdown`'s diagram to out.svg and out.png; what the browser shows."""
    node = mermaid_tools()
    if not (HERE / "node_modules" / "@sparticuz" / "chromium").is_dir():
        pytest.fail("tests/picture/node_modules lacks @sparticuz/chromium: npm ci")
    done = subprocess.run(
        [node, str(HERE / "screenshot.mjs"), str(markdown), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    drawn: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return drawn


def picture_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MLOPSGEN_PICTURE_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_draws_every_node_and_stage(name: str, tmp_path: Path) -> None:
    out = picture_dir(tmp_path) / name
    drawn = draw(GOLDEN / name / layout.PICTURE_FILE, out)
    want = expected(example_spec(name))
    assert drawn["nodes"] == len(want["vertices"])
    assert drawn["clusters"] == len(want["subgraphs"])
    assert drawn["edges"] == len(want["edges"])
    labels = set(drawn["labels"])
    assert {label for _, label, _ in want["vertices"]} <= labels
    width, height = png_size(out.with_suffix(".png").read_bytes())
    assert width > 200 and height > 200
    assert abs(width - drawn["width"]) <= 2 and abs(height - drawn["height"]) <= 2


@pytest.mark.slow
def test_hostile_names_are_drawn_as_text(tmp_path: Path) -> None:
    """No tag, entity or directive in a name changes the drawing: every label shows as is."""
    spec = hostile_spec("wine-quality")
    markdown = tmp_path / "hostile.md"
    markdown.write_text(render_spec(spec).picture.text, encoding="utf-8")
    drawn = draw(markdown, picture_dir(tmp_path) / "hostile")
    want = expected(spec)
    assert drawn["nodes"] == len(want["vertices"])
    assert {label for _, label, _ in want["vertices"]} <= set(drawn["labels"])
