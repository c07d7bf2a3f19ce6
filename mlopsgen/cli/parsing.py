"""The command table's machinery: a registry of commands and argparse parsers for them.

Only the parser of the command being run is built (the root parser lists the commands for
`--help`); a command's runner's docstring is its help.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mlopsgen import __version__
from mlopsgen.errors import ExitCode

if TYPE_CHECKING:
    from argparse import _MutuallyExclusiveGroup

PROG = "mlopsgen"
DESCRIPTION = (
    "Compile model.yaml into an Azure DevOps pipeline, Databricks jobs and deploy notebooks."
)

Options = Callable[[argparse.ArgumentParser], None]
Runner = Callable[[argparse.Namespace], ExitCode]
# name -> (what adds its options, what it runs); the runner's docstring is the help.
COMMANDS: dict[str, tuple[Options, Runner]] = {}
# The commands that only read files, compile and render (`mlopsgen/__main__.py` runs them
# without the garbage collector); every other one talks to services and may wait for hours.
FILE_ONLY: set[str] = set()


class _Formatter(argparse.HelpFormatter):
    """argparse's help with "Usage: " (as before) and the docstrings' paragraphs kept."""

    def __init__(self, prog: str) -> None:
        # Without a width argparse imports shutil (~2 ms) for the terminal's: the same lookup.
        super().__init__(prog, width=_terminal_columns() - 2)

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[_MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = text.split("\n\n")
        return "\n\n".join(super(_Formatter, self)._fill_text(p, width, indent) for p in paragraphs)


def _terminal_columns() -> int:
    """$COLUMNS, else the terminal's width, else 80 (as shutil.get_terminal_size)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):  # not a terminal, or a closed stream
            columns = 0
    return columns if columns > 0 else 80


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=_Formatter,
        allow_abbrev=False,
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="help", help="Show this message and exit.")
    parser._positionals.title = "Arguments"
    parser._optionals.title = "Options"
    return parser


def command(name: str, options: Options, *, file_only: bool = False) -> Callable[[Runner], Runner]:
    """Register a command: its options and its runner (whose docstring is the help).
    `file_only`: it reads files, compiles and renders, and nothing else (FILE_ONLY)."""

    def register(runner: Runner) -> Runner:
        COMMANDS[name] = (options, runner)
        if file_only:
            FILE_ONLY.add(name)
        return runner

    return register


def _help(runner: Runner) -> str:
    return " ".join((runner.__doc__ or "").split("\n\n")[0].split())


def command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one command (`mlopsgen NAME ...`)."""
    options, runner = COMMANDS[name]
    parser = _parser(f"{PROG} {name}", runner.__doc__ or "")
    options(parser)
    return parser


def root_parser() -> argparse.ArgumentParser:
    """`mlopsgen [-h] [--version] COMMAND`: the commands listed with their first sentence."""
    parser = _parser(PROG, DESCRIPTION)
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__}", help="Show the version."
    )
    sub = parser.add_subparsers(title="Commands", metavar="COMMAND", dest="command")
    for name, (_, runner) in COMMANDS.items():
        first_sentence = _help(runner).split(". ")[0].removesuffix(".")
        sub.add_parser(name, help=f"{first_sentence}.", add_help=False)
    return parser
