"""Text and JSON output of diagnostics."""

from __future__ import annotations

import json
from collections.abc import Sequence

from mlopsgen.spec.diagnostics import Diagnostic


def as_text(diagnostics: Sequence[Diagnostic]) -> str:
    """One line per diagnostic, as compilers print them (editors jump to file:line:col)."""
    return "".join(f"{d.format()}\n" for d in diagnostics)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON list for editors and CI annotations; stable key order."""
    return json.dumps([d.as_dict() for d in diagnostics], indent=2) + "\n"


def summary(diagnostics: Sequence[Diagnostic], spec_count: int) -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    invalid = len({d.location.file for d in diagnostics if d.severity == "error"})
    specs = _plural(spec_count, "spec")
    if errors == 0:
        return f"{specs} valid"
    return f"{_plural(errors, 'error')} in {invalid} of {specs}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
