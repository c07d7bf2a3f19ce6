"""The fake's Model Serving holds the service's documented rules (see the module's docstring
for the sources): the runtime's blue/green flow is only as good as this double is strict."""

from __future__ import annotations

import json
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceConflict
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    Route,
    ServedEntityInput,
    TrafficConfig,
)
from fakes.databricks_server import FakeDatabricks

from mlopsgen.runtime import TaskFailed
from mlopsgen.runtime.smoke import post_json


@pytest.fixture
def client(fake: FakeDatabricks) -> WorkspaceClient:
    return WorkspaceClient(config=fake.config())


def entity(name: str, version: str) -> ServedEntityInput:
    return ServedEntityInput(
        name=name,
        entity_name="main.ml.m",
        entity_version=version,
        workload_size="Small",
        scale_to_zero_enabled=True,
    )


def traffic(**shares: int) -> TrafficConfig:
    return TrafficConfig(
        routes=[Route(served_model_name=n, traffic_percentage=p) for n, p in shares.items()]
    )


def create(client: WorkspaceClient, *entities: ServedEntityInput, **shares: int) -> None:
    config = EndpointCoreConfigInput(
        name="ep", served_entities=list(entities), traffic_config=traffic(**shares)
    )
    client.serving_endpoints.create(name="ep", config=config)
    client.serving_endpoints.get("ep")  # settles (polls_until_ready = 0)


@pytest.mark.parametrize(
    ("entities", "shares", "problem"),
    [
        ([entity("a", "1"), entity("b", "2")], {"a": 100, "b": 10}, "must sum to 100"),
        ([entity("a", "1")], {"a": 50}, "must sum to 100"),
        ([entity("a", "1")], {"a": 100, "zz": 0}, r"unknown served entities: \['zz'\]"),
        ([entity("a", "1"), entity("a", "2")], {"a": 100}, "must be unique"),
        ([entity("m.v1", "1")], {"m.v1": 100}, "Invalid served entity name"),
        ([entity("a", "1")], {"a": 101}, "between 0 and 100"),
    ],
)
def test_configs_the_service_refuses(
    client: WorkspaceClient, entities: list[ServedEntityInput], shares: dict[str, int], problem: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=problem):
        create(client, *entities, **shares)
    create(client, entity("a", "1"), a=100)
    with pytest.raises(InvalidParameterValue, match=problem):
        client.serving_endpoints.update_config(
            "ep", served_entities=entities, traffic_config=traffic(**shares)
        )


def test_an_update_while_another_is_in_progress_is_a_409(
    fake: FakeDatabricks, client: WorkspaceClient
) -> None:
    create(client, entity("a", "1"), a=100)
    fake.serving.polls_until_ready = 1
    client.serving_endpoints.update_config(
        "ep",
        served_entities=[entity("a", "1"), entity("b", "2")],
        traffic_config=traffic(a=100, b=0),
    )
    with pytest.raises(ResourceConflict, match="already has an update in progress"):
        client.serving_endpoints.update_config("ep", served_entities=[entity("b", "2")])
    # until the update is ready the old config serves, and only it
    assert fake.serving.traffic("ep") == {"a": 100}
    client.serving_endpoints.get("ep")  # still in progress (one poll)
    client.serving_endpoints.get("ep")
    assert fake.serving.traffic("ep") == {"a": 100, "b": 0}


def test_a_failed_update_leaves_the_active_config(
    fake: FakeDatabricks, client: WorkspaceClient
) -> None:
    create(client, entity("a", "1"), a=100)
    fake.serving.fail_updates = True
    client.serving_endpoints.update_config("ep", served_entities=[entity("b", "2")])
    got = client.serving_endpoints.get("ep")
    assert got.state is not None and got.state.config_update is not None
    assert got.state.config_update.value == "UPDATE_FAILED"
    assert fake.serving.served("ep") == ["a"]


def invoke(fake: FakeDatabricks, path: str, body: Any = None) -> str:
    request = body or {"dataframe_split": {"columns": ["x"], "data": [[1], [2]]}}
    headers = {"Authorization": f"Bearer {fake.token}", "Content-Type": "application/json"}
    return post_json(fake.url + path, json.dumps(request).encode(), headers, attempts=1)


def test_a_served_entity_answers_by_name_whatever_the_traffic(
    fake: FakeDatabricks, client: WorkspaceClient
) -> None:
    create(client, entity("a", "1"), entity("b", "2"), a=100, b=0)
    assert '"served_model_name": "b"' in invoke(
        fake, "/serving-endpoints/ep/served-models/b/invocations"
    )
    assert '"served_model_name": "a"' in invoke(fake, "/serving-endpoints/ep/invocations")
    assert [i.served_entity for i in fake.serving.invocations] == ["b", "a"]
    with pytest.raises(TaskFailed, match="HTTP 404"):
        invoke(fake, "/serving-endpoints/ep/served-models/c/invocations")
    with pytest.raises(TaskFailed, match=r"HTTP 400.*exactly one of"):
        invoke(fake, "/serving-endpoints/ep/invocations", {"data": [[1]]})
    # an entity that is still being deployed serves nothing yet
    fake.serving.polls_until_ready = 5
    client.serving_endpoints.update_config(
        "ep",
        served_entities=[entity("a", "1"), entity("c", "3")],
        traffic_config=traffic(a=100, c=0),
    )
    with pytest.raises(TaskFailed, match="HTTP 404"):
        invoke(fake, "/serving-endpoints/ep/served-models/c/invocations")
    with pytest.raises(NotFound):
        client.serving_endpoints.get("other")
