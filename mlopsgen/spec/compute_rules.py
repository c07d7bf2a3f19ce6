"""Rules for compute and tags (issue 12): what the Clusters and Jobs APIs, and Azure under
them, would refuse in the middle of a deployment, refused by `validate` instead.

Three compute blocks: `training.compute` and `serving.compute` (a new cluster, an existing
cluster or serverless) and `runtime_compute` (a single-node cluster or serverless). The
cluster settings (policy, pool, init scripts, custom tags, access mode) belong to a new
cluster: serverless compute has no cluster to apply them to, and an existing cluster was
configured when it was created.

Facts relied on, each with its source:
- Tags: a job holds at most 25 (Jobs API `JobSettings.tags`, which "are forwarded to the
  cluster as cluster tags for jobs clusters, and are subject to the same limitations as
  cluster tags"); a cluster at most 45 custom tags (Clusters API `custom_tags`). Databricks
  adds its own default tags to every cluster (`Vendor`, `Creator`, `ClusterName`,
  `ClusterId`, `Name`; jobs' clusters `RunName`, `JobId`; pools `InstancePoolCreator`,
  `InstancePoolName`, `InstancePoolId`: Clusters API `default_tags`, "Tag usage"), and
  single-node clusters carry `ResourceClass`. Azure tags every VM with them: keys of at most
  512 characters without `<`, `>`, `%`, `&`, `\\`, `?`, `/`, values of at most 256 (Microsoft
  Learn, "Use tags to organize your Azure resources", Limitations).
- Access modes: Unity Catalog needs dedicated (`SINGLE_USER`) or standard (`USER_ISOLATION`)
  access mode, or the `DATA_SECURITY_MODE_*` values that choose one: "No-isolation shared
  and credential passthrough are legacy access modes that do not support Unity Catalog"
  (Databricks, "Compute access mode limitations for Unity Catalog"). On standard compute
  "Databricks Runtime for ML is not supported" (Microsoft Learn, "Standard compute
  requirements and limitations").
- Instance pools: "All clusters attached to the pool inherit this node type" (Instance Pools
  API, create): a cluster with `instance_pool_id` sends no `node_type_id`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlopsgen import layout
from mlopsgen.spec.findings import DataPath, Finding
from mlopsgen.spec.schema import schema_defaults
from mlopsgen.spec.shape import as_map, number, text

# Where each compute block sits.
COMPUTE_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("training", "compute"),
    ("serving", "compute"),
    ("runtime_compute",),
)
SIZE_KEYS = ("spark_version", "node_type", "workers", "autoscale")
CLUSTER_SETTINGS = (
    "policy_id",
    "apply_policy_default_values",
    "instance_pool_id",
    "driver_instance_pool_id",
    "init_scripts",
    "custom_tags",
    "data_security_mode",
)
UNITY_CATALOG_MODES = frozenset(
    {
        "SINGLE_USER",
        "USER_ISOLATION",
        "DATA_SECURITY_MODE_AUTO",
        "DATA_SECURITY_MODE_DEDICATED",
        "DATA_SECURITY_MODE_STANDARD",
    }
)
# The SDK's other modes (`DataSecurityMode`): no Unity Catalog there.
REFUSED_MODES = frozenset(
    {
        "NONE",
        "LEGACY_PASSTHROUGH",
        "LEGACY_SINGLE_USER",
        "LEGACY_SINGLE_USER_STANDARD",
        "LEGACY_TABLE_ACL",
    }
)
STANDARD_MODES = frozenset({"USER_ISOLATION", "DATA_SECURITY_MODE_STANDARD"})
ML_RUNTIME_MARK = "-ml-"  # e.g. 17.3.x-cpu-ml-scala2.13, 16.4.x-gpu-ml-scala2.12
JOB_TAGS_MAX = 25
CLUSTER_TAGS_MAX = 45
TAG_KEY_MAX = 512
TAG_VALUE_MAX = 256
TAG_KEY_FORBIDDEN = "<>%&\\?/"
DATABRICKS_TAGS = (
    "Vendor",
    "Creator",
    "ClusterName",
    "ClusterId",
    "Name",
    "RunName",
    "JobId",
    "InstancePoolCreator",
    "InstancePoolName",
    "InstancePoolId",
    *layout.SINGLE_NODE_TAGS,
)


def _blocks(data: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    for path in COMPUTE_BLOCKS:
        node: Any = data
        for step in path:
            node = as_map(node).get(step)
        if isinstance(node, dict):
            yield path, node


def _kind(block: dict[str, Any]) -> str | None:
    """What a block is when it is not a new cluster (None then)."""
    if block.get("serverless") is True:
        return "serverless compute"
    if "existing_cluster_id" in block:
        return "an existing cluster"
    return None


def compute_kind(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        cluster_keys = [k for k in SIZE_KEYS if k in block]
        kinds = [
            *([f"a new cluster ({', '.join(cluster_keys)})"] if cluster_keys else []),
            *(["existing_cluster_id"] if "existing_cluster_id" in block else []),
            *(["serverless: true"] if block.get("serverless") is True else []),
        ]
        if len(kinds) > 1:
            msg = f"choose exactly one kind of compute, not {' and '.join(kinds)}"
            yield Finding(path, "E316", msg, at="key")
        if "workers" in block and "autoscale" in block:
            msg = "set either 'workers' or 'autoscale', not both"
            yield Finding((*path, "autoscale"), "E317", msg, at="key")


def autoscale_range(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        scale = as_map(block.get("autoscale"))
        low, high = scale.get("min"), scale.get("max")
        # "max_workers must be strictly greater than min_workers" (Databricks Clusters API,
        # AutoScale): equal bounds are refused by the service, not only reversed ones
        if number(low) and number(high) and low >= high:
            msg = (
                f"autoscale max ({high}) must be greater than min ({low}), as the Clusters API "
                f"requires; for a fixed size write workers: {low}"
            )
            yield Finding((*path, "autoscale", "min"), "E318", msg)


def settings_need_a_new_cluster(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        kind = _kind(block)
        if kind is None:
            continue
        for key in CLUSTER_SETTINGS:
            if key in block:
                msg = (
                    f"'{key}' configures a new cluster; {kind} takes none (remove it, or "
                    "describe a new cluster instead)"
                )
                yield Finding((*path, key), "E380", msg, at="key")


def instance_pools(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        if "instance_pool_id" in block and "node_type" in block:
            msg = (
                "with instance_pool_id the pool decides the VM type (its clusters inherit "
                "its node type): remove node_type"
            )
            yield Finding((*path, "node_type"), "E381", msg, at="key")
        if "driver_instance_pool_id" in block and "instance_pool_id" not in block:
            msg = "a driver pool needs instance_pool_id for the workers"
            yield Finding((*path, "driver_instance_pool_id"), "E381", msg, at="key")


def unity_catalog_access_mode(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        mode = text(block.get("data_security_mode"))
        if mode in REFUSED_MODES:
            allowed = ", ".join(sorted(UNITY_CATALOG_MODES))
            msg = (
                f"access mode {mode} cannot use Unity Catalog, which mlopsgen's registry, "
                'gates and batch tables need (Databricks, "Compute access mode limitations '
                f'for Unity Catalog"); use one of {allowed}'
            )
            yield Finding((*path, "data_security_mode"), "E382", msg)


def standard_mode_without_ml_runtime(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        mode = text(block.get("data_security_mode"))
        if mode not in STANDARD_MODES or _kind(block) is not None:
            continue
        default = schema_defaults()[".".join(path)]["spark_version"]
        version = text(block.get("spark_version", default))
        if version is not None and ML_RUNTIME_MARK in version:
            msg = (
                f"standard access mode ({mode}) does not run Databricks Runtime for ML "
                f'({version}; Microsoft Learn, "Standard compute requirements and '
                'limitations"): use SINGLE_USER (dedicated), or a runtime without -ml- with '
                "the ML libraries as libraries"
            )
            yield Finding((*path, "data_security_mode"), "E388", msg)


def policy_defaults(data: dict[str, Any]) -> Iterator[Finding]:
    for path, block in _blocks(data):
        if "apply_policy_default_values" in block and "policy_id" not in block:
            msg = "apply_policy_default_values applies the defaults of policy_id: set one"
            yield Finding((*path, "apply_policy_default_values"), "E386", msg, at="key")


def serving_compute_target(data: dict[str, Any]) -> Iterator[Finding]:
    serving = as_map(data.get("serving"))
    target = serving.get("target")
    if "compute" in serving and isinstance(target, str) and target != "batch":
        msg = (
            f"serving.compute is where batch scoring runs; target {target} runs no scoring "
            "job (its tasks run on runtime_compute)"
        )
        yield Finding(("serving", "compute"), "E387", msg, at="key")


def _tag_maps(data: dict[str, Any]) -> Iterator[tuple[DataPath, dict[str, Any]]]:
    if isinstance(data.get("tags"), dict):
        yield ("tags",), data["tags"]
    for path, block in _blocks(data):
        if isinstance(block.get("custom_tags"), dict):
            yield (*path, "custom_tags"), block["custom_tags"]


def tag_keys_and_values(data: dict[str, Any]) -> Iterator[Finding]:
    reserved = {key.lower(): key for key in (*DATABRICKS_TAGS, layout.IDENTITY_TAG)}
    for path, tags in _tag_maps(data):
        for key, value in tags.items():
            if key.lower() in reserved:
                msg = (
                    f"tag '{key}' is reserved: Databricks or mlopsgen sets "
                    f"'{reserved[key.lower()]}' itself (tag keys are compared without case)"
                )
                yield Finding((*path, key), "E383", msg, at="key")
            elif problem := _azure_key_problem(key):
                yield Finding((*path, key), "E384", f"tag key '{key}' {problem}", at="key")
            if isinstance(value, str) and len(value) > TAG_VALUE_MAX:
                msg = (
                    f"tag value of {len(value)} characters; Azure, which tags the cluster's "
                    f"VMs with it, takes at most {TAG_VALUE_MAX}"
                )
                yield Finding((*path, key), "E384", msg)


def _azure_key_problem(key: str) -> str | None:
    if not key.strip():
        return "is empty"
    if len(key) > TAG_KEY_MAX:
        return f"has {len(key)} characters; Azure takes at most {TAG_KEY_MAX}"
    bad = sorted({c for c in key if c in TAG_KEY_FORBIDDEN})
    if bad:
        return f"holds {' '.join(bad)}, which Azure refuses in tag names"
    return None


def tag_counts(data: dict[str, Any]) -> Iterator[Finding]:
    spec_tags = as_map(data.get("tags"))
    if len(spec_tags) > JOB_TAGS_MAX - 1:
        msg = (
            f"{len(spec_tags)} tags; a job holds at most {JOB_TAGS_MAX} and mlopsgen adds "
            f"{layout.IDENTITY_TAG}: at most {JOB_TAGS_MAX - 1}"
        )
        yield Finding(("tags",), "E385", msg, at="key")
    for path, block in _blocks(data):
        own = as_map(block.get("custom_tags"))
        # the job's tags reach its clusters too, and single-node clusters carry ResourceClass
        keys = {k.lower() for k in (*spec_tags, *own, layout.IDENTITY_TAG)}
        keys |= {k.lower() for k in layout.SINGLE_NODE_TAGS}
        if own and len(keys) > CLUSTER_TAGS_MAX:
            msg = (
                f"with the spec's tags and mlopsgen's this cluster would carry {len(keys)} "
                f"tags; Databricks allows at most {CLUSTER_TAGS_MAX} custom tags"
            )
            yield Finding((*path, "custom_tags"), "E385", msg, at="key")


RULES = (
    compute_kind,
    autoscale_range,
    settings_need_a_new_cluster,
    instance_pools,
    unity_catalog_access_mode,
    standard_mode_without_ml_runtime,
    policy_defaults,
    serving_compute_target,
    tag_keys_and_values,
    tag_counts,
)
