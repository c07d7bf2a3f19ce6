"""Where each job's tasks run, as Jobs API fragments: job clusters, serverless environments,
task libraries.

Training runs on the spec's compute, with the spec's libraries. mlopsgen's own tasks
(candidate, gate, promote, serving, smoke test, batch scoring) run with exactly the MLflow and
databricks-sdk the runtime package is tested with (`RUNTIME_REQUIREMENTS`), not with whatever
the training runtime bundles: Databricks Runtime ML 15.4 LTS ships MLflow 2.13.1, 17.3 LTS
3.0.1 (Databricks, "MLflow-Databricks Runtime compatibility matrix"). So:

- serverless: the pins are the runtime tasks' environment dependencies;
- classic compute: the pins are task `libraries`, and since task libraries are "installed on the
  cluster" (databricks-sdk `jobs.Task.libraries`), for every task that shares it, the runtime
  tasks get a single-node job cluster of their own: pinning MLflow on the training cluster, or on
  an existing all-purpose cluster, would change the MLflow the user's notebook runs with.

Every new cluster carries the spec's tags (under its own `custom_tags`, which win) and the
platform settings of its compute block: cluster policy, instance pool, init scripts, access
mode (`cluster_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mlopsgen.layout import SINGLE_NODE_TAGS
from mlopsgen.model import ClusterSettings, Compute, NewCluster, RuntimeCluster, RuntimeCompute
from mlopsgen.render.job_fields import owned

TRAIN_CLUSTER_KEY = "train_cluster"
# Batch scoring on compute of its own (serving.compute); on the training compute it keeps the
# training keys, as before serving.compute existed.
SCORING_CLUSTER_KEY = "scoring_cluster"
SCORING_ENVIRONMENT_KEY = "scoring"
RUNTIME_CLUSTER_KEY = "mlopsgen_cluster"
TRAIN_ENVIRONMENT_KEY = "train"
RUNTIME_ENVIRONMENT_KEY = "mlopsgen"
SERVERLESS_ENVIRONMENT_VERSION = "2"
# The same pins as pyproject.toml's `runtime` extra: what the runtime package is tested with.
RUNTIME_REQUIREMENTS = ("mlflow==3.17.2", "databricks-sdk==0.156.0")
# Init script paths by where they live (the Clusters API's `init_scripts` destinations).
INIT_SCRIPT_SOURCES = (("/Workspace/", "workspace"), ("/Volumes/", "volumes"))


class Placement(NamedTuple):
    """What a job declares (clusters, environments) and what each task says to run there.
    Every instance gets its own `task` mapping (each site builds one)."""

    task: dict[str, Any]
    job_clusters: tuple[dict[str, Any], ...] = ()
    environments: tuple[dict[str, Any], ...] = ()
    libraries: tuple[str, ...] = ()  # the task's PyPI libraries (classic compute only)


def cluster_settings(
    settings: ClusterSettings, node_type: str | None, tags: Mapping[str, str]
) -> dict[str, Any]:
    """The fields every new cluster gets from its compute block and the spec's `tags`."""
    spec: dict[str, Any] = {"data_security_mode": settings.data_security_mode}
    if settings.instance_pool_id is not None:
        # node_type_id comes from the pool: "All clusters attached to the pool inherit this
        # node type" (Instance Pools API, create); a driver pool defaults to the same pool.
        spec["instance_pool_id"] = settings.instance_pool_id
        if settings.driver_instance_pool_id is not None:
            spec["driver_instance_pool_id"] = settings.driver_instance_pool_id
    else:
        spec["node_type_id"] = node_type
    if settings.policy_id is not None:
        spec["policy_id"] = settings.policy_id
        spec["apply_policy_default_values"] = settings.apply_policy_default_values
    if settings.init_scripts:
        spec["init_scripts"] = [_init_script(path) for path in settings.init_scripts]
    custom_tags = {**tags, **settings.custom_tags}
    if custom_tags:
        spec["custom_tags"] = custom_tags
    return spec


def _init_script(path: str) -> dict[str, Any]:
    """`/Workspace/...` or `/Volumes/...` as the Clusters API's InitScriptInfo (validation
    allows no other: DBFS init scripts are end-of-life)."""
    source = next((kind for prefix, kind in INIT_SCRIPT_SOURCES if path.startswith(prefix)), None)
    if source is None:
        raise ValueError(f"init script {path!r} is neither a workspace nor a volume file")
    return {source: {"destination": path}}


def _cluster(cluster: NewCluster, tags: Mapping[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "spark_version": cluster.spark_version,
        # Unity Catalog needs a Unity Catalog access mode (SINGLE_USER by default).
        **cluster_settings(cluster.settings, cluster.node_type, tags),
    }
    if cluster.workers is not None:
        spec["num_workers"] = cluster.workers
    else:
        spec["autoscale"] = {
            "min_workers": cluster.autoscale_min,
            "max_workers": cluster.autoscale_max,
        }
    return owned("new_cluster", spec)


def _single_node(cluster: RuntimeCluster, tags: Mapping[str, str]) -> dict[str, Any]:
    spec = {
        "spark_version": cluster.spark_version,
        **cluster_settings(cluster.settings, cluster.node_type, tags),
        "num_workers": 0,
        "spark_conf": {
            "spark.databricks.cluster.profile": "singleNode",
            "spark.master": "local[*]",
        },
    }
    spec["custom_tags"] = {**spec.get("custom_tags", {}), **SINGLE_NODE_TAGS}
    return owned("new_cluster", spec)


def _job_cluster(key: str, new_cluster: dict[str, Any]) -> dict[str, Any]:
    return owned("job_cluster", {"job_cluster_key": key, "new_cluster": new_cluster})


def _environment(key: str, dependencies: tuple[str, ...]) -> Placement:
    spec: dict[str, Any] = {"environment_version": SERVERLESS_ENVIRONMENT_VERSION}
    if dependencies:
        spec["dependencies"] = list(dependencies)
    environment = owned(
        "environment", {"environment_key": key, "spec": owned("environment_spec", spec)}
    )
    return Placement(environments=(environment,), task={"environment_key": key})


def _runtime_cluster(
    cluster: RuntimeCluster, libraries: tuple[str, ...], tags: Mapping[str, str]
) -> Placement:
    """A single-node job cluster for mlopsgen's tasks, with `libraries` on the task."""
    cluster_spec = _job_cluster(RUNTIME_CLUSTER_KEY, _single_node(cluster, tags))
    return Placement(
        job_clusters=(cluster_spec,),
        task={"job_cluster_key": RUNTIME_CLUSTER_KEY},
        libraries=libraries,
    )


def workload(
    compute: Compute,
    libraries: tuple[str, ...],
    tags: Mapping[str, str],
    keys: tuple[str, str] = (TRAIN_CLUSTER_KEY, TRAIN_ENVIRONMENT_KEY),
) -> Placement:
    """Placement of the user's training task: the spec's compute and libraries, on the job
    cluster or serverless environment named by `keys`."""
    cluster_key, environment_key = keys
    if compute.kind == "serverless":
        return _environment(environment_key, libraries)
    if compute.kind == "existing_cluster":
        return Placement(
            task={"existing_cluster_id": compute.existing_cluster_id}, libraries=libraries
        )
    assert compute.new_cluster is not None
    cluster = _job_cluster(cluster_key, _cluster(compute.new_cluster, tags))
    return Placement(
        job_clusters=(cluster,), task={"job_cluster_key": cluster_key}, libraries=libraries
    )


def runtime(compute: RuntimeCompute, tags: Mapping[str, str]) -> Placement:
    """Placement of mlopsgen's runtime tasks (the deploy job's, the train job's candidate)."""
    if compute.serverless:
        return _environment(RUNTIME_ENVIRONMENT_KEY, RUNTIME_REQUIREMENTS)
    assert compute.cluster is not None
    return _runtime_cluster(compute.cluster, RUNTIME_REQUIREMENTS, tags)


def scoring(
    compute: Compute, libraries: tuple[str, ...], tags: Mapping[str, str], *, own: bool
) -> Placement:
    """Placement of batch scoring, which loads the model in-process: the model's libraries
    (the training libraries) beside the runtime's pins, which replace any pin of the same
    package for training (pip refuses two pins of one package). Its job has no other task, so
    its own new cluster may take the pins; an existing all-purpose cluster may not. `own`:
    the compute is scoring's own (serving.compute), not the training compute."""
    pinned = {_package(requirement) for requirement in RUNTIME_REQUIREMENTS}
    kept = tuple(r for r in libraries if _package(r) not in pinned)
    needs = (*kept, *RUNTIME_REQUIREMENTS)
    if compute.kind == "existing_cluster":
        return _runtime_cluster(compute.runtime_cluster, needs, tags)
    if own:
        return workload(compute, needs, tags, (SCORING_CLUSTER_KEY, SCORING_ENVIRONMENT_KEY))
    return workload(compute, needs, tags)


def _package(requirement: str) -> str:
    """The normalized project name of a PyPI requirement (validation checked it; anything
    else is kept as written, as render never judges values)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement
