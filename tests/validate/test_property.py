"""Whatever text a user saves as model.yaml, `mlopsgen validate` answers with exit 0, or with
exit 1 and located diagnostics: never a traceback, never an internal error (exit 3)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from cli_runner import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO / "specs" / "wine-quality"
EXAMPLE = (EXAMPLE_DIR / "model.yaml").read_text(encoding="utf-8")
# Characters that matter to YAML, plus some that matter to us (macros, secrets, unicode).
SPICY = [
    *"\t\n :-{}[],&*!|>'\"#%@`?$()~\\\x00\x07\x85\u2028\ufeffé",
    "yes",
    "on",
    "010",
    "1:30",
    "2024-01-01",
    ".nan",
    "<<: ",
    "---\n",
    "&a ",
    "*a",
    "!!python/object ",
    "$(x)",
    "dapi0123456789abcdef0123456789abcdef",
]
text_chars = st.characters(exclude_categories=["Cs"])  # no lone surrogates


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    text = EXAMPLE
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "drop_line", "dup_line"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            piece = draw(st.sampled_from(SPICY) | st.text(text_chars, max_size=4))
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 6)) :]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(SPICY)) + text[at + 1 :]
        else:
            lines = text.splitlines(keepends=True) or [""]
            i = draw(st.integers(0, len(lines) - 1))
            lines[i : i + 1] = [] if kind == "drop_line" else [lines[i], lines[i]]
            text = "".join(lines)
    return text


@st.composite
def mutated_data(draw: st.DrawFn) -> str:
    """Well-formed YAML of the wrong shape: replace one value anywhere with junk."""
    data = yaml.safe_load(EXAMPLE)
    parent, key = data, draw(st.sampled_from(list(data)))
    for _ in range(draw(st.integers(0, 3))):
        child = parent[key]
        if not isinstance(child, (dict, list)) or not child:
            break
        keys = list(child) if isinstance(child, dict) else list(range(len(child)))
        parent, key = child, draw(st.sampled_from(keys))
    junk = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(text_chars, max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=5,
    )
    parent[key] = draw(junk)
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spec")
    shutil.copytree(EXAMPLE_DIR, folder, dirs_exist_ok=True)
    return folder


def check_outcome(spec_dir: Path, text: str) -> None:
    spec = spec_dir / "model.yaml"
    spec.write_text(text, encoding="utf-8")
    result = invoke("validate", str(spec))
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output
    # (an exception other than an exit would have propagated out of invoke: no crash here)
    lines = result.stdout.splitlines()
    located = re.compile(
        re.escape(str(spec)) + r":\d+:\d+: (error\[E\d{3}\]|warning\[W\d{3}\]): .+"
    )
    assert all(located.fullmatch(line) for line in lines), result.stdout
    errors = [line for line in lines if ": error[" in line]
    assert bool(errors) == (result.exit_code == 1), result.output  # warnings never fail


SETTINGS = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(mutated_text())
def test_mutated_yaml_text(spec_dir: Path, text: str) -> None:
    check_outcome(spec_dir, text)


@SETTINGS
@given(mutated_data())
def test_mutated_yaml_data(spec_dir: Path, text: str) -> None:
    check_outcome(spec_dir, text)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(text_chars, max_size=200))
def test_random_text(spec_dir: Path, text: str) -> None:
    check_outcome(spec_dir, text)
