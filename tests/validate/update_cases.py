"""Rewrite every invalid case's expected.txt from the current output. Review the diff first."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from validate.casefiles import case_dirs, diagnostics_text

if __name__ == "__main__":
    for case in case_dirs():
        (case / "expected.txt").write_text(diagnostics_text(case), encoding="utf-8")
        print(f"wrote {case.name}/expected.txt")
