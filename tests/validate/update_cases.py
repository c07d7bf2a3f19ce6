"""Rewrite every invalid case's expected.txt from the current output. Review the diff first.

Run `python tests/validate/update_cases.py`, or `make regen` to regenerate every expected file.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validate.casefiles import case_dirs, diagnostics_text


def main() -> None:
    cases = case_dirs()
    for case in cases:
        expected = case / "expected.txt"
        text = diagnostics_text(case)
        if not expected.is_file() or expected.read_text(encoding="utf-8") != text:
            expected.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {case.name}/expected.txt")
    print(f"{len(cases)} invalid cases")


if __name__ == "__main__":
    main()
