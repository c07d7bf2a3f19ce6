"""The strict MLflow double itself (fakes/mlflow_double.py), through MLflow's real client:
Unity Catalog's tag rules, workspace isolation of tracking objects, one shared registry.

A double that let through what the service refuses would prove nothing, so each rule the
runtime could break is shown refused here, with the documented answer (400
INVALID_PARAMETER_VALUE, 404 RESOURCE_DOES_NOT_EXIST); the sources are cited in the double.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from fakes.mlflow_double import MlflowDouble
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from runtime.scenarios import GOOD

pytestmark = pytest.mark.mlflow_server


def at(double: MlflowDouble, workspace: str) -> MlflowClient:
    url = double.url(workspace)
    return MlflowClient(tracking_uri=url, registry_uri=url)


def raw(double: MlflowDouble, workspace: str, route: str, body: dict[str, Any]) -> tuple[int, Any]:
    """One POST as it goes over the wire: the status and the JSON answer."""
    request = urllib.request.Request(
        f"{double.url(workspace)}/api/2.0/mlflow/{route}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def refused(call: Any, code: str) -> str:
    """Run `call`, which the double must refuse with `code`; the service's message."""
    with pytest.raises(MlflowException) as failure:
        call()
    assert failure.value.error_code == code, failure.value.message
    return str(failure.value.message)


def test_the_runtime_before_issue_9_would_fail_against_the_double(
    make_versions: Any, doubles: dict[str, MlflowDouble]
) -> None:
    """The old gate wrote `mlopsgen.gate.<stage>` and read the source run with `get_run`,
    from the stage's workspace: Unity Catalog refuses the key, workspace B has no such run."""
    name = make_versions(GOOD)
    b = doubles["unity-catalog"]
    status, answer = raw(
        b,
        "B",
        "model-versions/set-tag",
        {"name": name, "version": "1", "key": "mlopsgen.gate.production", "value": "passed"},
    )
    assert status == 400
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "reserved characters" in answer["message"]
    run_id = str(at(b, "A").get_model_version(name, "1").run_id)
    at(b, "A").get_run(run_id)  # the training workspace has it
    assert "not found" in refused(lambda: at(b, "B").get_run(run_id), "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        *[(f"mlopsgen{c}gate", "passed", "reserved characters") for c in ".,-=/:"],
        ("k" * 256, "v", "255"),
        ("k", "v" * 1001, "1000"),
    ],
)
def test_unity_catalog_refuses_illegal_tags_on_models_and_versions(
    make_versions: Any, doubles: dict[str, MlflowDouble], key: str, value: str, why: str
) -> None:
    name = make_versions(GOOD, snapshot=False)
    uc = at(doubles["unity-catalog"], "B")
    code = "INVALID_PARAMETER_VALUE"
    assert why in refused(lambda: uc.set_model_version_tag(name, "1", key, value), code)
    assert why in refused(lambda: uc.set_registered_model_tag(name, key, value), code)
    assert why in refused(lambda: uc.create_registered_model(f"{name}_x", tags={key: value}), code)
    source = str(uc.get_model_version(name, "1").source)
    assert why in refused(lambda: uc.create_model_version(name, source, tags={key: value}), code)
    assert [v.version for v in uc.search_model_versions(f"name='{name}'")] == ["1"]
    assert uc.get_model_version(name, "1").tags == {}
    # the legacy workspace registry has rules of its own: the dotted key is fine there
    at(doubles["workspace"], "A").set_model_version_tag(name, "1", "mlopsgen.gate", "passed")


def test_unity_catalog_holds_at_most_50_tags_on_one_object(
    make_versions: Any, doubles: dict[str, MlflowDouble]
) -> None:
    name = make_versions(GOOD, snapshot=False)
    uc = at(doubles["unity-catalog"], "A")
    for index in range(50):
        uc.set_model_version_tag(name, "1", f"tag_{index}", "x")
    uc.set_model_version_tag(name, "1", "tag_7", "changed")  # a key it holds: no new tag
    message = refused(
        lambda: uc.set_model_version_tag(name, "1", "tag_50", "x"), "INVALID_PARAMETER_VALUE"
    )
    assert "at most 50 tags" in message
    assert len(uc.get_model_version(name, "1").tags) == 50


def test_tracking_objects_stay_in_the_workspace_that_created_them(
    doubles: dict[str, MlflowDouble],
) -> None:
    double = doubles["unity-catalog"]
    a, b = at(double, "A"), at(double, "B")
    path = f"/Shared/isolation/{uuid.uuid4().hex}"
    experiment = a.create_experiment(path)
    run_id = a.create_run(experiment).info.run_id
    a.log_metric(run_id, "r2", 0.5)
    a.log_text(run_id, "hello", "note.txt")
    model_id = a.create_logged_model(experiment, source_run_id=run_id).model_id
    missing = "RESOURCE_DOES_NOT_EXIST"

    refused(lambda: b.get_run(run_id), missing)
    refused(lambda: b.get_metric_history(run_id, "r2"), missing)
    refused(lambda: b.list_artifacts(run_id), missing)
    refused(lambda: b.get_logged_model(model_id), missing)
    refused(lambda: b.get_experiment(experiment), missing)
    refused(lambda: b.create_run(experiment), missing)
    assert b.get_experiment_by_name(path) is None
    assert experiment not in {e.experiment_id for e in b.search_experiments()}

    # the same path in B is B's own experiment; A's is untouched and both show the path
    own = b.create_experiment(path)
    assert own != experiment
    assert getattr(b.get_experiment_by_name(path), "experiment_id", None) == own
    assert b.get_experiment(own).name == path
    assert getattr(a.get_experiment_by_name(path), "experiment_id", None) == experiment
    refused(lambda: a.get_experiment(own), missing)
    assert a.list_artifacts(run_id)[0].path == "note.txt"


def test_the_unity_catalog_registry_is_one_registry_seen_from_both_workspaces(
    make_versions: Any, doubles: dict[str, MlflowDouble]
) -> None:
    name = make_versions(GOOD, snapshot=False)
    double = doubles["unity-catalog"]
    a, b = at(double, "A"), at(double, "B")
    b.set_registered_model_alias(name, "champion", "1")
    b.set_model_version_tag(name, "1", "mlopsgen_gate_production", "passed")
    assert a.get_registered_model(name).aliases == {"champion": "1"}
    assert a.get_model_version(name, "1").tags == {"mlopsgen_gate_production": "passed"}
    # MLflow's UC client drops tags and aliases from search results: a get call has them
    (found,) = b.search_model_versions(f"name='{name}'")
    assert (found.tags, found.aliases) == ({}, [])
    message = refused(
        lambda: b.transition_model_version_stage(name, "1", "Production"),
        "INVALID_PARAMETER_VALUE",
    )
    assert "Unity Catalog" in message


def test_the_workspace_registry_belongs_to_its_workspace(
    make_versions: Any, doubles: dict[str, MlflowDouble]
) -> None:
    name = make_versions(GOOD, snapshot=False)  # made in workspace A
    double = doubles["workspace"]
    assert at(double, "A").get_registered_model(name).name == name
    refused(lambda: at(double, "B").get_registered_model(name), "RESOURCE_DOES_NOT_EXIST")
    refused(lambda: at(double, "B").get_model_version(name, "1"), "RESOURCE_DOES_NOT_EXIST")
    assert name not in {m.name for m in at(double, "B").search_registered_models()}


def test_what_the_double_does_not_model_is_refused_not_forwarded(
    doubles: dict[str, MlflowDouble],
) -> None:
    status, answer = raw(doubles["unity-catalog"], "A", "traces/search", {})
    assert (status, answer["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
