"""Databricks Model Serving endpoints, blue/green: read the active config, wait (bounded) until
a config update has settled, change the config and retry when another update holds it.

What this relies on (Databricks docs; tests/fakes/databricks_serving.py enforces each):
- "An endpoint that already has an update in progress can not be updated until the current
  update completes or fails" (REST reference, `PUT /api/2.0/serving-endpoints/{name}/config`):
  an HTTP 409, which databricks-sdk raises as `ResourceConflict`. Wait, then retry.
- "Until the new configuration is ready, the old configuration keeps serving prediction
  traffic", and a failed update leaves the active config as it was ("Create custom model
  serving endpoints"): when serving a candidate fails there is nothing to undo.
- A traffic route names a served entity of the same config with an integer percentage from
  0 to 100 (REST reference, `Route`); the routes share out the whole traffic ("Serve multiple
  models to a model serving endpoint"), so a candidate can be served with 0%.

The SDK's waiters give up after 20 minutes unless told otherwise, and treat a *previous*
failed update as a failure, whereas for us it has settled and may be updated over: this
module polls `get` itself, until a `Deadline` kept inside the task's own timeout.
`databricks.sdk` is imported inside the functions (see registry.py's note).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .contract import SERVING_TASK_TIMEOUT_SECONDS
from .errors import TaskFailed, clip

# Stop waiting this long before the job kills the task, so that it can still say why.
WAIT_MARGIN_SECONDS = 300
POLL_SECONDS = 10.0  # the SDK's own waiters poll at most every 10 s too
CONFLICT_ATTEMPTS = 5  # config updates refused with 409 before the task gives up
IN_PROGRESS = "IN_PROGRESS"
FAILED_UPDATES = ("UPDATE_FAILED", "UPDATE_CANCELED")
READY = "DEPLOYMENT_READY"


@dataclass
class Deadline:
    """When waiting for the service must stop (monotonic seconds)."""

    at: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    poll_seconds: float = POLL_SECONDS

    @classmethod
    def for_task(cls) -> Deadline:
        """A serving task's deadline: its timeout (the renderer's) minus a margin."""
        return cls(time.monotonic() + SERVING_TASK_TIMEOUT_SECONDS - WAIT_MARGIN_SECONDS)

    def left(self) -> float:
        return self.at - self.clock()


@dataclass(frozen=True)
class Config:
    """A serving config as plain data: served entities (the fields of `ServedEntityInput`, by
    `name`) and each one's share of the traffic."""

    entities: tuple[Mapping[str, Any], ...]
    routes: Mapping[str, int] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [str(e["name"]) for e in self.entities]

    def entity(self, name: str) -> Mapping[str, Any]:
        return next(e for e in self.entities if e["name"] == name)

    def live(self) -> dict[str, int]:
        """The served entities that get traffic, and their share."""
        return {n: p for n, p in self.routes.items() if p > 0}


def with_candidate(current: Config | None, candidate: Mapping[str, Any]) -> Config:
    """`current` plus the candidate with 0% of the traffic: what serves keeps its share.

    Served entities without traffic (a candidate that failed its smoke test earlier) are
    dropped: they cost money and prove nothing. With nothing live (a new or empty endpoint)
    the candidate takes 100%: routes must share out all of the traffic.
    """
    name = str(candidate["name"])
    live = current.live() if current is not None else {}
    if not live:
        return Config((candidate,), {name: 100})
    assert current is not None
    kept = [current.entity(n) for n in current.names() if n in live and n != name]
    return Config((*kept, candidate), live | {name: live.get(name, 0)})


def only(current: Config, name: str) -> Config:
    """Only `name`, with all of the traffic (go live: the others stop costing money)."""
    return Config((current.entity(name),), {name: 100})


def same(current: Config | None, desired: Config) -> bool:
    """Whether `current` already is `desired`: same entities (each with at least the desired
    settings: the service reports more fields than we set) and the same routes."""
    if current is None or sorted(current.names()) != sorted(desired.names()):
        return False
    for entity in desired.entities:
        have = current.entity(str(entity["name"]))
        if any(have.get(key) != value for key, value in entity.items()):
            return False
    return dict(current.routes) == dict(desired.routes)


def active_config(endpoint: Any) -> Config | None:
    """The config that serves now (not a pending one); None when nothing serves."""
    from dataclasses import fields

    from databricks.sdk.service.serving import ServedEntityInput

    config = endpoint.config
    if config is None or not config.served_entities:
        return None
    settable = {f.name for f in fields(ServedEntityInput)}
    entities = tuple(
        {k: v for k, v in e.as_dict().items() if k in settable} for e in config.served_entities
    )
    routes = (config.traffic_config.routes if config.traffic_config else None) or []
    # a route names its entity as served_model_name (documented) or served_entity_name
    return Config(
        entities,
        {
            str(r.served_entity_name or r.served_model_name): r.traffic_percentage or 0
            for r in routes
        },
    )


def _sdk_config(config: Config) -> tuple[list[Any], Any]:
    from databricks.sdk.service.serving import Route, ServedEntityInput, TrafficConfig

    entities = [ServedEntityInput.from_dict(dict(e)) for e in config.entities]
    routes = [Route(served_model_name=n, traffic_percentage=p) for n, p in config.routes.items()]
    return entities, TrafficConfig(routes=routes)


def read(w: Any, name: str) -> Any | None:
    """The endpoint, or None if there is none by that name."""
    from databricks.sdk.errors import NotFound

    try:
        return w.serving_endpoints.get(name)
    except NotFound:
        return None


def settle(w: Any, name: str, deadline: Deadline) -> Any:
    """The endpoint once no config update is in progress (the last one may have failed)."""
    while True:
        endpoint = w.serving_endpoints.get(name)
        if _update_state(endpoint) != IN_PROGRESS:
            return endpoint
        left = deadline.left()
        if left <= 0:
            raise TaskFailed(
                f"serving endpoint {name!r} is still updating when this task must stop "
                f"waiting ({describe(endpoint)})"
            )
        deadline.sleep(min(deadline.poll_seconds, left))


def create(
    w: Any, name: str, config: Config, deadline: Deadline, tags: Mapping[str, str] | None = None
) -> Any:
    """Create the endpoint with `config` (and `tags`) and wait until it has settled."""
    from databricks.sdk.service.serving import EndpointCoreConfigInput

    entities, traffic = _sdk_config(config)
    w.serving_endpoints.create(
        name,
        config=EndpointCoreConfigInput(name=name, served_entities=entities, traffic_config=traffic),
        tags=_sdk_tags(tags or {}) or None,
    )
    return _applied(name, settle(w, name, deadline))


def tag(w: Any, name: str, endpoint: Any, tags: Mapping[str, str]) -> list[str]:
    """Give an existing endpoint `tags` (`PATCH .../tags`, `add_tags` sets a key's value):
    the keys it lacked or held with another value, sorted. Tags others set are left alone,
    and so is one the spec no longer has: the endpoint's tags are not only mlopsgen's."""
    have = {t.key: t.value for t in (endpoint.tags or [])}
    missing = {k: v for k, v in tags.items() if have.get(k) != v}
    if missing:
        w.serving_endpoints.patch(name, add_tags=_sdk_tags(missing))
    return sorted(missing)


def _sdk_tags(tags: Mapping[str, str]) -> list[Any]:
    from databricks.sdk.service.serving import EndpointTag

    return [EndpointTag(key=k, value=v) for k, v in sorted(tags.items())]


def change(
    w: Any, name: str, plan: Callable[[Any], Config | None], deadline: Deadline
) -> tuple[Any, Config | None]:
    """Update the endpoint to `plan(endpoint)` (None: nothing to do) and wait until it has
    settled: (the endpoint, the active config it replaced, None if it changed nothing). The
    plan is made from the settled endpoint, again after a 409 (another update was in
    progress), which may change it."""
    from databricks.sdk.errors import ResourceConflict

    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        endpoint = settle(w, name, deadline)
        desired = plan(endpoint)
        if desired is None:
            return endpoint, None
        entities, traffic = _sdk_config(desired)
        try:
            w.serving_endpoints.update_config(
                name, served_entities=entities, traffic_config=traffic
            )
        except ResourceConflict as exc:
            reason = clip(str(exc).replace("\n", " "), 200)
            print(f"serving endpoint {name!r}: update refused ({reason}); retry {attempt}")
            continue
        return _applied(name, settle(w, name, deadline)), active_config(endpoint)
    raise TaskFailed(
        f"serving endpoint {name!r}: {CONFLICT_ATTEMPTS} config updates were refused because "
        "another update was in progress each time"
    )


def require_ready(name: str, endpoint: Any, entity: str) -> None:
    """The served entity is in the active config and ready to answer requests."""
    config = endpoint.config
    found = [e for e in (config.served_entities if config else None) or [] if e.name == entity]
    if not found:
        raise TaskFailed(
            f"serving endpoint {name!r} does not serve {entity} ({describe(endpoint)})"
        )
    state = found[0].state
    deployment = _value(state.deployment) if state else None
    if deployment != READY:
        message = str((state.deployment_state_message if state else None) or "")
        message = clip(message.replace("\n", " "), 300)
        raise TaskFailed(
            f"served entity {entity} of endpoint {name!r} is {deployment}: {message}".rstrip(": ")
        )


def describe(endpoint: Any) -> str:
    """The endpoint's state in a few words, with any pending entity's deployment state."""
    state = endpoint.state
    ready = _value(state.ready) if state else None
    words = [f"ready={ready}", f"config_update={_update_state(endpoint)}"]
    pending = endpoint.pending_config
    for entity in (pending.served_entities if pending else None) or []:
        words.append(f"{entity.name}: {_value(entity.state.deployment) if entity.state else None}")
    return ", ".join(words)


def _applied(name: str, endpoint: Any) -> Any:
    state = _update_state(endpoint)
    if state in FAILED_UPDATES:
        raise TaskFailed(
            f"the config update of serving endpoint {name!r} ended {state}; its previous config "
            "keeps serving (see the endpoint's events and build logs in the Serving UI)"
        )
    return endpoint


def _update_state(endpoint: Any) -> str | None:
    return _value(endpoint.state.config_update) if endpoint.state else None


def _value(enum: Any) -> str | None:
    return None if enum is None else str(getattr(enum, "value", enum))
