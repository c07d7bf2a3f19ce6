"""Command bodies behind the CLI: read inputs, call the pure core, print, return an exit code."""

from __future__ import annotations

from pathlib import Path

from mlopsgen.errors import ExitCode


def run_validate(specs: list[Path], output_format: str) -> ExitCode:
    raise NotImplementedError  # issue 2


def run_schema() -> ExitCode:
    raise NotImplementedError  # issue 2


def run_render(specs: list[Path], out: Path | None, force: bool) -> ExitCode:
    raise NotImplementedError  # issue 3


def run_check(specs: list[Path]) -> ExitCode:
    raise NotImplementedError  # issue 3
