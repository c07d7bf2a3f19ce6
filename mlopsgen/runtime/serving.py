"""Serving, blue/green: the deploy_serving task serves the candidate (or the stage's version)
beside what serves now, without traffic; after its smoke test, promote calls `go_live`, which
moves all of the traffic to it, before any alias moves. Databricks Model Serving (with
`endpoints`). Azure ML is served from the pipeline agent (`mlopsgen.azureml`), never from a
cluster: a cluster has no Azure CLI and no Azure login (issue 10).

When serving or the smoke test fails, the job stops before promote: the version that served
keeps all of its traffic, and no alias moves.
`databricks.sdk` is imported inside the functions that call it (see registry.py's note).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from . import endpoints, registry
from .candidate import candidate_version
from .contract import (
    ENDPOINT,
    ENDPOINT_TAGS,
    MODEL_NAME,
    SCALE_TO_ZERO,
    STAGE,
    TARGET,
    WORKLOAD_SIZE,
)
from .endpoints import Config, Deadline
from .errors import TaskFailed
from .params import flag, required
from .registry import Registry

DATABRICKS = "databricks-serving"
AZUREML = "azureml"
BATCH = "batch"
_AGENT_ONLY = f" ('{AZUREML}' is served from the pipeline agent: mlopsgen azureml-deploy)"


def run_deploy_serving(params: dict[str, str], dbutils: Any | None) -> str:
    target = params.get(TARGET, "")
    required(params, MODEL_NAME, ENDPOINT)
    reg = registry.open_registry(params)
    version = serving_version(reg, params, dbutils)
    if target == DATABRICKS:
        return deploy_databricks_serving(reg.name, version, params)
    raise TaskFailed(f"--target must be '{DATABRICKS}', not {target!r}{_AGENT_ONLY}")


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


def go_live(model_name: str, version: str, params: Mapping[str, str]) -> list[str]:
    """Send all of the stage endpoint's traffic to `version`, which deploy_serving served and
    smoke_test tested, and stop serving the others; waits until done. Promote calls it before
    it moves any alias. Idempotent; the changes made, for promote to print ([] if none)."""
    target = params.get(TARGET, "")
    if target == DATABRICKS:
        return _go_live_databricks(model_name, version, params, Deadline.for_task())
    if target == BATCH:
        return []  # batch scoring reads the stage's alias: moving it is going live
    raise TaskFailed(f"--target must be '{DATABRICKS}' or '{BATCH}', not {target!r}{_AGENT_ONLY}")


def deploy_databricks_serving(
    model_name: str, version: str, params: Mapping[str, str], deadline: Deadline | None = None
) -> str:
    """Serve the version beside what serves now, with no traffic, and wait until it is ready.

    A new endpoint serves only this version, with all of the traffic: nothing served before,
    so there is nothing to protect, and the routes must share out 100%. Its clients start
    with it; no alias moves until the smoke test has passed and promote has run.
    """
    required(params, ENDPOINT, WORKLOAD_SIZE)
    candidate = {
        "name": served_entity_name(model_name, version),
        "entity_name": model_name,
        "entity_version": version,
        "workload_size": params[WORKLOAD_SIZE],
        "scale_to_zero_enabled": flag(params, SCALE_TO_ZERO),
    }
    from databricks.sdk import WorkspaceClient

    w, name, entity = WorkspaceClient(), params[ENDPOINT], str(candidate["name"])
    deadline = deadline or Deadline.for_task()
    tags = endpoint_tags(params)
    existing = endpoints.read(w, name)
    if existing is None:
        print(f"creating serving endpoint {name!r}: {entity} (version {version}), all traffic")
        config = endpoints.with_candidate(None, candidate)
        endpoint = endpoints.create(w, name, config, deadline, tags)
    else:
        added = endpoints.tag(w, name, existing, tags)
        if added:
            print(f"serving endpoint {name!r}: tagged {', '.join(added)}")
        endpoint, _ = endpoints.change(w, name, _beside_live(name, candidate), deadline)
    endpoints.require_ready(name, endpoint, entity)
    share = (endpoints.active_config(endpoint) or Config(())).routes.get(entity, 0)
    print(f"serving endpoint {name!r}: {entity} (version {version}) is ready, {share}% of traffic")
    return name


def endpoint_tags(params: Mapping[str, str]) -> dict[str, str]:
    """The endpoint's tags (`--endpoint_tags`, a JSON object of strings; empty: none)."""
    raw = params.get(ENDPOINT_TAGS, "") or "{}"
    try:
        tags = json.loads(raw)
    except ValueError as exc:
        raise TaskFailed(f"--{ENDPOINT_TAGS} is not JSON: {exc}") from None
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise TaskFailed(f"--{ENDPOINT_TAGS} must be a JSON object of strings")
    return tags


def _beside_live(name: str, candidate: Mapping[str, Any]) -> Callable[[Any], Config | None]:
    """The plan that adds the candidate to an endpoint (`endpoints.change`), saying what."""
    entity = candidate["name"]

    def plan(endpoint: Any) -> Config | None:
        active = endpoints.active_config(endpoint)
        desired = endpoints.with_candidate(active, candidate)
        if endpoints.same(active, desired):
            print(f"serving endpoint {name!r} serves {entity} already: no change")
            return None
        if active is None or not active.live():
            print(f"updating serving endpoint {name!r}: nothing serves; {entity} gets it all")
        else:
            live = ", ".join(f"{n} {p}%" for n, p in active.live().items())
            print(f"updating serving endpoint {name!r}: adding {entity}; traffic stays {live}")
        return desired

    return plan


def _go_live_databricks(
    model_name: str, version: str, params: Mapping[str, str], deadline: Deadline
) -> list[str]:
    required(params, ENDPOINT)
    from databricks.sdk import WorkspaceClient

    w, name, entity = WorkspaceClient(), params[ENDPOINT], served_entity_name(model_name, version)
    if endpoints.read(w, name) is None:
        raise TaskFailed(f"serving endpoint {name!r} does not exist: deploy_serving creates it")

    def plan(endpoint: Any) -> Config | None:
        active = endpoints.active_config(endpoint)
        if active is None or entity not in active.names():
            raise TaskFailed(
                f"serving endpoint {name!r} does not serve {entity} (version {version}): "
                "deploy_serving and smoke_test must run for this version first"
            )
        endpoints.require_ready(name, endpoint, entity)
        desired = endpoints.only(active, entity)
        return None if endpoints.same(active, desired) else desired

    _, replaced = endpoints.change(w, name, plan, deadline)
    if replaced is None:
        return []
    dropped = [n for n in replaced.names() if n != entity]
    change = f"serving endpoint {name!r}: all traffic -> {entity}"
    return [change + (f"; stopped serving {', '.join(dropped)}" if dropped else "")]
