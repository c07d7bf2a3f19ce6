"""Where each job's tasks run, as Jobs API fragments: job clusters, serverless environments.

Training runs on the spec's compute. The runtime tasks (candidate, gate, promote, serving,
smoke test) need no workers: on classic compute they share a single-node job cluster of the
same runtime (ML runtimes ship MLflow and databricks-sdk); on serverless they get an
environment with the runtime's pinned requirements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlopsgen.model import Compute, NewCluster
from mlopsgen.render.job_fields import owned

TRAIN_CLUSTER_KEY = "train_cluster"
RUNTIME_CLUSTER_KEY = "mlopsgen_cluster"
TRAIN_ENVIRONMENT_KEY = "train"
RUNTIME_ENVIRONMENT_KEY = "mlopsgen"
SERVERLESS_ENVIRONMENT_VERSION = "2"
# The same pins as pyproject.toml's `runtime` extra: what the runtime package is tested with.
RUNTIME_REQUIREMENTS = ("mlflow==3.17.2", "databricks-sdk==0.156.0")


@dataclass(frozen=True)
class Placement:
    """What a job declares (clusters, environments) and what each task says to run there."""

    job_clusters: list[dict[str, Any]] = field(default_factory=list)
    environments: list[dict[str, Any]] = field(default_factory=list)
    task: dict[str, Any] = field(default_factory=dict)
    uses_libraries: bool = True  # serverless tasks take dependencies from the environment


def _cluster(cluster: NewCluster) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "spark_version": cluster.spark_version,
        "node_type_id": cluster.node_type,
        # Unity Catalog needs a single-user (dedicated) access mode on job clusters.
        "data_security_mode": "SINGLE_USER",
    }
    if cluster.workers is not None:
        spec["num_workers"] = cluster.workers
    else:
        spec["autoscale"] = {
            "min_workers": cluster.autoscale_min,
            "max_workers": cluster.autoscale_max,
        }
    return owned("new_cluster", spec)


def _single_node(cluster: NewCluster) -> dict[str, Any]:
    return owned(
        "new_cluster",
        {
            "spark_version": cluster.spark_version,
            "node_type_id": cluster.node_type,
            "data_security_mode": "SINGLE_USER",
            "num_workers": 0,
            "spark_conf": {
                "spark.databricks.cluster.profile": "singleNode",
                "spark.master": "local[*]",
            },
            "custom_tags": {"ResourceClass": "SingleNode"},
        },
    )


def _environment(key: str, dependencies: tuple[str, ...]) -> dict[str, Any]:
    spec: dict[str, Any] = {"environment_version": SERVERLESS_ENVIRONMENT_VERSION}
    if dependencies:
        spec["dependencies"] = list(dependencies)
    return owned("environment", {"environment_key": key, "spec": owned("environment_spec", spec)})


def workload(compute: Compute, libraries: tuple[str, ...]) -> Placement:
    """Placement of a task that does real work (training, batch scoring)."""
    return _place(compute, TRAIN_ENVIRONMENT_KEY, libraries, TRAIN_CLUSTER_KEY, _cluster)


def runtime(compute: Compute) -> Placement:
    """Placement of the mlopsgen runtime tasks in a job that has no workload task."""
    return _place(
        compute, RUNTIME_ENVIRONMENT_KEY, RUNTIME_REQUIREMENTS, RUNTIME_CLUSTER_KEY, _single_node
    )


def _place(
    compute: Compute,
    environment_key: str,
    dependencies: tuple[str, ...],
    cluster_key: str,
    cluster: Callable[[NewCluster], dict[str, Any]],
) -> Placement:
    """Serverless: an environment with the dependencies; classic: the cluster shape given."""
    if compute.kind == "serverless":
        return Placement(
            environments=[_environment(environment_key, dependencies)],
            task={"environment_key": environment_key},
            uses_libraries=False,
        )
    if compute.kind == "existing_cluster":
        return Placement(task={"existing_cluster_id": compute.existing_cluster_id})
    assert compute.new_cluster is not None
    job_cluster = owned(
        "job_cluster", {"job_cluster_key": cluster_key, "new_cluster": cluster(compute.new_cluster)}
    )
    return Placement(job_clusters=[job_cluster], task={"job_cluster_key": cluster_key})


def beside(work: Placement, compute: Compute) -> Placement:
    """Placement of a runtime task that follows a workload task in the same job."""
    if compute.kind != "serverless":
        return Placement(task=dict(work.task))  # reuse the workload's cluster
    env = _environment(RUNTIME_ENVIRONMENT_KEY, RUNTIME_REQUIREMENTS)
    return Placement(
        environments=[env], task={"environment_key": RUNTIME_ENVIRONMENT_KEY}, uses_libraries=False
    )
