"""A task's parameters: widgets on Databricks; outside it `--key value`, then the environment.

The job passes every key of `TASK_PARAMETERS[task]` (the renderer's tests assert it), so the
tasks supply no defaults of their own: the spec's defaults live in the spec, and the values a
thin notebook uses outside Databricks are written into that notebook.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .contract import DEPLOY_MODE, DEPLOY_MODES, PARAMETER_HELP, TASK_PARAMETERS, TASK_TITLES
from .errors import TaskFailed

# Outside Databricks each `--<key>` option falls back to the variable MLOPSGEN_<KEY>.
ENV_PREFIX = "MLOPSGEN_"


def read_params(
    task: str,
    defaults: Mapping[str, str],
    *,
    dbutils: Any | None = None,
    argv: Sequence[str] | None = None,
) -> dict[str, str]:
    """The task's parameters: widgets on Databricks, else `--key value`, env, defaults."""
    keys = TASK_PARAMETERS[task]
    extra = sorted(set(defaults) - set(keys))
    if extra:
        raise ValueError(f"{task}: unknown parameters {extra}; known: {list(keys)}")
    if dbutils is not None:
        return _from_widgets(keys, defaults, dbutils)
    return _from_command_line(task, keys, defaults, sys.argv[1:] if argv is None else argv)


def _from_widgets(keys: Sequence[str], defaults: Mapping[str, str], dbutils: Any) -> dict[str, str]:
    # A widget must exist before it can be read; the job's base_parameters set its value.
    for key in keys:
        dbutils.widgets.text(key, defaults.get(key, ""), key)
    return {key: str(dbutils.widgets.get(key)) for key in keys}


def _from_command_line(
    task: str, keys: Sequence[str], defaults: Mapping[str, str], argv: Sequence[str]
) -> dict[str, str]:
    parser = argparse.ArgumentParser(
        prog=f"{task}.py",
        allow_abbrev=False,  # a misspelt option is an error, never a guess
        description=f"{TASK_TITLES[task]}.",
        epilog=f"Each option falls back to the environment variable {ENV_PREFIX}<OPTION>.",
    )
    for key in keys:
        default = os.environ.get(f"{ENV_PREFIX}{key.upper()}", defaults.get(key, ""))
        parser.add_argument(f"--{key}", default=default, metavar="VALUE", help=PARAMETER_HELP[key])
    namespace = parser.parse_args(list(argv))
    return {key: str(getattr(namespace, key)) for key in keys}


def required(params: Mapping[str, str], *keys: str) -> None:
    """Fail unless every key has a non-blank value."""
    missing = [key for key in keys if not params.get(key, "").strip()]
    if missing:
        raise TaskFailed(f"missing parameter(s): {', '.join('--' + k for k in missing)}")


def flag(params: Mapping[str, str], key: str) -> bool:
    """A required true/false parameter; anything unclear is an error (a typo such as 'ture'
    must not quietly mean false)."""
    required(params, key)
    return parse_bool(params[key], f"--{key}")


def deploy_mode(params: Mapping[str, str]) -> str:
    """`--deploy_mode`: 'deploy' or 'rollback', nothing else (the job always passes it; a
    misspelt 'rolback' must not quietly run the champion comparison, nor skip it)."""
    required(params, DEPLOY_MODE)
    mode = params[DEPLOY_MODE].strip()
    if mode not in DEPLOY_MODES:
        raise TaskFailed(f"--deploy_mode must be 'deploy' or 'rollback', not {mode!r}")
    return mode


def parse_bool(value: object, what: str) -> bool:
    """A JSON bool, or its spelling as a string ("false" is false: bool("false") is not)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise TaskFailed(f"{what} must be true or false, not {value!r}")
