"""Promote, last in a stage's deploy job: serving goes live first, then the aliases (or
registry stages) move; a rollback puts the previous champion back. In process, through the
MLflow double, each stage in its own workspace.

`serving.go_live` belongs to the serving code (and its tests): here it is replaced by a
recorder that also notes where every alias stood when it was called.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlopsgen.runtime import TaskFailed, main, serving
from mlopsgen.runtime.contract import (
    PREVIOUS_PRODUCTION_TAG,
    gate_tag,
    rollback_tag,
    stage_tag,
)
from runtime.inprocess import Tasks
from runtime.scenarios import BAD, GOOD, MEDIUM, REGISTRIES, placement

pytestmark = pytest.mark.mlflow_server

THRESHOLDS = [{"metric": "rmse", "max": 0.75}]
PRODUCTION = [*THRESHOLDS, {"metric": "rmse", "compare": "champion", "higher_is_better": False}]
LIVE = {"target": "databricks-serving", "endpoint": "wine-quality-production"}


class GoLive:
    """Stands in for serving.go_live: records each call and the registry at that moment."""

    def __init__(self, client: Any, fail: Exception | None = None) -> None:
        self.client = client
        self.fail = fail
        self.calls: list[tuple[str, str, dict[str, str], dict[str, Any]]] = []

    def __call__(self, model_name: str, version: str, params: dict[str, str]) -> None:
        self.calls.append((model_name, version, dict(params), placement(self.client, model_name)))
        if self.fail is not None:
            raise self.fail


def replace_go_live(monkeypatch: pytest.MonkeyPatch, go_live: GoLive) -> GoLive:
    # raising=False: serving.go_live comes with the serving work; promote looks it up by name
    monkeypatch.setattr(serving, "go_live", go_live, raising=False)
    return go_live


@pytest.mark.parametrize("registry", REGISTRIES)
def test_serving_goes_live_before_any_alias_moves(
    client: Any,
    make_versions: Any,
    tasks: Tasks,
    monkeypatch: pytest.MonkeyPatch,
    registry: str,
) -> None:
    name = make_versions(GOOD)
    go_live = replace_go_live(monkeypatch, GoLive(client))
    tasks.gate(name, registry, "production", "1", THRESHOLDS)
    before = placement(client, name)

    changes = tasks.promote(name, registry, "production", "1", **LIVE)

    ((model, version, params, at_call),) = go_live.calls
    assert (model, version, params["endpoint"]) == (name, "1", "wine-quality-production")
    assert at_call == before  # nothing had moved yet
    assert changes and placement(client, name) != before


@pytest.mark.parametrize("registry", REGISTRIES)
def test_azureml_is_live_already_when_promote_runs_on_the_agent(
    client: Any,
    make_versions: Any,
    tasks: Tasks,
    monkeypatch: pytest.MonkeyPatch,
    registry: str,
) -> None:
    """`mlopsgen azureml-deploy` moved the Azure ML traffic before it runs promote: promote
    only moves the registry, and never reaches for `az` (issue 10)."""
    name = make_versions(GOOD)
    go_live = replace_go_live(monkeypatch, GoLive(client))
    tasks.gate(name, registry, "production", "1", THRESHOLDS)
    before = placement(client, name)

    changes = tasks.promote(name, registry, "production", "1", **LIVE | {"target": "azureml"})

    assert go_live.calls == []
    assert changes and placement(client, name) != before


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_failed_go_live_leaves_every_alias_and_stage_untouched(
    client: Any,
    make_versions: Any,
    tasks: Tasks,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    registry: str,
) -> None:
    name = make_versions(GOOD)
    failure = TaskFailed("serving endpoint 'wine-quality-production': traffic update refused")
    go_live = replace_go_live(monkeypatch, GoLive(client, fail=failure))
    tasks.gate(name, registry, "production", "1", THRESHOLDS)
    before = placement(client, name)
    capsys.readouterr()
    with pytest.raises(TaskFailed, match="traffic update refused"):
        tasks.promote(name, registry, "production", "1", **LIVE)
    assert placement(client, name) == before

    go_live.fail = RuntimeError("connection reset")  # not one the serving code explains
    params = {"model_name": name, "registry": registry, "stage": "production"}
    params |= {"model_version": "1", "final_stage": "true", "deploy_mode": "deploy"} | LIVE
    with pytest.raises(SystemExit):
        main("promote", params)
    errors = capsys.readouterr().err.splitlines()
    assert errors == ["mlopsgen promote: error: RuntimeError: connection reset"]
    assert placement(client, name) == before and len(go_live.calls) == 2


@pytest.mark.parametrize("target", ["batch", ""])
def test_batch_and_unserved_stages_have_nothing_to_put_live(
    client: Any, make_versions: Any, tasks: Tasks, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    name = make_versions(GOOD)
    go_live = replace_go_live(monkeypatch, GoLive(client))
    tasks.gate(name, "unity-catalog", "production", "1", THRESHOLDS)
    assert tasks.promote(name, "unity-catalog", "production", "1", target=target)
    assert go_live.calls == []


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_rollback_puts_the_previous_champion_back(
    client: Any,
    make_versions: Any,
    tasks: Tasks,
    capsys: pytest.CaptureFixture[str],
    registry: str,
) -> None:
    name = make_versions(MEDIUM, GOOD, BAD)
    for version in ("1", "2"):  # version 1 is champion, then version 2 (better) replaces it
        tasks.gate(name, registry, "production", version, PRODUCTION)
        tasks.promote(name, registry, "production", version)
    # a normal deploy of version 1 is blocked: it is worse than the champion
    with pytest.raises(TaskFailed, match="rmse"):
        tasks.gate(name, registry, "production", "1", PRODUCTION)
    capsys.readouterr()

    results = tasks.gate(name, registry, "production", "1", PRODUCTION, deploy_mode="rollback")

    table = capsys.readouterr().out
    assert [r.skipped for r in results] == [False, True] and all(r.passed for r in results)
    assert "SKIP (rollback: the champion comparison does not apply)" in table
    assert "(rollback):" in table
    changes = tasks.promote(name, registry, "production", "1", deploy_mode="rollback")
    assert changes[-1] == (
        f"rollback: version 1 back in stage 'production', from version 2 "
        f"(tag {rollback_tag('production')})"
    )
    tags = client.get_model_version(name, "1").tags
    assert tags[rollback_tag("production")] == "rollback from version 2"
    assert tags[gate_tag("production")] == "passed"
    after = placement(client, name)
    if registry == "unity-catalog":
        assert after["aliases"] == {"production": "1", "champion": "1", "previous": "2"}
    else:
        assert after["stages"] == {"1": "Production", "2": "Archived", "3": "None"}
        assert after["tags"] == {stage_tag("production"): "1", PREVIOUS_PRODUCTION_TAG: "2"}
    # a rollback still applies the thresholds: a bad version cannot be "rolled back" to
    with pytest.raises(TaskFailed, match="rmse \\(out of bounds\\)"):
        tasks.gate(name, registry, "production", "3", PRODUCTION, deploy_mode="rollback")
