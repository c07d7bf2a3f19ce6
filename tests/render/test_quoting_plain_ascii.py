"""The quoting filters' shortcut for printable ASCII (issue 15: their patterns compile only
for other text) returns exactly what the patterns would: every one- and two-character ASCII
string, and generated text."""

from __future__ import annotations

import json
from itertools import product

from hypothesis import given
from hypothesis import strategies as st

from mlopsgen.render import quoting

ASCII = [chr(code) for code in range(128)]
SHORT = ["", *ASCII, *("".join(pair) for pair in product(ASCII, repeat=2))]


def yaml_by_pattern(value: str) -> str:
    return '"' + quoting._yaml_unsafe().sub(quoting._yaml_escape, value) + '"'


def comment_by_pattern(value: str) -> str:
    return quoting._comment_unsafe().sub(lambda m: json.dumps(m.group())[1:-1], value)


def mermaid_by_pattern(value: str) -> str:
    return quoting._mermaid_unsafe().sub(lambda m: f"#{ord(m.group())};", value)


def markdown_by_pattern(value: str) -> str:
    escaped = quoting._MARKDOWN_UNSAFE.sub(lambda m: "\\" + m.group(), value)
    return quoting._markdown_controls().sub(lambda m: f"&#{ord(m.group())};", escaped)


def _same(value: str) -> None:
    assert quoting.yaml_str(value) == yaml_by_pattern(value), repr(value)
    assert quoting.comment_text(value) == comment_by_pattern(value), repr(value)
    assert quoting.markdown_text(value) == markdown_by_pattern(value), repr(value)
    assert quoting.mermaid_text(value) == mermaid_by_pattern(value), repr(value)


def test_every_short_ascii_string_quotes_as_the_patterns_do() -> None:
    for value in SHORT:
        _same(value)


def test_the_shortcut_is_taken_for_printable_ascii_only() -> None:
    assert quoting._plain_ascii("spec-name_1 (a/b) ~!")
    for value in ("a\tb", "a\x7f", "caf\u00e9", "a\u2028b", "\x00", "\U0001f600"):
        assert not quoting._plain_ascii(value), repr(value)


@given(st.text())
def test_any_text_quotes_as_the_patterns_do(value: str) -> None:
    _same(value)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_any_ascii_text_quotes_as_the_patterns_do(value: str) -> None:
    _same(value)
