"""Which MLflow each example training notebook runs on, and where the tests find that MLflow.

Databricks Runtime ML bundles one MLflow per version (Microsoft Learn, "Databricks Runtime
release notes versions and compatibility": MLflow-Databricks Runtime compatibility matrix).
Libraries a task installs replace it, so a `mlflow==X` in `training.libraries` wins; serverless
environments bring their own packages, so a serverless example must pin it.

`.ci/run` creates one virtualenv per MLflow version the examples need,
`.venv-dbr/mlflow-<version>`, from `requirements-mlflow-<version>.txt` beside this file.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement

from mlopsgen.model import Spec

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENVS = REPO / ".venv-dbr"
# Databricks Runtime ML version -> its MLflow (the compatibility matrix).
RUNTIME_MLFLOW = {"14.3": "2.9.2", "15.4": "2.13.1", "16.4": "2.21.3", "17.3": "3.0.1"}
_RUNTIME = re.compile(r"(\d+\.\d+)\.x-(?:cpu|gpu)-ml-")


def pinned(spec: Spec, package: str) -> str | None:
    """The version `training.libraries` pins `package` to with `==`, if it does."""
    for line in spec.training.libraries:
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        if requirement.name.lower() == package and [s.operator for s in specifiers] == ["=="]:
            return specifiers[0].version
    return None


def notebook_mlflow(spec: Spec) -> str:
    """The MLflow the spec's training notebook runs with on Databricks."""
    version = pinned(spec, "mlflow")
    if version is not None:
        return version
    cluster = spec.training.compute.new_cluster
    match = _RUNTIME.match(cluster.spark_version) if cluster is not None else None
    if match is None or match.group(1) not in RUNTIME_MLFLOW:
        raise AssertionError(
            f"{spec.name}: no known MLflow for its compute; use an ML runtime of "
            f"{sorted(RUNTIME_MLFLOW)} or pin mlflow in training.libraries"
        )
    return RUNTIME_MLFLOW[match.group(1)]


def requirements_file(mlflow_version: str) -> Path:
    return HERE / f"requirements-mlflow-{mlflow_version}.txt"


def venv_python(mlflow_version: str) -> Path:
    return VENVS / f"mlflow-{mlflow_version}" / "bin" / "python"
