"""Every invalid case fails with exactly its expected, located diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from validate.casefiles import case_dirs, diagnostics_text

CASES = case_dirs()
LINE = re.compile(r"model\.yaml:\d+:\d+: error\[E\d{3}\]: .+")


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_case(case: Path) -> None:
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert expected, "a case must expect at least one diagnostic"
    assert all(LINE.fullmatch(line) for line in expected.splitlines())
    assert diagnostics_text(case) == expected
