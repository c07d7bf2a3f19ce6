"""Run the real command line in-process and capture what it printed.

`invoke("validate", "model.yaml")` calls `mlopsgen.cli.run` with sys.stdout, sys.stderr and
sys.stdin replaced, as `python -m mlopsgen validate model.yaml` would run. Any exception that
escapes the command line (it maps every error to an exit code itself) propagates to the
test: a crash can never pass for an exit code.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.cli import run


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr interleaved, in the order they were written


class _Stream(io.StringIO):
    """One of stdout or stderr: keeps its own text and appends it to the shared output."""

    def __init__(self, combined: io.StringIO) -> None:
        super().__init__()
        self._combined = combined

    def write(self, text: str) -> int:
        self._combined.write(text)
        return super().write(text)


def invoke(*args: str | Path, input: str | None = None) -> Result:
    """Run `mlopsgen ARGS` with `input` on stdin (none: empty stdin)."""
    combined = io.StringIO()
    out, err = _Stream(combined), _Stream(combined)
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(input or "")
    try:
        code = run([str(a) for a in args])
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return Result(code, out.getvalue(), err.getvalue(), combined.getvalue())
