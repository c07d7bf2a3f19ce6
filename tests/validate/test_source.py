"""The YAML layer: data, positions and every YAML-level problem with its place."""

from __future__ import annotations

import datetime
import time

import pytest

from mlopsgen.spec.findings import Position
from mlopsgen.spec.source import load


def codes_at(text: str) -> list[tuple[str, tuple[int, int] | None]]:
    return [(p.code, p.mark) for p in load(text).problems]


def test_positions_of_keys_and_values() -> None:
    loaded = load("a: 1\nb:\n  - x\n  - {c: 'y'}\n")
    assert loaded.data == {"a": 1, "b": ["x", {"c": "y"}]}
    assert loaded.positions[("a",)] == Position((1, 1), (1, 4), "1", None)
    assert loaded.positions[("b", 0)] == Position(None, (3, 5), "x", None)
    assert loaded.positions[("b", 1, "c")] == Position((4, 6), (4, 9), "y", "'")
    assert loaded.positions[()].key is None


def test_keys_keep_their_text() -> None:
    # YAML 1.1 would make these keys True, False and 1; what was written is what counts.
    assert load("on: 1\nno: 2\n1: 3\n").data == {"on": 1, "no": 2, "1": 3}


def test_yaml_11_scalars_are_typed_but_remember_their_source() -> None:
    loaded = load("a: on\nb: 2024-01-31\nc: '010'\n")
    assert loaded.data == {"a": True, "b": datetime.date(2024, 1, 31), "c": "010"}
    assert loaded.positions[("a",)].source == "on"
    assert loaded.problems == ()


def test_surprising_numbers() -> None:
    loaded = load("a: 010\nb: 1:30\nc: 10\nd: 0\ne: 0x1F\n")
    assert loaded.data == {"a": 8, "b": 90, "c": 10, "d": 0, "e": 31}
    assert [(p.code, p.path) for p in loaded.problems] == [("E007", ("a",)), ("E007", ("b",))]


def test_duplicate_key_points_at_the_second_and_keeps_the_first() -> None:
    loaded = load("a: 1\nb: 2\na: 3\n")
    assert loaded.data == {"a": 1, "b": 2}
    assert codes_at("a: 1\nb: 2\na: 3\n") == [("E003", (3, 1))]
    assert "first defined on line 1" in loaded.problems[0].message


def test_anchors_aliases_and_merge_keys() -> None:
    assert codes_at("a: &x 1\nb: *x\n") == [("E004", (1, 4)), ("E004", (2, 4))]
    assert codes_at("a: {k: 1}\nb:\n  <<: {k: 2}\n") == [("E004", (3, 3))]
    assert codes_at("text: 'R&D *is* fine'\n") == []


def test_tabs_in_indentation() -> None:
    assert codes_at("a:\n\tb: 1\n") == [("E002", (2, 1))]
    assert codes_at("a:\n  \tb: 1\n") == [("E002", (2, 3))]
    assert codes_at("a: 'x\ty'\n") == []


def test_documents_and_roots() -> None:
    assert codes_at("a: 1\n---\nb: 2\n") == [("E005", (2, 1))]
    assert codes_at("") == [("E006", (1, 1))]
    assert codes_at("- 1\n") == [("E006", (1, 1))]
    assert codes_at("\n\njust text\n") == [("E006", (3, 1))]


def test_syntax_errors_and_tags() -> None:
    assert codes_at("a: [1, 2\n") == [("E001", (2, 1))]
    tagged = load("a: !!binary aGVsbG8=\nb: !custom x\n")
    assert tagged.data == {"a": "aGVsbG8=", "b": "x"}  # no field takes bytes
    assert [(p.code, p.path) for p in tagged.problems] == [("E008", ("a",)), ("E008", ("b",))]
    assert codes_at("? [a]\n: 1\n") == [("E008", (1, 3))]


def test_tags_on_collections_are_refused() -> None:
    assert codes_at("a: !!map {b: 1}\nc: !!seq [1]\nd: !x {e: 1}\n") == [
        ("E008", (1, 4)),
        ("E008", (2, 4)),
        ("E008", (3, 4)),
    ]
    assert codes_at("a: !!set {b: null}\n") == [("E008", (1, 4))]


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-30",  # a date to YAML 1.1, but not a real one
        "!!int abc",
        "!!float abc",
        "!!bool maybe",
        "!!timestamp abc",
        "1" * 4301,  # beyond Python's int-str conversion limit
    ],
)
def test_values_yaml_cannot_construct_are_refused(value: str) -> None:
    loaded = load(f"a: {value}\n")
    assert [(p.code, p.path) for p in loaded.problems] == [("E009", ("a",))]
    assert loaded.positions[("a",)].value == (1, 4)


def test_aliases_are_refused_before_expansion() -> None:
    rows = [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 12)]
    bomb = "l0: &l0 [x]\n" + "\n".join(rows) + "\n"
    started = time.perf_counter()
    problems = load(bomb).problems
    assert time.perf_counter() - started < 1  # expanded, this is 9**11 items
    assert {p.code for p in problems} == {"E004"}
    assert codes_at("a: &a [*a]\n") == [("E004", (1, 4)), ("E004", (1, 8))]


def test_deep_nesting_and_size_are_bounded() -> None:
    deep = "a: " + "[" * 999 + "]" * 999 + "\n"
    assert codes_at(deep) == [("E012", (1, 53))]  # the 51st level: the root is the first
    assert codes_at("a: " + "[" * 49 + "]" * 49 + "\n") == []
    assert codes_at("a: '" + "x" * 1_000_000 + "'\n") == [("E012", (1, 1))]


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\r"])
def test_line_separators_are_refused_where_editors_show_them(char: str) -> None:
    assert codes_at(f"a: 1\n# note{char}more\nb: 2\n") == [("E011", (2, 7))]


def test_crlf_line_ends_are_fine() -> None:
    assert load("a: 1\r\nb: 2\r\n").data == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("text", "mark", "says"),
    [
        (  # a key one column left of its siblings
            "apiVersion: mlopsgen/v1\nname: x\nmodel:\n  name: a.b.c\n training:\n",
            (5, 2),
            "this line is indented differently from the keys of the block that starts on line 1",
        ),
        (  # a key under a list item, at the column of the dash
            "name: x\nstages:\n  - name: a\n  workspace: b\n",
            (4, 3),
            "this line does not fit the list of the block that starts on line 3",
        ),
        (  # an unquoted value holding ': '
            "name: x\ndescription: a: b\n",
            (2, 15),
            "a ': ' where no key can start: put a value that contains ': ' in quotes",
        ),
    ],
)
def test_indentation_errors_are_said_in_plain_words(
    text: str, mark: tuple[int, int], says: str
) -> None:
    """Issue 14: the YAML library's wording ("did not find expected key") becomes what to do."""
    (problem,) = load(text).problems
    assert (problem.code, problem.mark) == ("E001", mark)
    assert problem.message.startswith(says)
    assert "YAML syntax error" not in problem.message
