"""What the registry tests share: candidate metrics, where each stage deploys from, and how
to read the registry and a gate's kept results.

The example spec (wine-quality) trains in the first stage's workspace: with Unity Catalog,
staging deploys from workspace A of the MLflow double (where training runs) and production
from B; the workspace registry exists in one workspace only, so every task runs in A.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fakes.mlflow_double import MlflowDouble

from mlopsgen.runtime.contract import TAG_PREFIX, stage_tag

GOOD = {"rmse": 0.27, "r2": 0.88}
MEDIUM = {"rmse": 0.48, "r2": 0.62}  # passes the thresholds, worse than GOOD
BAD = {"rmse": 0.77, "r2": 0.0}  # fails r2 >= 0.35 and rmse <= 0.75
REGISTRIES = ["unity-catalog", "workspace"]
# Where each stage of the example spec deploys from: training and staging share workspace A.
STAGE_WORKSPACES = {"unity-catalog": {"staging": "A", "production": "B"}, "workspace": {}}


def workspace_of(registry: str, stage: str) -> str:
    """The double's workspace a stage's tasks run in (the workspace registry: A only)."""
    return STAGE_WORKSPACES[registry].get(stage, "A")


def stage_env(
    env: dict[str, str], double: MlflowDouble, registry: str, stage: str
) -> dict[str, str]:
    return env | {"MLFLOW_TRACKING_URI": double.url(workspace_of(registry, stage))}


def crown(client: Any, name: str, registry: str, version: str) -> None:
    """Make a version the production champion directly (a precondition, not the test)."""
    if registry == "unity-catalog":
        client.set_registered_model_alias(name, "champion", version)
        client.set_registered_model_alias(name, "production", version)
    else:
        client.transition_model_version_stage(name, version, "Production")
        client.set_registered_model_tag(name, stage_tag("production"), version)


def placement(client: Any, name: str) -> dict[str, Any]:
    """Everything promotion may change: aliases, registry stages, registered model tags."""
    model = client.get_registered_model(name)
    versions = client.search_model_versions(f"name='{name}'")
    return {
        "aliases": dict(model.aliases),
        "stages": {v.version: v.current_stage for v in versions},
        "tags": {k: v for k, v in model.tags.items() if k.startswith(TAG_PREFIX)},
    }


def gate_results(double: MlflowDouble, workspace: str, run_id: str) -> dict[str, Any]:
    """The results a gate kept in its run (read in the workspace the gate ran in)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=double.url(workspace))
    local = client.download_artifacts(run_id, "gate_results.json")
    return dict(json.loads(Path(local).read_text()))
