"""deploy's comparison of the issue-12 fields (pure): what the workspace adds to a cluster
under a policy is not a change; a policy, pool, tag or run_as that differs is."""

from __future__ import annotations

import copy
import json
from typing import Any

from fakes.databricks_defaults import with_service_defaults
from render.examples import example_tree

from mlopsgen.databricks.compare import settings_match


def _batch() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(example_tree("churn-batch")["databricks/batch-prod.json"])
    return body


def _cluster(settings: dict[str, Any]) -> dict[str, Any]:
    cluster: dict[str, Any] = settings["job_clusters"][0]["new_cluster"]
    return cluster


def test_what_the_workspace_fills_in_is_not_a_change() -> None:
    desired = _batch()
    current = with_service_defaults(desired, "deployer@example.com")
    # attributes the service (or the policy's defaults) adds that mlopsgen never sets
    _cluster(current).update(
        {
            "azure_attributes": {"availability": "ON_DEMAND_AZURE"},
            "autotermination_minutes": 0,
            "enable_local_disk_encryption": False,
        }
    )
    assert settings_match(desired, current)


def test_a_changed_or_removed_setting_is_a_change() -> None:
    desired = _batch()
    for key, value in (
        ("policy_id", "OTHER"),
        ("instance_pool_id", "other-pool"),
        ("apply_policy_default_values", False),
        ("init_scripts", [{"workspace": {"destination": "/Workspace/x.sh"}}]),
        ("data_security_mode", "USER_ISOLATION"),
    ):
        current = copy.deepcopy(desired)
        _cluster(current)[key] = value
        assert not settings_match(desired, current), key
    tagged = copy.deepcopy(desired)
    _cluster(tagged)["custom_tags"] = {**_cluster(desired)["custom_tags"], "extra": "by hand"}
    assert not settings_match(desired, tagged)
    # the spec drops its policy: the workspace's is a leftover to reset
    unpolicied = copy.deepcopy(desired)
    del _cluster(unpolicied)["policy_id"], _cluster(unpolicied)["apply_policy_default_values"]
    assert not settings_match(unpolicied, desired)


def test_run_as_is_compared_when_the_spec_sets_it() -> None:
    desired = _batch()
    other = copy.deepcopy(desired) | {"run_as": {"service_principal_name": "someone-else"}}
    assert not settings_match(desired, other)
    creator = copy.deepcopy(desired) | {"run_as": {"user_name": "deployer@example.com"}}
    assert not settings_match(desired, creator)
    unset = {k: v for k, v in desired.items() if k != "run_as"}
    assert settings_match(unset, creator) and settings_match(unset, other)
