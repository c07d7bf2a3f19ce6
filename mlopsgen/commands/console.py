"""The one way mlopsgen writes to the terminal.

In a pipeline step the Azure Pipelines agent reads every line of stdout and stderr and acts
on logging commands anywhere in it: `##vso[...]` (set a variable, prepend to PATH, upload an
artifact) and `##[...]` (formatting). mlopsgen prints text from sources it does not control
(spec values, job tags any workspace user can set, task errors, run state messages, notebook
output), so everything goes through `out`/`err`, which neutralise those sequences
(`report.neutralise`). The only logging command mlopsgen means to send is built by
`report.output_variable` and written with `logging_command`.
"""

from __future__ import annotations

import sys


def out(text: str, *, flush: bool = False) -> None:
    from mlopsgen.report import neutralise

    sys.stdout.write(neutralise(text))
    if flush:
        sys.stdout.flush()  # the pipeline log shows progress while a run is still going


def err(text: str) -> None:
    from mlopsgen.report import neutralise

    sys.stderr.write(neutralise(text))


def line(text: str) -> None:
    """One progress line on stdout, flushed at once."""
    out(f"{text}\n", flush=True)


def logging_command(text: str) -> None:
    """A logging command mlopsgen itself built (report.output_variable): sent as is."""
    sys.stdout.write(text)
    sys.stdout.flush()
