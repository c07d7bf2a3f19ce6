"""The one table of exit codes, and the errors a user can act on."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Every command's exit status; documented in the README."""

    OK = 0
    INVALID = 1  # invalid spec, stale generated files, failed run, refused overwrite
    USAGE = 2  # bad command line, missing file given on the command line
    CHANGES = 2  # `plan` only: deploy would change something (terraform's detailed exit code)
    INTERNAL = 3  # a bug in mlopsgen: never caused by user input


class MlopsgenError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.INVALID


class UsageError(MlopsgenError):
    exit_code = ExitCode.USAGE
