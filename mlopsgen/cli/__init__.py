"""The command line: options in, one core call, exit code out. No rules live here.

Built on the standard library's argparse (issue 15): typer and click cost ~30 ms of every
start, more than the rest of `mlopsgen --help`. `table` holds the commands: each runner makes
one core call and imports its modules (jsonschema, jinja2, databricks-sdk, mlflow) only then.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence

from mlopsgen import __version__
from mlopsgen.cli import table  # noqa: F401  (importing the table registers every command)
from mlopsgen.cli.parsing import COMMANDS, FILE_ONLY, command_parser, root_parser
from mlopsgen.errors import ExitCode, MlopsgenError

__all__ = ["COMMANDS", "command_parser", "main", "run"]

ISSUES_URL = "https://github.com/mlopsgen/mlopsgen/issues"


def run(argv: Sequence[str]) -> int:
    """Parse `argv` (without the program name), run the command, return its exit code."""
    argv = list(argv)
    try:
        if argv and argv[0] in COMMANDS:
            if argv[0] not in FILE_ONLY:
                gc.enable()  # `__main__` paused the collector for the file commands only
            # Each command parses on its own, intermixed: `render a.yaml --out x b.yaml` works
            # as it did (argparse's subparsers cannot parse intermixed arguments).
            args = command_parser(argv[0]).parse_intermixed_args(argv[1:])
            return _guard(lambda: COMMANDS[argv[0]][1](args))
        parser = root_parser()
        if not argv:  # no command: the help, as a usage error (exit 2)
            parser.print_help(sys.stderr)
            return int(ExitCode.USAGE)
        parser.parse_args(argv)  # -h, --version, or an error (unknown command or option)
        return int(ExitCode.USAGE)  # not reached: a command name is handled above
    except SystemExit as exit:  # argparse: 0 after help, 2 after a usage error
        return exit.code if isinstance(exit.code, int) else int(ExitCode.USAGE)


def _guard(action: Callable[[], ExitCode]) -> int:
    """Map outcomes to exit codes in one place: user errors are one line, bugs say how to report."""
    try:
        code = action()
    except MlopsgenError as exc:
        from mlopsgen.commands import console  # the message may quote a workspace or a spec

        console.err(f"error: {exc}\n")
        code = exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = ExitCode.INVALID
    except Exception:
        from mlopsgen.commands import console

        if os.environ.get("MLOPSGEN_DEBUG"):
            import traceback  # only here: it costs ~5 ms to import

            traceback.print_exc()
        exc_type, exc_value, _ = sys.exc_info()
        name = exc_type.__name__ if exc_type else "Exception"
        console.err(
            f"internal error: {name}: {exc_value}\n"
            f"This is a bug in mlopsgen {__version__}. Please report it at {ISSUES_URL} "
            "with the spec and this message (set MLOPSGEN_DEBUG=1 to see the traceback).\n"
        )
        code = ExitCode.INTERNAL
    return int(code)


def main() -> None:
    # Under LANG=C (or a console that is not UTF-8) a spec path or a workspace message with
    # non-ASCII characters must not turn into an encoding crash (exit 3): escape what the
    # terminal cannot show. Generated files are always written as UTF-8 regardless.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    sys.exit(run(sys.argv[1:]))
