"""Compute per workload, the enterprise cluster settings, tags and run_as (issue 12), as
they reach the job bodies, and as the SDK's own models read them back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from render.examples import SPECS, example_tree, origin_of

from mlopsgen.render import render_spec
from mlopsgen.render.compute import (
    INIT_SCRIPT_SOURCES,
    RUNTIME_CLUSTER_KEY,
    SCORING_CLUSTER_KEY,
    TRAIN_CLUSTER_KEY,
)
from mlopsgen.render.job_fields import job_settings_only
from mlopsgen.spec.compile import compile_text
from mlopsgen.spec.compute_rules import REFUSED_MODES, UNITY_CATALOG_MODES
from mlopsgen.spec.schema import schema_document

BASE = """\
apiVersion: mlopsgen/v1
name: demo
model: {name: main.ml.demo}
tags: {cost_center: CC-1, team: ml}
training:
  notebook: train.py
  compute:
COMPUTE
RUNTIME
stages:
  - name: dev
    workspace: https://adb-1.1.azuredatabricks.net
    variable_group: vg
    run_as: {service_principal: 11111111-2222-3333-4444-555555555555}
  - name: prod
    workspace: https://adb-2.2.azuredatabricks.net
    variable_group: vg
SERVING
"""
CLUSTER = "    spark_version: 17.3.x-cpu-ml-scala2.13\n    node_type: Standard_DS3_v2\n"


def _jobs(compute: str = CLUSTER, runtime: str = "", serving: str = "") -> dict[str, Any]:
    text = BASE.replace("COMPUTE\n", compute).replace("RUNTIME\n", runtime)
    text = text.replace("SERVING\n", serving)
    path = SPECS / "demo" / "model.yaml"
    notebook = b"# Databricks notebook source\n"
    result = compile_text(text, path, read_file=lambda _: notebook, origin=origin_of("demo"))
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    files = render_spec(result.spec).files()
    return {
        Path(a.path).stem: json.loads(a.text) for a in files if a.path.startswith("databricks/")
    }


def _cluster(job: dict[str, Any], key: str) -> dict[str, Any]:
    (found,) = (c["new_cluster"] for c in job["job_clusters"] if c["job_cluster_key"] == key)
    return dict(found)


def test_the_spec_tags_reach_jobs_and_clusters_and_the_identity_tag_wins() -> None:
    jobs = _jobs()
    for name, job in jobs.items():
        assert job["tags"]["cost_center"] == "CC-1" and job["tags"]["team"] == "ml", name
        assert job["tags"]["mlopsgen-id"].startswith("demo/"), name
    train = jobs["train"]
    assert _cluster(train, TRAIN_CLUSTER_KEY)["custom_tags"] == {
        "cost_center": "CC-1",
        "team": "ml",
    }
    runtime = _cluster(train, RUNTIME_CLUSTER_KEY)
    assert runtime["custom_tags"] == {
        "cost_center": "CC-1",
        "team": "ml",
        "ResourceClass": "SingleNode",
    }


def test_a_cluster_policy_with_its_defaults() -> None:
    train = _jobs(CLUSTER + "    policy_id: ABC123\n")["train"]
    cluster = _cluster(train, TRAIN_CLUSTER_KEY)
    assert cluster["policy_id"] == "ABC123" and cluster["apply_policy_default_values"] is True
    # the derived runtime cluster takes none of the training cluster's platform settings
    assert "policy_id" not in _cluster(train, RUNTIME_CLUSTER_KEY)
    fixed_only = _jobs(CLUSTER + "    policy_id: ABC123\n    apply_policy_default_values: false\n")
    assert _cluster(fixed_only["train"], TRAIN_CLUSTER_KEY)["apply_policy_default_values"] is False


def test_an_instance_pool_decides_the_node_type() -> None:
    compute = "    instance_pool_id: pool-a\n    driver_instance_pool_id: pool-b\n    workers: 2\n"
    cluster = _cluster(_jobs(compute)["train"], TRAIN_CLUSTER_KEY)
    assert "node_type_id" not in cluster and "driver_node_type_id" not in cluster
    assert (cluster["instance_pool_id"], cluster["driver_instance_pool_id"]) == ("pool-a", "pool-b")


def test_init_scripts_by_where_they_live_and_the_access_mode() -> None:
    compute = CLUSTER + (
        "    init_scripts: [/Workspace/Shared/init.sh, /Volumes/main/ops/s/init.sh]\n"
        "    data_security_mode: DATA_SECURITY_MODE_DEDICATED\n"
        "    custom_tags: {team: gpu-ml, workload: training}\n"
    )
    cluster = _cluster(_jobs(compute)["train"], TRAIN_CLUSTER_KEY)
    assert cluster["init_scripts"] == [
        {"workspace": {"destination": "/Workspace/Shared/init.sh"}},
        {"volumes": {"destination": "/Volumes/main/ops/s/init.sh"}},
    ]
    assert cluster["data_security_mode"] == "DATA_SECURITY_MODE_DEDICATED"
    # the cluster's own tags win over the spec's
    assert cluster["custom_tags"] == {
        "cost_center": "CC-1",
        "team": "gpu-ml",
        "workload": "training",
    }


def test_runtime_compute_on_its_own_single_node_cluster_or_serverless() -> None:
    runtime = "runtime_compute:\n  spark_version: 17.3.x-scala2.13\n  instance_pool_id: small\n"
    jobs = _jobs(runtime=runtime)
    for name in ("train", "deploy-dev", "deploy-prod"):
        cluster = _cluster(jobs[name], RUNTIME_CLUSTER_KEY)
        assert cluster["spark_version"] == "17.3.x-scala2.13" and cluster["num_workers"] == 0
        assert cluster["instance_pool_id"] == "small" and "node_type_id" not in cluster
    serverless = _jobs(runtime="runtime_compute: {serverless: true}\n")
    deploy = serverless["deploy-dev"]
    assert "job_clusters" not in deploy
    assert {t["environment_key"] for t in deploy["tasks"]} == {"mlopsgen"}
    # the training task keeps its cluster; only the candidate moves
    train = serverless["train"]
    assert [c["job_cluster_key"] for c in train["job_clusters"]] == [TRAIN_CLUSTER_KEY]


BATCH = """\
serving:
  target: batch
  input_table: main.ml.input
  output_table: main.ml.scores_{stage}
"""


def test_batch_scoring_on_its_own_compute() -> None:
    jobs = _jobs(serving=BATCH + "  compute: {serverless: true}\n")
    batch = jobs["batch-dev"]
    assert "job_clusters" not in batch and batch["tasks"][0]["environment_key"] == "scoring"
    assert _cluster(jobs["train"], TRAIN_CLUSTER_KEY)["node_type_id"] == "Standard_DS3_v2"
    policy = "  compute: {node_type: Standard_E8ds_v5, workers: 4, policy_id: P1}\n"
    scoring = _cluster(_jobs(serving=BATCH + policy)["batch-prod"], SCORING_CLUSTER_KEY)
    assert (scoring["node_type_id"], scoring["num_workers"], scoring["policy_id"]) == (
        "Standard_E8ds_v5",
        4,
        "P1",
    )
    # by default scoring runs on the training compute, as before serving.compute existed
    default = _cluster(_jobs(serving=BATCH)["batch-dev"], TRAIN_CLUSTER_KEY)
    assert default == _cluster(_jobs(serving=BATCH)["train"], TRAIN_CLUSTER_KEY)


def test_run_as_is_per_stage() -> None:
    jobs = _jobs()
    principal = {"service_principal_name": "11111111-2222-3333-4444-555555555555"}
    assert jobs["train"]["run_as"] == principal  # the first stage's workspace holds it
    assert jobs["deploy-dev"]["run_as"] == principal
    assert "run_as" not in jobs["deploy-prod"]


def test_the_sdk_models_read_every_new_field() -> None:
    """JobSettings.from_dict keeps what it knows: a field it dropped would never be sent."""
    from databricks.sdk.service.compute import DataSecurityMode
    from databricks.sdk.service.jobs import JobSettings

    tree = example_tree("churn-batch")
    for path in ("databricks/batch-prod.json", "databricks/deploy-prod.json"):
        body = job_settings_only(json.loads(tree[path]))  # the permissions go on their own
        settings = JobSettings.from_dict(body)
        assert settings.as_dict() == body
        assert settings.run_as is not None and settings.run_as.service_principal_name
        assert settings.tags is not None and settings.tags["cost_center"] == "CC-4711"
        (job_cluster,) = settings.job_clusters or []
        cluster = job_cluster.new_cluster
        assert (
            cluster is not None
            and cluster.policy_id
            and cluster.apply_policy_default_values is True
        )
        assert cluster.data_security_mode == DataSecurityMode.SINGLE_USER
        assert cluster.custom_tags is not None and cluster.custom_tags["team"] == "growth-ml"
    scoring = JobSettings.from_dict(json.loads(tree["databricks/batch-prod.json"]))
    new_cluster = (scoring.job_clusters or [])[0].new_cluster
    assert new_cluster is not None
    assert new_cluster.instance_pool_id == "0101-000000-growth-pool"
    assert new_cluster.node_type_id is None
    (script,) = new_cluster.init_scripts or []
    assert script.volumes is not None
    assert script.volumes.destination == "/Volumes/main/growth/ops/install-certs.sh"


def test_the_access_modes_are_the_sdks() -> None:
    """The schema offers the SDK's DataSecurityMode values; validation splits them into the
    ones Unity Catalog works with and the ones it refuses, leaving none out."""
    from databricks.sdk.service.compute import DataSecurityMode

    sdk = {mode.value for mode in DataSecurityMode}
    enum = schema_document()["$defs"]["dataSecurityMode"]["enum"]
    assert set(enum) == sdk
    assert sdk == UNITY_CATALOG_MODES | REFUSED_MODES
    assert not UNITY_CATALOG_MODES & REFUSED_MODES


@pytest.mark.parametrize("name", ["minimal", "wine-quality", "credit-risk"])
def test_specs_without_the_new_settings_keep_their_compute(name: str) -> None:
    """No tags, no run_as, the derived runtime cluster: what these specs rendered before."""
    for path, text in example_tree(name).items():
        if path.startswith("databricks/"):
            body = json.loads(text)
            assert list(body["tags"]) == ["mlopsgen-id"] and "run_as" not in body


def test_the_schema_allows_exactly_the_init_script_sources_render_maps() -> None:
    pattern = re.compile(schema_document()["$defs"]["initScripts"]["items"]["pattern"])
    for prefix, _ in INIT_SCRIPT_SOURCES:
        assert pattern.match(f"{prefix}x/init.sh"), prefix
    for refused in ("dbfs:/init.sh", "/dbfs/init.sh", "abfss://c@a.dfs.core.windows.net/i.sh"):
        assert not pattern.match(refused), refused
