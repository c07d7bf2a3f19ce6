"""The Model Serving part of the fake Databricks server.

A create or config update answers IN_PROGRESS and stays so for `polls_until_ready` GETs;
then the pending config becomes the active one and the endpoint is READY / NOT_UPDATING,
which is what the SDK's `create(...).result()` and `update_config(...).result()` waiters wait for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from fakes.errors import ApiError, invalid, not_found
from fakes.sdk_schema import check_fields, method_fields

_ENDPOINT = re.compile(r"^/api/2\.0/serving-endpoints/(?P<name>[^/]+)(?P<config>/config)?$")


@dataclass
class ServingEndpoints:
    polls_until_ready: int = 0  # GETs that still report IN_PROGRESS (each costs a waiter sleep)
    fail_updates: bool = False  # the next config change ends UPDATE_FAILED
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    _pending_polls: dict[str, int] = field(default_factory=dict)

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        from databricks.sdk.service.serving import ServingEndpointsAPI

        if query:
            raise invalid(f"Unknown query parameter: {', '.join(sorted(query))}")
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
        if method == "PUT" and match["config"]:
            _check(method_fields(ServingEndpointsAPI.update_config, exclude=("name",)), body)
            return self.update_config(name, body)
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("name is required.")
        if name in self.endpoints:
            raise ApiError(
                400, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists."
            )
        endpoint: dict[str, Any] = {
            "name": name,
            "id": f"ep-{len(self.endpoints) + 1}",
            "creator": "someone@example.com",
            "state": {"ready": "NOT_READY", "config_update": "IN_PROGRESS"},
            "pending_config": _output_config(body.get("config") or {}),
        }
        if "tags" in body:
            endpoint["tags"] = body["tags"]
        self.endpoints[name] = endpoint
        self._pending_polls[name] = self.polls_until_ready
        return self._public(endpoint)

    def get(self, name: str) -> dict[str, Any]:
        endpoint = self._endpoint(name)
        self._advance(name, endpoint)
        return self._public(endpoint)

    def update_config(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        endpoint = self._endpoint(name)
        if endpoint["state"]["config_update"] == "IN_PROGRESS":
            raise ApiError(
                409, "RESOURCE_CONFLICT", f"Endpoint {name} already has an update in progress."
            )
        endpoint["pending_config"] = _output_config(body)
        endpoint["state"] = endpoint["state"] | {"config_update": "IN_PROGRESS"}
        self._pending_polls[name] = self.polls_until_ready
        return self._public(endpoint)

    def _endpoint(self, name: str) -> dict[str, Any]:
        if name not in self.endpoints:
            raise not_found(f"Endpoint with name '{name}' does not exist.")
        return self.endpoints[name]

    def _advance(self, name: str, endpoint: dict[str, Any]) -> None:
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


def _check(fields: dict[str, Any], body: Any) -> None:
    problems = check_fields(fields, body)
    if problems:
        raise invalid("; ".join(problems))
