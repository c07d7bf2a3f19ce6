"""The Model Serving part of the fake Databricks server.

A create or config update answers IN_PROGRESS and stays so for `polls_until_ready` GETs;
then the pending config becomes the active one and the endpoint is READY / NOT_UPDATING,
which is what the SDK's waiters and the runtime's own wait look for. The service's documented
rules that our code could break are enforced (sources in each rule's docstring):

- a config update while another is in progress is refused with HTTP 409 (`_check_not_updating`);
- until a new config is ready the old one keeps serving, and a failed update leaves it active;
- served entity names are unique in a config and made of letters, digits, '-' and '_';
  traffic routes name served entities of the same config, once each, with integer
  percentages that sum to 100 (`check_config`);
- invocations: `POST /serving-endpoints/{name}/invocations` follows the traffic config,
  `POST /serving-endpoints/{name}/served-models/{served}/invocations` reaches one served
  entity of the active config whatever its traffic; the body holds exactly one of the
  documented input keys (`_invoke`);
- tags (`create`'s `tags`, `PATCH /api/2.0/serving-endpoints/{name}/tags`): each an
  `EndpointTag` with a key ("Key field for a serving endpoint tag") and an optional value;
  `add_tags` sets a key's value, `delete_tags` removes keys (`_tags`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakes.errors import ApiError, invalid, not_found
from fakes.sdk_schema import check_fields, method_fields

_ENDPOINT = re.compile(
    r"^/api/2\.0/serving-endpoints/(?P<name>[^/]+)(?:(?P<config>/config)|(?P<tags>/tags))?$"
)
_INVOKE = re.compile(
    r"^/serving-endpoints/(?P<name>[^/]+)(?:/served-models/(?P<served>[^/]+))?/invocations$"
)
# Endpoint and served entity names: "alphanumeric characters, dashes, and underscores"
# (Databricks CLI reference, `serving-endpoints create`; REST reference, served_entities.name),
# "[ 1 .. 63 ] characters" (REST reference, the `name` path parameters).
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
# "Query serving endpoints for custom models" (Databricks docs): pandas DataFrame inputs
# (dataframe_split, dataframe_records) or tensor inputs (instances, inputs).
_INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


@dataclass(frozen=True)
class Invocation:
    endpoint: str
    served_entity: str
    path: str


@dataclass
class ServingEndpoints:
    polls_until_ready: int = 0  # GETs that still report IN_PROGRESS (each costs a waiter sleep)
    fail_updates: bool = False  # the next config change ends UPDATE_FAILED
    broken: set[str] = field(default_factory=set)  # served entities whose model rejects requests
    # Runs once at the start of the next config update: a test's way to script a race (e.g.
    # someone else's update starting between our read and our write).
    before_next_update: Callable[[str], None] | None = None
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    invocations: list[Invocation] = field(default_factory=list)
    _pending_polls: dict[str, int] = field(default_factory=dict)

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        from databricks.sdk.service.serving import ServingEndpointsAPI

        if query:
            raise invalid(f"Unknown query parameter: {', '.join(sorted(query))}")
        invoke = _INVOKE.match(path)
        if invoke is not None and method == "POST":
            return self._invoke(invoke["name"], invoke["served"], path, body)
        if (method, path) == ("POST", "/api/2.0/serving-endpoints"):
            _check(method_fields(ServingEndpointsAPI.create), body)
            return self.create(body)
        if (method, path) == ("GET", "/api/2.0/serving-endpoints"):
            return {"endpoints": [self._public(e) for _, e in sorted(self.endpoints.items())]}
        match = _ENDPOINT.match(path)
        if match is None:
            raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")
        name = match["name"]
        if method == "GET" and not match["config"]:
            return self.get(name)
        if method == "PATCH" and match["tags"]:
            _check(method_fields(ServingEndpointsAPI.patch, exclude=("name",)), body)
            return self.patch_tags(name, body)
        if method == "PUT" and match["config"]:
            _check(method_fields(ServingEndpointsAPI.update_config, exclude=("name",)), body)
            return self.update_config(name, body)
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    # ----- the management API --------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise invalid(f"Invalid endpoint name {name!r}: 1 to 63 letters, digits, '-', '_'.")
        if name in self.endpoints:
            raise ApiError(
                400, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists."
            )
        endpoint: dict[str, Any] = {
            "name": name,
            "id": f"ep-{len(self.endpoints) + 1}",
            "creator": "someone@example.com",
            "state": {"ready": "NOT_READY", "config_update": "IN_PROGRESS"},
            "pending_config": check_config(_output_config(body.get("config") or {})),
        }
        if "tags" in body:
            endpoint["tags"] = _tags([], body["tags"], [])
        self.endpoints[name] = endpoint
        self._pending_polls[name] = self.polls_until_ready
        return self._public(endpoint)

    def patch_tags(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = self._endpoint(name)
        tags = _tags(
            endpoint.get("tags", []), body.get("add_tags", []), body.get("delete_tags", [])
        )
        endpoint["tags"] = tags
        return {"tags": json.loads(json.dumps(tags))}

    def get(self, name: str) -> dict[str, Any]:
        endpoint = self._endpoint(name)
        self._advance(name, endpoint)
        return self._public(endpoint)

    def update_config(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = self._endpoint(name)
        if self.before_next_update is not None:
            hook, self.before_next_update = self.before_next_update, None
            hook(name)
        _check_not_updating(name, endpoint)
        config = body
        if "served_entities" not in body:  # only the traffic (or capture) config changes
            active = endpoint.get("config") or {}
            config = body | {"served_entities": active.get("served_entities", [])}
        endpoint["pending_config"] = check_config(_output_config(config))
        endpoint["state"] = endpoint["state"] | {"config_update": "IN_PROGRESS"}
        self._pending_polls[name] = self.polls_until_ready
        return self._public(endpoint)

    def start_foreign_update(self, name: str, polls: int = 1) -> None:
        """Someone else (the UI, another job) starts a config update that changes nothing."""
        endpoint = self._endpoint(name)
        endpoint["pending_config"] = json.loads(json.dumps(endpoint.get("config") or {}))
        endpoint["state"] = endpoint["state"] | {"config_update": "IN_PROGRESS"}
        self._pending_polls[name] = polls

    def traffic(self, name: str) -> dict[str, int]:
        """The active config's routes: served entity -> percentage."""
        config = self._endpoint(name).get("config") or {}
        return {_route_target(r): r["traffic_percentage"] for r in _routes(config)}

    def served(self, name: str) -> list[str]:
        """The names of the active config's served entities."""
        config = self._endpoint(name).get("config") or {}
        return [e["name"] for e in config.get("served_entities", [])]

    def _endpoint(self, name: str) -> dict[str, Any]:
        if name not in self.endpoints:
            raise not_found(f"Endpoint with name '{name}' does not exist.")
        return self.endpoints[name]

    def _advance(self, name: str, endpoint: dict[str, Any]) -> None:
        """An update settles: until then the old config keeps serving; a failure leaves it
        active ("Until the new configuration is ready, the old configuration keeps serving
        prediction traffic", Databricks docs, "Create custom model serving endpoints")."""
        if endpoint["state"]["config_update"] != "IN_PROGRESS":
            return
        if self._pending_polls[name] > 0:
            self._pending_polls[name] -= 1
            return
        if self.fail_updates:
            self.fail_updates = False
            endpoint["state"] = endpoint["state"] | {"config_update": "UPDATE_FAILED"}
            endpoint.pop("pending_config")
            return
        endpoint["config"] = endpoint.pop("pending_config")
        endpoint["state"] = {"ready": "READY", "config_update": "NOT_UPDATING"}

    @staticmethod
    def _public(endpoint: dict[str, Any]) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(endpoint))  # a deep, JSON-shaped copy
        return copy

    # ----- invocations ---------------------------------------------------------------------

    def _invoke(self, name: str, served: str | None, path: str, body: Any) -> dict[str, Any]:
        """Score a request the way a served MLflow model answers: one prediction per record.

        With `served`, that served entity answers whatever the traffic config says ("While
        querying the individual served model, the traffic settings are ignored", Databricks
        docs, "Serve multiple models to a model serving endpoint"); it must be in the active
        config: an entity that is still deploying serves nothing.
        """
        config = self._endpoint(name).get("config")
        if not config:
            raise ApiError(400, "BAD_REQUEST", f"Endpoint '{name}' is not ready.")
        entity = served if served is not None else _busiest(config)
        if entity not in [e["name"] for e in config["served_entities"]]:
            raise not_found(f"Served model '{entity}' does not exist in endpoint '{name}'.")
        records = _records(body)
        self.invocations.append(Invocation(name, entity, path))
        if entity in self.broken:
            raise ApiError(400, "BAD_REQUEST", f"Model {entity} failed to score the request.")
        return {"predictions": [0.5] * records, "served_model_name": entity}


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """The service's rules for served entities and traffic (REST reference, `PUT
    /api/2.0/serving-endpoints/{name}/config`): an entity's name "must be unique across an
    endpoint"; a route names "the served model this route configures traffic for" with a
    percentage that "must be an integer between 0 and 100 inclusive" (the typed check
    refuses a non-integer); the routes share out the whole traffic, 100% (every traffic
    split in "Serve multiple models to a model serving endpoint" sums to 100)."""
    names = [e["name"] for e in config["served_entities"]]
    for name in names:
        if not _NAME.match(name):
            raise invalid(f"Invalid served entity name '{name}': letters, digits, '-', '_'.")
    if len(set(names)) != len(names):
        raise invalid(f"Served entity names must be unique across an endpoint: {names}.")
    targets = [_route_target(r) for r in _routes(config)]
    unknown = sorted(set(targets) - set(names))
    if unknown:
        raise invalid(f"Traffic config routes to unknown served entities: {unknown}.")
    if len(set(targets)) != len(targets):
        raise invalid(f"Traffic config routes a served entity more than once: {targets}.")
    percentages = [r["traffic_percentage"] for r in _routes(config)]
    if any(not 0 <= p <= 100 for p in percentages):
        raise invalid(f"Traffic percentages must be between 0 and 100: {percentages}.")
    if names and sum(percentages) != 100:
        raise invalid(f"Traffic percentages must sum to 100, not {sum(percentages)}.")
    return config


def _check_not_updating(name: str, endpoint: dict[str, Any]) -> None:
    """ "An endpoint that already has an update in progress can not be updated until the
    current update completes or fails" (REST reference, `PUT .../config`); the SDK maps any
    HTTP 409 to `ResourceConflict`."""
    if endpoint["state"]["config_update"] == "IN_PROGRESS":
        raise ApiError(
            409, "RESOURCE_CONFLICT", f"Endpoint {name} already has an update in progress."
        )


def _routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    return list((config.get("traffic_config") or {}).get("routes") or [])


def _route_target(route: dict[str, Any]) -> str:
    return str(route.get("served_entity_name") or route.get("served_model_name") or "")


def _busiest(config: dict[str, Any]) -> str:
    """The entity the traffic config sends most requests to (the fake is deterministic)."""
    routes = sorted(_routes(config), key=lambda r: -int(r["traffic_percentage"]))
    return _route_target(routes[0]) if routes else ""


def _records(body: Any) -> int:
    keys = [k for k in _INPUT_KEYS if isinstance(body, dict) and k in body]
    if len(keys) != 1:
        raise ApiError(
            400, "BAD_REQUEST", f"The request must hold exactly one of {list(_INPUT_KEYS)}."
        )
    value = body[keys[0]]
    if keys[0] == "dataframe_split":
        return len(value.get("data") or []) if isinstance(value, dict) else 0
    if isinstance(value, dict):  # named tensors: each column holds every record
        first: Any = next(iter(value.values()), [])
        return len(first) if isinstance(first, list) else 1
    return len(value) if isinstance(value, list) else 0


def _output_config(config: dict[str, Any]) -> dict[str, Any]:
    """An input config as the service reports it: served entities get names and a state."""
    entities = []
    for entity in config.get("served_entities") or []:
        model = str(entity.get("entity_name", "")).replace(".", "-")
        default = f"{model}-{entity.get('entity_version', '')}"
        entities.append(
            entity
            | {"name": entity.get("name", default), "state": {"deployment": "DEPLOYMENT_READY"}}
        )
    out: dict[str, Any] = {"served_entities": entities}
    if "traffic_config" in config:
        out["traffic_config"] = config["traffic_config"]
    else:
        share = [{"served_model_name": e["name"], "traffic_percentage": 100} for e in entities[:1]]
        out["traffic_config"] = {"routes": share}
    return out


def _tags(have: list[Any], add: Any, delete: Any) -> list[dict[str, Any]]:
    """`have` with `add` set and `delete` removed; a tag needs a non-empty string key."""
    if not isinstance(add, list) or not isinstance(delete, list):
        raise invalid("add_tags and delete_tags are lists.")
    tags = {t["key"]: t for t in have}
    for tag in add:
        key = tag.get("key") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not key:
            raise invalid(f"A tag needs a key: {tag!r}")
        if not isinstance(tag.get("value", ""), str):
            raise invalid(f"Tag {key!r}: the value is a string.")
        tags[key] = dict(tag)
    for key in delete:
        tags.pop(key, None)
    return list(tags.values())


def _check(fields: dict[str, Any], body: Any) -> None:
    problems = check_fields(fields, body)
    if problems:
        raise invalid("; ".join(problems))
