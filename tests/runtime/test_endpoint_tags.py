"""The spec's tags on the Model Serving endpoints deploy_serving creates or updates (issue
12), in process against the strict fake workspace (`create`'s `tags`, `PATCH .../tags`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from fakes.databricks_server import FakeDatabricks

from mlopsgen.runtime import TaskFailed
from mlopsgen.runtime.endpoints import Deadline
from mlopsgen.runtime.serving import deploy_databricks_serving, endpoint_tags

MODEL = "main.ml.wine"
TAGS = {"team": "ml", "cost_center": "CC-1"}
PARAMS = {
    "model_name": MODEL,
    "target": "databricks-serving",
    "endpoint": "ep",
    "workload_size": "Small",
    "scale_to_zero": "false",
    "endpoint_tags": json.dumps(TAGS),
}


@pytest.fixture(name="workspace")
def workspace_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDatabricks]:
    with FakeDatabricks() as fake:
        for name in list(os.environ):
            if name.startswith("DATABRICKS_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("DATABRICKS_CONFIG_FILE", os.devnull)
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        yield fake


def _deploy(version: str, params: dict[str, str] = PARAMS) -> None:
    now = [0.0]
    deadline = Deadline(60.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    deploy_databricks_serving(MODEL, version, params, deadline)


def _tags(workspace: FakeDatabricks) -> dict[str, str]:
    endpoint = workspace.serving.endpoints["ep"]
    return {t["key"]: t.get("value", "") for t in endpoint.get("tags", [])}


def test_a_new_endpoint_is_created_with_the_tags(workspace: FakeDatabricks) -> None:
    _deploy("1")
    (create,) = workspace.calls("POST", "/api/2.0/serving-endpoints")
    assert create.body["tags"] == [
        {"key": "cost_center", "value": "CC-1"},
        {"key": "team", "value": "ml"},
    ]
    assert _tags(workspace) == TAGS
    _deploy("2")  # nothing to add the second time
    assert workspace.calls("PATCH", "/api/2.0/serving-endpoints/ep/tags") == []


def test_an_existing_endpoint_gets_the_missing_tags_and_keeps_others(
    workspace: FakeDatabricks,
) -> None:
    _deploy("1", PARAMS | {"endpoint_tags": json.dumps({"team": "old", "owner": "someone"})})
    _deploy("2")
    (patch,) = workspace.calls("PATCH", "/api/2.0/serving-endpoints/ep/tags")
    assert patch.body == {
        "add_tags": [{"key": "cost_center", "value": "CC-1"}, {"key": "team", "value": "ml"}]
    }
    assert _tags(workspace) == {"owner": "someone", **TAGS}


def test_no_tags_sends_none(workspace: FakeDatabricks) -> None:
    _deploy("1", PARAMS | {"endpoint_tags": "{}"})
    (create,) = workspace.calls("POST", "/api/2.0/serving-endpoints")
    assert "tags" not in create.body


@pytest.mark.parametrize("raw", ["[1]", "{", '{"a": 1}'])
def test_tags_that_are_not_an_object_of_strings_fail_the_task(raw: str) -> None:
    with pytest.raises(TaskFailed, match="endpoint_tags"):
        endpoint_tags({"endpoint_tags": raw})
