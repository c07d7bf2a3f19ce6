"""The model registry as the tasks see it: Unity Catalog aliases or workspace registry stages.

`mlflow` is imported inside the functions that use it: importing the runtime must stay cheap
(validation and rendering import its contract, a notebook's `--help` needs no MLflow).

Which registry: the spec's `registry`, always chosen explicitly (`select_registry_uri`). With
MLflow 3 a Databricks tracking URI defaults to the Unity Catalog registry (`databricks-uc`),
and the legacy workspace registry must be asked for with `databricks` ("If your workspace's
default catalog is in Unity Catalog ... or using MLflow 3, models are automatically created
in and loaded from the workspace default catalog ... To use the Workspace Model Registry in
this case, you must explicitly target it by running mlflow.set_registry_uri("databricks")":
Databricks, "Manage model lifecycle using the Workspace Model Registry (legacy)",
https://docs.databricks.com/aws/machine-learning/manage-model-lifecycle/workspace-model-registry).
A cluster's own default (a Spark conf, the workspace's default catalog) never decides.
"""

from __future__ import annotations

import os
import urllib.parse
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
from .errors import ExplainedClient, PlatformError, TaskFailed
from .params import required

UNITY_CATALOG = "unity-catalog"
WORKSPACE = "workspace"
REGISTRIES = (UNITY_CATALOG, WORKSPACE)


@dataclass(frozen=True)
class Registry:
    """One registered model and the registry that holds it."""

    client: Any  # an MlflowClient behind ExplainedClient: failures are one-line PlatformErrors
    name: str
    uses_aliases: bool


def is_databricks_uri(uri: str) -> bool:
    """`databricks` or `databricks://<profile>` (MLflow's own test, mlflow.utils.uri)."""
    return uri == "databricks" or urllib.parse.urlsplit(uri).scheme == "databricks"


def select_tracking_uri(environ: Mapping[str, str]) -> str:
    """`MLFLOW_TRACKING_URI`; unset on a Databricks cluster, `databricks` (this workspace).

    Elsewhere an unset URI is an error: MLflow would quietly use a local `mlflow.db`, and a
    gate read from an empty local store says nothing about the real registry.
    """
    uri = environ.get("MLFLOW_TRACKING_URI", "").strip()
    if uri:
        return uri
    if environ.get("DATABRICKS_RUNTIME_VERSION"):  # set on every Databricks cluster
        return "databricks"
    raise TaskFailed(
        "MLFLOW_TRACKING_URI is not set: set it to a tracking server (http://...) or to "
        "'databricks' (with DATABRICKS_HOST and credentials)"
    )


def select_registry_uri(kind: str, tracking_uri: str) -> str:
    """The registry URI for `--registry kind` next to `tracking_uri`.

    Databricks (`databricks[://profile]`): `databricks-uc[://profile]` for Unity Catalog,
    `databricks[://profile]` for the workspace registry, the same profile either way. Any
    other tracking URI (an http(s) server in tests and local runs) is its own registry.
    """
    if kind not in REGISTRIES:
        raise TaskFailed(f"--registry must be 'unity-catalog' or 'workspace', not {kind!r}")
    if not is_databricks_uri(tracking_uri):
        return tracking_uri
    profile = tracking_uri.removeprefix("databricks")  # '' or '://<profile>'
    return ("databricks-uc" if kind == UNITY_CATALOG else "databricks") + profile


def shown(uri: str) -> str:
    """A URI as printed: without any user name or password in it."""
    parts = urllib.parse.urlsplit(uri)
    if not parts.netloc or "@" not in parts.netloc:
        return uri
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def open_registry(params: Mapping[str, str]) -> Registry:
    """The registry named by `--registry`, holding the model `--model_name`."""
    required(params, MODEL_NAME, REGISTRY)
    kind = params[REGISTRY]
    tracking = select_tracking_uri(os.environ)
    registry = select_registry_uri(kind, tracking)
    import mlflow

    # Set globally too: model downloads (`models:/...`) and Spark UDFs read the global URIs.
    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(registry)
    print(f"MLflow: tracking {shown(tracking)}, registry {shown(registry)} ({kind})")
    client = mlflow.MlflowClient(tracking_uri=tracking, registry_uri=registry)
    return Registry(ExplainedClient(client), params[MODEL_NAME], kind == UNITY_CATALOG)


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
    try:
        return reg.client.get_model_version(reg.name, version)
    except PlatformError as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise TaskFailed(f"model {reg.name} has no version {version!r} in this registry") from None
