"""The code the generated deploy notebooks import on the cluster (shipped as `mlopsgen_runtime`).

Render copies every module of this package (after a comment header) into the rendered
`notebooks/mlopsgen_runtime/` folder, plain workspace files beside the thin notebooks; on
Databricks the notebook's folder is on `sys.path`, so they `import mlopsgen_runtime`. Hence:
imports inside the package are relative, nothing outside it is imported from mlopsgen, the
standard library is imported at module level, and `mlflow`, `databricks.sdk` and `pyspark`
only inside the functions that need them.

A thin notebook does exactly this (on Databricks `dbutils` exists, outside it does not):

    import mlopsgen_runtime
    params = mlopsgen_runtime.read_params("gate", {...defaults...}, dbutils=dbutils)
    mlopsgen_runtime.main("gate", params, dbutils=dbutils)

Modules: `contract` (names shared with the renderer), `params`, `errors`, `registry`, `tags`
(the Unity Catalog tag guard), `metrics` (the metrics snapshot), `candidate`, `gates` (pure),
`gate` and `gate_run`, `promote`, `serving` (with `endpoints` for Databricks Model Serving;
Azure ML is served from the pipeline agent, `mlopsgen.azureml`), `smoke`, `batch`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from . import contract
from .errors import TaskFailed
from .params import read_params

__all__ = ["TaskFailed", "main", "read_params"]


def main(task: str, params: Mapping[str, str], *, dbutils: Any | None = None) -> object:
    """Run a task. On Databricks failures raise (failing the job task); elsewhere exit 1."""
    try:
        return _run(task, dict(params), dbutils)
    except Exception as exc:
        if dbutils is not None or os.environ.get("MLOPSGEN_TRACEBACK"):
            raise
        # A notebook run as a script: one clear line, no traceback wall, non-zero exit.
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        kind = "" if isinstance(exc, TaskFailed) else f"{type(exc).__name__}: "
        print(f"mlopsgen {task}: error: {kind}{message}", file=sys.stderr)
        raise SystemExit(1) from None


def _run(task: str, params: dict[str, str], dbutils: Any | None) -> object:
    # Each task's module is imported when it runs: validation and rendering import
    # `contract` from this package and must not pay for urllib, subprocess and the like.
    if task == contract.CANDIDATE:
        from .candidate import run_candidate

        return run_candidate(params, dbutils)
    if task == contract.GATE:
        from .gate import run_gate

        return run_gate(params, dbutils)
    if task == contract.PROMOTE:
        from .promote import run_promote

        return run_promote(params, dbutils)
    if task == contract.DEPLOY_SERVING:
        from .serving import run_deploy_serving

        return run_deploy_serving(params, dbutils)
    if task == contract.SMOKE_TEST:
        from .smoke import run_smoke_test

        return run_smoke_test(params, dbutils)
    if task == contract.BATCH_SCORE:
        from .batch import run_batch_score

        return run_batch_score(params)
    raise KeyError(task)
