"""The deploy_serving task: serve the candidate (or the stage's version) on the stage's
endpoint, on Databricks Model Serving here or on Azure ML (`azureml`).

`databricks.sdk` is imported inside the functions that call it (see registry.py's note).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import azureml, registry
from .candidate import candidate_version
from .contract import ENDPOINT, MODEL_NAME, SCALE_TO_ZERO, STAGE, TARGET, WORKLOAD_SIZE
from .errors import TaskFailed
from .params import flag, required
from .registry import Registry


def run_deploy_serving(params: dict[str, str], dbutils: Any | None) -> str:
    target = params.get(TARGET, "")
    required(params, MODEL_NAME, ENDPOINT)
    reg = registry.open_registry(params)
    version = serving_version(reg, params, dbutils)
    if target == "databricks-serving":
        return deploy_databricks_serving(reg.name, version, params)
    if target == "azureml":
        return azureml.deploy_azureml(reg.name, version, params)
    raise TaskFailed(f"--target must be 'databricks-serving' or 'azureml', not {target!r}")


def serving_version(reg: Registry, params: Mapping[str, str], dbutils: Any | None) -> str:
    """The candidate if known, else the version the stage points at (just promoted)."""
    try:
        version = candidate_version(params, dbutils)
    except TaskFailed:
        required(params, STAGE)
        # exactly this stage's version (alias, or the tag promote sets): in the workspace
        # registry, "Production or else Staging" would serve production's in staging
        found = registry.stage_holder(reg, params[STAGE])
        if found is None:
            raise
        version = found
        print(
            f"model_version not given; serving version {version}, held by stage {params[STAGE]!r}"
        )
    registry.existing_version(reg, version)
    return version


def served_entity_name(model_name: str, version: str) -> str:
    """Served entity names allow letters, digits, '-' and '_' (no dots from UC names)."""
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in model_name.split(".")[-1])
    return f"{base[:50]}-{version}"


def deploy_databricks_serving(model_name: str, version: str, params: Mapping[str, str]) -> str:
    required(params, ENDPOINT, WORKLOAD_SIZE)
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.serving import (
        EndpointStateReady,
        Route,
        ServedEntityInput,
        TrafficConfig,
    )

    name = params[ENDPOINT]
    entity = ServedEntityInput(
        name=served_entity_name(model_name, version),
        entity_name=model_name,
        entity_version=version,
        workload_size=params[WORKLOAD_SIZE],
        scale_to_zero_enabled=flag(params, SCALE_TO_ZERO),
    )
    traffic = TrafficConfig(routes=[Route(served_model_name=entity.name, traffic_percentage=100)])
    what = f"{model_name} version {version}"
    endpoint = _create_or_update(WorkspaceClient(), name, entity, traffic, what)
    ready = endpoint.state.ready if endpoint.state else None
    if ready != EndpointStateReady.READY:
        raise TaskFailed(f"serving endpoint {name!r} is not ready after the update: {ready}")
    print(f"serving endpoint {name!r} is ready and serves version {version}")
    return name


def _create_or_update(w: Any, name: str, entity: Any, traffic: Any, what: str) -> Any:
    """The endpoint after pointing it at `entity`, waiting until the service is done."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.serving import EndpointCoreConfigInput

    try:
        w.serving_endpoints.get(name)
        exists = True
    except NotFound:
        exists = False
    if exists:
        print(f"updating serving endpoint {name!r} to {what}")
        waiter = w.serving_endpoints.update_config(
            name, served_entities=[entity], traffic_config=traffic
        )
    else:
        print(f"creating serving endpoint {name!r} for {what}")
        config = EndpointCoreConfigInput(
            name=name, served_entities=[entity], traffic_config=traffic
        )
        waiter = w.serving_endpoints.create(name, config=config)
    return waiter.result()
