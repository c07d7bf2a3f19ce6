"""What the MLflow double does with each request: tracking calls are isolated per workspace,
registry calls follow the registry's rules (see fakes/mlflow_double.py for the sources)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakes import uc_rules
from fakes.errors import not_found

if TYPE_CHECKING:
    from fakes.mlflow_double import MlflowDouble

PREFIX = "/api/2.0/mlflow/"
TRACKING = ("experiments", "runs", "metrics", "artifacts", "logged-models")
REGISTRY = ("registered-models", "model-versions")
# the training workspace, owner of anything the double did not see created (the tests' own
# client plays the training workspace)
HOME = "A"


@dataclass
class Call:
    """One request on its way through the double."""

    workspace: str
    method: str
    route: str  # the path after /api/2.0/mlflow/
    query: list[tuple[str, str]]
    body: dict[str, Any]

    def get(self, key: str) -> Any:
        """A parameter from the query string, else from the JSON body."""
        for name, value in self.query:
            if name == key:
                return value
        return self.body.get(key)

    def replace(self, key: str, value: str) -> None:
        if key in self.body:
            self.body[key] = value
        self.query = [(k, value if k == key else v) for k, v in self.query]


Answer = tuple[int, bytes]


def _encode(status: int, answer: dict[str, Any]) -> Answer:
    return status, json.dumps(answer).encode()


# ---------------------------------------------------------------------- tracking (per workspace)
def _hidden(workspace: str, name: str) -> str:
    """How the real server stores an experiment name of a workspace other than HOME."""
    return name if workspace == HOME else f"{workspace}:{name}"


def _shown(workspace: str, experiment: dict[str, Any]) -> dict[str, Any]:
    name = str(experiment.get("name", "")).removeprefix(f"{workspace}:")
    return experiment | {"name": name}


def _require_ids(double: MlflowDouble, call: Call) -> None:
    for key in ("run_id", "run_uuid"):
        double.require(call, "run", call.get(key), "Run")
    double.require(call, "experiment", call.get("experiment_id"), "Experiment")
    for experiment in call.body.get("experiment_ids") or []:
        double.require(call, "experiment", experiment, "Experiment")
    double.require(call, "logged_model", call.body.get("model_id"), "Logged model")
    segments = call.route.split("/")
    if segments[0] == "logged-models" and len(segments) > 1 and segments[1] != "search":
        double.require(call, "logged_model", segments[1], "Logged model")


def tracking(double: MlflowDouble, call: Call) -> Answer:
    _require_ids(double, call)
    if call.route in ("experiments/create", "experiments/get-by-name"):
        key = "name" if call.route == "experiments/create" else "experiment_name"
        call.replace(key, _hidden(call.workspace, str(call.get(key))))
    status, answer = double.send(call)
    if status != 200:
        return _encode(status, answer)
    return _encode(status, _after_tracking(double, call, answer))


def _after_tracking(double: MlflowDouble, call: Call, answer: dict[str, Any]) -> dict[str, Any]:
    ws = call.workspace
    if call.route == "experiments/create":
        double.own("experiment", answer["experiment_id"], ws)
    elif call.route == "runs/create":
        double.own("run", answer["run"]["info"]["run_id"], ws)
    elif call.route == "logged-models" and call.method == "POST":
        double.own("logged_model", answer["model"]["info"]["model_id"], ws)
    elif call.route in ("experiments/get", "experiments/get-by-name"):
        experiment = answer["experiment"]
        if double.owner("experiment", experiment["experiment_id"]) != ws:
            raise not_found(f"Could not find experiment '{experiment['experiment_id']}'")
        return answer | {"experiment": _shown(ws, experiment)}
    elif call.route == "experiments/search":
        mine = [
            _shown(ws, e)
            for e in answer.get("experiments", [])
            if double.owner("experiment", e["experiment_id"]) == ws
        ]
        return answer | {"experiments": mine}
    return answer


# ---------------------------------------------------------------------- the registry
def registry(double: MlflowDouble, call: Call) -> Answer:
    if double.unity_catalog:
        _unity_catalog_rules(double, call)
    elif call.route != "registered-models/create":
        # the legacy registry belongs to its workspace
        double.require(call, "model", call.get("name"), "Registered Model")
    status, answer = double.send(call)
    if status != 200:
        return _encode(status, answer)
    if double.unity_catalog and call.route in uc_rules.SEARCHES:
        answer = uc_rules.without_tags_and_aliases(call.route, answer)
    elif not double.unity_catalog:
        answer = _workspace_registry_answer(double, call, answer)
    return _encode(status, answer)


def _unity_catalog_rules(double: MlflowDouble, call: Call) -> None:
    if call.route in uc_rules.NO_STAGES:
        raise uc_rules.no_stages(call.route)
    if call.route in ("registered-models/create", "model-versions/create"):
        error = uc_rules.check_tags_on_create(call.body)
    elif call.route in ("registered-models/set-tag", "model-versions/set-tag"):
        existing = _current_tags(double, call)
        error = uc_rules.tag_error(str(call.get("key")), str(call.get("value") or ""), existing)
    else:
        error = None
    if error is not None:
        raise error


def _current_tags(double: MlflowDouble, call: Call) -> dict[str, str]:
    """The tags the object holds now (none if it does not exist: the set-tag then fails)."""
    if call.route == "model-versions/set-tag":
        query = [("name", str(call.get("name"))), ("version", str(call.get("version")))]
        get = Call(call.workspace, "GET", "model-versions/get", query, {})
        field = "model_version"
    else:
        query = [("name", str(call.get("name")))]
        get = Call(call.workspace, "GET", "registered-models/get", query, {})
        field = "registered_model"
    status, answer = double.send(get)
    return uc_rules.tags_of(answer[field].get("tags")) if status == 200 else {}


def _workspace_registry_answer(
    double: MlflowDouble, call: Call, answer: dict[str, Any]
) -> dict[str, Any]:
    ws = call.workspace
    if call.route == "registered-models/create":
        double.own("model", call.get("name"), ws)
    elif call.route in uc_rules.SEARCHES:
        field = uc_rules.SEARCHES[call.route]
        mine = [e for e in answer.get(field, []) if double.owner("model", e["name"]) == ws]
        return answer | {field: mine}
    return answer
