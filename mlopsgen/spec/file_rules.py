"""Rules about the files a spec names: `training.notebook` and `serving.smoke_test` lie inside
the spec folder and exist, the notebook is not one mlopsgen generates, and the smoke-test
request is one the serving target accepts.

Files come in through a reader (`ReadFile`), so these rules stay pure: the CLI reads the spec
folder, tests hand in what they like.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any

from mlopsgen import layout
from mlopsgen.spec import scoring_request
from mlopsgen.spec.findings import DataPath, Finding
from mlopsgen.spec.shape import as_map, text


class OutsideFolder(Exception):
    """Raised by a reader when a path inside the spec folder resolves outside it (a symbolic
    link): the file rules turn it into E302, as for `../x` (issue 11)."""


# A path relative to the spec folder -> the file's bytes, or None when there is no such file.
ReadFile = Callable[[str], bytes | None]
FileExists = Callable[[str], bool]

NOTEBOOK = ("training", "notebook")
SMOKE_TEST = ("serving", "smoke_test")


class _GeneratedNotebooks:
    """Files mlopsgen writes into notebooks/, tested with `in`: the user's notebook must not
    be one of them, nor sit inside the runtime's package folder, nor take that folder's
    workspace path (an uploaded notebook loses its `.py`)."""

    tasks = layout.TASK_NOTEBOOKS

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        runtime = layout.is_runtime_file(path) or path.removesuffix(".py") == layout.RUNTIME_DIR
        return path in self.tasks or runtime


GENERATED_NOTEBOOKS = _GeneratedNotebooks()


def file_rules(
    data: dict[str, Any], exists: FileExists, read_file: ReadFile | None
) -> Iterator[Finding]:
    """Both files: inside the spec folder and present; the smoke-test request readable by its
    target (when `read_file` is given: `exists` alone cannot tell what a file holds)."""
    for path in (NOTEBOOK, SMOKE_TEST):
        value = text(as_map(data.get(path[0])).get(path[1]))
        if not value:
            continue
        problems = list(_file_finding(path, value, exists))
        yield from problems
        if path == SMOKE_TEST and not problems and read_file is not None:
            yield from _smoke_test_request(data, posixpath.normpath(value), read_file)


def _file_finding(path: DataPath, value: str, exists: FileExists) -> Iterator[Finding]:
    if "\\" in value:
        yield Finding(path, "E302", f"'{value}': use '/' to separate folders")
        return
    normal = posixpath.normpath(value)
    if value.startswith("/") or re.match(r"[A-Za-z]:", value) or normal.split("/")[0] == "..":
        msg = f"'{value}' must be a path inside the folder of model.yaml, relative to it"
        yield Finding(path, "E302", msg)
        return
    if path == NOTEBOOK and normal in GENERATED_NOTEBOOKS:
        msg = f"'{value}' is a file mlopsgen generates; keep your notebook under another name"
        yield Finding(path, "E304", msg)
    else:
        yield from _missing(path, value, normal, exists)


def _missing(path: DataPath, value: str, normal: str, exists: FileExists) -> Iterator[Finding]:
    try:
        found = exists(normal)
    except OutsideFolder:
        msg = f"'{value}' is a symbolic link to a file outside the folder of model.yaml"
        yield Finding(path, "E302", msg)
        return
    if not found:
        yield Finding(path, "E303", f"file not found: '{value}' (relative to model.yaml's folder)")


def _smoke_test_request(data: dict[str, Any], path: str, read_file: ReadFile) -> Iterator[Finding]:
    body = read_file(path)
    target = as_map(data.get("serving")).get("target")
    if body is None or not isinstance(target, str) or target not in scoring_request.SHAPES:
        return  # a missing file is E303's; a target without an endpoint is E313's
    problem = scoring_request.problem(target, body)
    if problem is not None:
        code, message = problem
        yield Finding(SMOKE_TEST, code, f"'{path}': {message}")
