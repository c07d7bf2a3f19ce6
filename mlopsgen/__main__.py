"""The `mlopsgen` command and `python -m mlopsgen`.

`--version` is answered before the command line (argparse and its parsers) is imported:
pre-commit hooks and CI scripts ask for it on every run (issue 15).
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from mlopsgen import __version__

        sys.stdout.write(f"mlopsgen {__version__}\n")
        return
    from mlopsgen.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
