"""The model registry as the tasks see it: Unity Catalog aliases or workspace registry stages.

`mlflow` is imported inside the functions that use it: importing the runtime must stay cheap
(validation and rendering import its contract, a notebook's `--help` needs no MLflow).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import (
    CHAMPION_ALIAS,
    MODEL_NAME,
    PREVIOUS_ALIAS,
    PREVIOUS_PRODUCTION_TAG,
    REGISTRY,
    stage_tag,
)
from .errors import TaskFailed
from .params import required

REGISTRIES = ("unity-catalog", "workspace")


@dataclass(frozen=True)
class Registry:
    """One registered model and the registry that holds it."""

    client: Any  # mlflow.MlflowClient
    name: str
    uses_aliases: bool


def open_registry(params: Mapping[str, str]) -> Registry:
    """The registry named by `--registry`, holding the model `--model_name`."""
    required(params, MODEL_NAME, REGISTRY)
    kind = params[REGISTRY]
    if kind not in REGISTRIES:
        raise TaskFailed(f"--registry must be 'unity-catalog' or 'workspace', not {kind!r}")
    import mlflow

    on_databricks = mlflow.get_tracking_uri().startswith("databricks")
    if kind == "unity-catalog" and on_databricks and not os.environ.get("MLFLOW_REGISTRY_URI"):
        mlflow.set_registry_uri("databricks-uc")
    return Registry(mlflow.MlflowClient(), params[MODEL_NAME], kind == "unity-catalog")


def stage_alias(stage: str) -> str:
    """The Unity Catalog alias for a deploy stage (aliases take letters, digits and '_')."""
    return stage.strip().lower().replace("-", "_")


def registry_stage(final_stage: bool) -> str:
    """The workspace registry stage for a deploy stage: the last one is Production."""
    return "Production" if final_stage else "Staging"


def alias_version(reg: Registry, alias: str) -> str | None:
    """The version holding an alias, None if no version does.

    Read from the registered model's alias map (Unity Catalog and the MLflow server both
    return it) instead of guessing from the error text of `get_model_version_by_alias`: a
    lookup that fails for any other reason (a missing model, an outage) must fail the task,
    not read as "no champion yet", which would let a comparison gate pass.
    """
    version = (reg.client.get_registered_model(reg.name).aliases or {}).get(alias)
    return None if version is None else str(version)


def versions(reg: Registry) -> list[Any]:
    return list(reg.client.search_model_versions(f"name='{reg.name}'"))


def stage_version(reg: Registry, stage: str) -> str | None:
    """The newest version in a workspace registry stage (Staging / Production)."""
    held = [int(v.version) for v in versions(reg) if v.current_stage == stage]
    return str(max(held)) if held else None


def champion(reg: Registry) -> str | None:
    if reg.uses_aliases:
        return alias_version(reg, CHAMPION_ALIAS)
    return stage_version(reg, "Production")


def previous_champion(reg: Registry) -> str | None:
    """The champion before the current one, as promote recorded it for a rollback."""
    if reg.uses_aliases:
        return alias_version(reg, PREVIOUS_ALIAS)
    value = (reg.client.get_registered_model(reg.name).tags or {}).get(PREVIOUS_PRODUCTION_TAG)
    return str(value) if value else None


def stage_holder(reg: Registry, stage: str) -> str | None:
    """The version a deploy stage points at: its alias, or the tag promote sets."""
    if reg.uses_aliases:
        return alias_version(reg, stage_alias(stage))
    value = (reg.client.get_registered_model(reg.name).tags or {}).get(stage_tag(stage))
    return str(value) if value else None


def existing_version(reg: Registry, version: str) -> Any:
    """The model version, which must exist (a typo in a version number fails here)."""
    from mlflow.exceptions import MlflowException

    try:
        return reg.client.get_model_version(reg.name, version)
    except MlflowException as exc:
        raise TaskFailed(f"model {reg.name} has no version {version!r}: {exc.message}") from None
