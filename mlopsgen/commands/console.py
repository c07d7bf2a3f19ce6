"""The one way mlopsgen writes to the terminal.

In a pipeline step the Azure Pipelines agent reads every line of stdout and stderr and acts
on logging commands anywhere in it: `##vso[...]` (set a variable, prepend to PATH, upload an
artifact) and `##[...]` (formatting). mlopsgen prints text from sources it does not control
(spec values, job tags any workspace user can set, task errors, run state messages, notebook
output), so everything goes through `out`/`err`, which neutralise those sequences
(`report.neutralise`). The only logging command mlopsgen means to send is built by
`report.output_variable` and written with `logging_command`.

It is also the last line of defence for credentials: the values of the secret environment
variables the pipeline maps (in any escaped or trimmed form) and passwords inside URLs are
replaced by `***` before anything is written. Azure DevOps masks a secret only as it was
stored; an escaped copy such as `dapi...\\n` in an error message would slip past it.
"""

from __future__ import annotations

import os
import re
import sys

# The secrets a pipeline step may hold (PAT, OAuth/Azure client secrets, the job token).
SECRET_VARIABLES = (
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_PASSWORD",
    "ARM_CLIENT_SECRET",
    "AZURE_CLIENT_SECRET",
    "SYSTEM_ACCESSTOKEN",
)
_MIN_SECRET = 6  # shorter values would blank out ordinary words
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def redact(text: str) -> str:
    """`text` without any secret from the environment and without URL credentials."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name, "")
        forms = {value, value.strip(), value.encode("unicode_escape").decode("ascii")}
        forms |= {repr(value)[1:-1], repr(value.encode("utf-8", "replace"))[2:-1]}
        for form in sorted((f for f in forms if len(f.strip()) >= _MIN_SECRET), key=len)[::-1]:
            text = text.replace(form, "***")
    return _URL_USERINFO.sub(r"\1***@", text)


def _safe(text: str) -> str:
    from mlopsgen.report import neutralise

    return neutralise(redact(text))


def out(text: str, *, flush: bool = False) -> None:
    sys.stdout.write(_safe(text))
    if flush:
        sys.stdout.flush()  # the pipeline log shows progress while a run is still going


def err(text: str) -> None:
    sys.stderr.write(_safe(text))


def line(text: str) -> None:
    """One progress line on stdout, flushed at once."""
    out(f"{text}\n", flush=True)


def logging_command(text: str) -> None:
    """A logging command mlopsgen itself built (report.output_variable): sent as is."""
    sys.stdout.write(text)
    sys.stdout.flush()
