"""One located problem in a spec, as compilers and editors print it: FILE:LINE:COL."""

from __future__ import annotations

from typing import NamedTuple


class Location(NamedTuple):
    """A 1-based line and column in a file, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def severity_of(code: str) -> str:
    """W-codes are warnings (reported, never blocking: exit 0, the spec is built); E-codes
    are errors. The code is the one home of the severity, so the two cannot disagree."""
    return "warning" if code.startswith("W") else "error"


class Diagnostic(NamedTuple):
    """One problem in a spec: where, a stable code, a readable path and what to do."""

    location: Location
    code: str
    path: str
    message: str
    severity: str = "error"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def format(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.location}: {self.severity}[{self.code}]: {where}{self.message}"

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "severity": self.severity,
            "code": self.code,
            "path": self.path,
            "message": self.message,
        }
