"""How a task fails: with a message the user can act on, never a traceback wall."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class TaskFailed(RuntimeError):
    """A task failed for a reason the user can act on (a gate, a missing version, ...)."""


class PlatformError(TaskFailed):
    """A service refused a call (MLflow, Unity Catalog): one line, what to check, and the
    service's error code, which callers may test (`RESOURCE_DOES_NOT_EXIST`, ...)."""

    def __init__(self, message: str, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


def clip(text: str, limit: int = 2000) -> str:
    """`text`, cut to `limit` characters: an endpoint's whole answer would drown the log."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


# What to check, by the `error_code` of a failed call: Databricks' REST APIs answer every error
# with a body {"error_code", "message"}, and the code is the stable part to branch on
# (https://docs.databricks.com/api/account/errors, "The error object").
HINTS = {
    "PERMISSION_DENIED": (
        "check the privileges of the identity the job runs as (Unity Catalog: USE CATALOG and "
        "USE SCHEMA, EXECUTE on the model, APPLY TAG, and ownership to set aliases; workspace "
        "registry: CAN MANAGE on the model; experiments: CAN EDIT on the experiment folder)"
    ),
    "UNAUTHENTICATED": "check the workspace credentials of the job or of this shell",
    "RESOURCE_DOES_NOT_EXIST": (
        "check the name, and that it lives where this task runs: runs, their metrics and "
        "experiments exist only in the workspace that created them"
    ),
    "INVALID_PARAMETER_VALUE": "the service rejected a value mlopsgen sent",
    "RESOURCE_ALREADY_EXISTS": "another run created it at the same time: run the task again",
}


def first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return clip(lines[0], 500) if lines else ""


def explain(what: str, exc: Exception) -> PlatformError:
    """An MLflow error as one line: what failed, the service's code and message, what to do."""
    code = str(getattr(exc, "error_code", "") or "ERROR")
    # MLflow's RestException message starts with the code already: say it once
    message = first_line(getattr(exc, "message", None) or str(exc)).removeprefix(f"{code}: ")
    hint = HINTS.get(code, "")
    return PlatformError(f"{what} failed: {code}: {message}" + (f"; {hint}" if hint else ""), code)


class ExplainedClient:
    """An `MlflowClient` whose every failing call raises `PlatformError` (one line) instead
    of `MlflowException` with its traceback. `raw` is the client itself."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.raw, name)
        if not callable(attribute):
            return attribute
        return _explained(name, attribute)


def _explained(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    from mlflow.exceptions import MlflowException

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except MlflowException as exc:
            given = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
            raise explain(f"MLflow {name}({clip(', '.join(given), 200)})", exc) from None

    return wrapper
