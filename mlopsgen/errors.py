"""Diagnostics, their locations, and the one table of exit codes."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Every command's exit status; documented in the README."""

    OK = 0
    INVALID = 1  # invalid spec, stale generated files, failed run, refused overwrite
    USAGE = 2  # bad command line, missing file given on the command line
    INTERNAL = 3  # a bug in mlopsgen: never caused by user input


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based line and column in a file, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
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


class MlopsgenError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.INVALID


class UsageError(MlopsgenError):
    exit_code = ExitCode.USAGE
