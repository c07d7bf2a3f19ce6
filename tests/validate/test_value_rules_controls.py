"""E321's shortcut (issue 15): a printable ASCII value skips the control-character patterns,
which compile only for other values; it must find exactly what the patterns find."""

from __future__ import annotations

from mlopsgen.spec import value_rules


def _codes(value: str, *, multi_line: bool) -> list[str]:
    key = "instructions" if multi_line else "approvers"
    approval = {key: value if multi_line else [value]}
    data = {"stages": [{"name": "staging", "approval": approval}]}
    return [f.code for f in value_rules.pipeline_strings(data)]


def test_printable_ascii_holds_nothing_either_pattern_finds() -> None:
    for code in range(0x20, 0x7F):
        for multi_line in (False, True):
            assert value_rules._control(multi_line).search(chr(code)) is None, code


def test_every_character_the_patterns_find_is_still_reported() -> None:
    for code in [*range(0x100), 0x2028, 0x2029, 0xFEFF, 0x1F600]:
        value = f"a{chr(code)}b"
        for multi_line in (False, True):
            found = value_rules._control(multi_line).search(value) is not None
            assert (_codes(value, multi_line=multi_line) == ["E321"]) == found, (code, multi_line)


def test_line_breaks_are_allowed_in_multi_line_text_only() -> None:
    assert _codes("check\nthen approve", multi_line=True) == []
    assert _codes("a\nb", multi_line=False) == ["E321"]
    assert _codes("plain words", multi_line=False) == []
