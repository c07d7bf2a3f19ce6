"""The Azure ML rollout from the agent, against a stub `az` on PATH (tests/fakes/azure_ml_cli.py)
through the real subprocess runner: the order of Microsoft's safe rollout, a failed smoke
test that changes nothing, and re-runs that create only what is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from azureml.conftest import StubAz
from mlopsgen.azureml import commands
from mlopsgen.azureml.commands import Release, Workspace
from mlopsgen.azureml.rollout import AzureMLFailed, Rollout, roll_out

WHERE = ["--resource-group", "rg-ml", "--workspace-name", "ws-ml"]
ENDPOINT = "credit-risk-staging"


def release(version: str) -> Release:
    return Release(
        Workspace("rg-ml", "ws-ml"),
        ENDPOINT,
        "main.risk.credit_risk",
        version,
        "Standard_DS3_v2",
        2,
    )


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"input_data": {"columns": ["a"], "data": [[1], [2], [3]]}}))
    return path


class FakeDownload:
    """The registered model's files, as MLflow would download them (an MLmodel file)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, name: str, version: str, registry: str, into: str) -> str:
        self.calls.append((name, version, registry))
        Path(into).mkdir(parents=True)
        Path(into, "MLmodel").write_text("flavors: {}\n")
        return into


def rollout(version: str, request: Path | None) -> Rollout:
    return Rollout(release(version), "unity-catalog", request)


def changes_of(calls: list[list[str]]) -> list[list[str]]:
    """The calls that change something (not show/list), by command words and key option."""
    reads = ("show", "list")
    return [
        c[:3] if c[0] == "ml" else c[:2] for c in calls if c[2 if c[0] == "ml" else 1] not in reads
    ]


def test_first_rollout_in_order_extension_model_endpoint_deployment_smoke_traffic(
    stub_az: StubAz, request_file: Path
) -> None:
    stub_az.set_state({"extensions": []})
    download = FakeDownload()
    changes = roll_out(rollout("1", request_file), download=download)
    calls = stub_az.calls()
    assert [c[:3] for c in calls] == [
        ["extension", "show", "--name"],
        ["extension", "add", "--name"],
        ["ml", "model", "show"],
        ["ml", "model", "create"],
        ["ml", "online-endpoint", "show"],
        ["ml", "online-endpoint", "create"],
        ["ml", "online-deployment", "show"],
        ["ml", "online-deployment", "create"],
        ["ml", "online-endpoint", "invoke"],
        ["ml", "online-endpoint", "show"],
        ["ml", "online-deployment", "list"],
        ["ml", "online-endpoint", "update"],
    ]
    assert calls[1] == ["extension", "add", "--name", "ml", "--yes"]
    assert download.calls == [("main.risk.credit_risk", "1", "unity-catalog")]
    model = ["--name", "main-risk-credit_risk", "--version", "1", "--type", "mlflow_model"]
    assert calls[3][3:9] == model
    assert stub_az.records()[3]["model_files"] == ["MLmodel"]
    assert "--all-traffic" not in calls[7]  # a new deployment gets no traffic
    assert stub_az.records()[7]["file"] | {"$schema": ""} == {
        "$schema": "",
        "name": "version-1",
        "endpoint_name": ENDPOINT,
        "model": "azureml:main-risk-credit_risk:1",
        "instance_type": "Standard_DS3_v2",
        "instance_count": 2,
    }
    assert calls[8][3:9] == [
        "--name",
        ENDPOINT,
        "--deployment-name",
        "version-1",
        "--request-file",
        str(request_file),
    ]
    assert calls[11][5:7] == ["--traffic", "version-1=100"]
    assert all(c[-4:] == WHERE for c in calls if c[0] == "ml" and "--output" not in c)
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 100}
    assert changes[-1] == f"Azure ML endpoint {ENDPOINT!r}: all traffic -> version-1"


def test_later_rollouts_keep_the_previous_deployment_for_a_rollback(
    stub_az: StubAz, request_file: Path
) -> None:
    for version in ("1", "2"):
        roll_out(rollout(version, request_file), download=FakeDownload())
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 0, "version-2": 100}
    stub_az.clear_log()
    changes = roll_out(rollout("3", request_file), download=FakeDownload())
    assert changes_of(stub_az.calls()) == [
        ["ml", "model", "create"],
        ["ml", "online-deployment", "create"],
        ["ml", "online-endpoint", "invoke"],
        ["ml", "online-endpoint", "update"],
        ["ml", "online-deployment", "delete"],
    ]
    update, delete = stub_az.calls()[-2:]
    assert update[5:7] == ["--traffic", "version-1=0 version-2=0 version-3=100"]
    assert delete[3:8] == ["--endpoint-name", ENDPOINT, "--name", "version-1", "--yes"]
    endpoint = stub_az.endpoint(ENDPOINT)
    assert endpoint["traffic"] == {"version-2": 0, "version-3": 100}
    assert sorted(endpoint["deployments"]) == ["version-2", "version-3"]
    assert changes[-1] == f"Azure ML endpoint {ENDPOINT!r}: deleted deployment 'version-1'"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("broken", "`az ml online-endpoint invoke` failed (1): ERROR: 424 Model Error"),
        ("short", "expected 3 predictions (one per record), got 2"),
    ],
)
def test_a_failed_smoke_test_leaves_traffic_where_it_was_and_deletes_nothing(
    stub_az: StubAz, request_file: Path, fault: str, message: str
) -> None:
    for version in ("1", "2"):
        roll_out(rollout(version, request_file), download=FakeDownload())
    state = stub_az.state()
    stub_az.set_state(state | {fault: ["version-3"]})
    stub_az.clear_log()
    with pytest.raises(AzureMLFailed, match="smoke test of 'version-3': .*" + re.escape(message)):
        roll_out(rollout("3", request_file), download=FakeDownload())
    assert changes_of(stub_az.calls())[-1] == ["ml", "online-endpoint", "invoke"]
    endpoint = stub_az.endpoint(ENDPOINT)
    assert endpoint["traffic"] == {"version-1": 0, "version-2": 100, "version-3": 0}
    assert sorted(endpoint["deployments"]) == ["version-1", "version-2", "version-3"]


def test_a_rerun_creates_only_what_is_missing(stub_az: StubAz, request_file: Path) -> None:
    roll_out(rollout("1", request_file), download=FakeDownload())
    stub_az.clear_log()
    download = FakeDownload()
    assert roll_out(rollout("1", request_file), download=download) == []
    assert changes_of(stub_az.calls()) == [["ml", "online-endpoint", "invoke"]]
    assert download.calls == []


def test_a_rerun_after_a_failed_smoke_test_retests_and_goes_live(
    stub_az: StubAz, request_file: Path
) -> None:
    roll_out(rollout("1", request_file), download=FakeDownload())
    stub_az.set_state(stub_az.state() | {"broken": ["version-2"]})
    with pytest.raises(AzureMLFailed):
        roll_out(rollout("2", request_file), download=FakeDownload())
    stub_az.set_state(stub_az.state() | {"broken": []})  # the fault went away
    stub_az.clear_log()
    roll_out(rollout("2", request_file), download=FakeDownload())
    assert changes_of(stub_az.calls()) == [
        ["ml", "online-endpoint", "invoke"],
        ["ml", "online-endpoint", "update"],
    ]
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 0, "version-2": 100}


def test_a_rollback_moves_traffic_back_to_the_kept_deployment(
    stub_az: StubAz, request_file: Path
) -> None:
    for version in ("1", "2"):
        roll_out(rollout(version, request_file), download=FakeDownload())
    stub_az.clear_log()
    roll_out(rollout("1", request_file), download=FakeDownload())
    assert changes_of(stub_az.calls()) == [
        ["ml", "online-endpoint", "invoke"],
        ["ml", "online-endpoint", "update"],
    ]
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 100, "version-2": 0}


def test_without_az_the_error_says_where_azure_ml_steps_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AzureMLFailed, match="run in the pipeline's AzureCLI@2 step"):
        roll_out(rollout("1", None), download=FakeDownload())


def test_the_pure_parts() -> None:
    assert commands.azureml_model_name("main.ml.wine_quality") == "main-ml-wine_quality"
    assert commands.serving_deployment({"version-1": 0, "version-2": 100}) == "version-2"
    assert commands.serving_deployment({"version-1": 0}) is None
    assert commands.to_delete(
        ["version-1", "version-2", "version-3"], "version-3", "version-2"
    ) == ["version-1"]
    assert commands.to_delete(["version-1", "version-2"], "version-2", None) == ["version-1"]


def test_a_deployment_left_failed_by_an_earlier_attempt_is_replaced(
    stub_az: StubAz, request_file: Path
) -> None:
    roll_out(rollout("1", request_file), download=FakeDownload())
    stub_az.set_state(stub_az.state() | {"fail_create": ["version-2"]})
    with pytest.raises(AzureMLFailed, match="online-deployment create` failed"):
        roll_out(rollout("2", request_file), download=FakeDownload())
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 100, "version-2": 0}
    stub_az.set_state(stub_az.state() | {"fail_create": []})  # the retry provisions
    stub_az.clear_log()
    changes = roll_out(rollout("2", request_file), download=FakeDownload())
    assert changes_of(stub_az.calls()) == [
        ["ml", "online-deployment", "delete"],
        ["ml", "online-deployment", "create"],
        ["ml", "online-endpoint", "invoke"],
        ["ml", "online-endpoint", "update"],
    ]
    assert changes[0] == "deleted deployment 'version-2': an earlier attempt left it Failed"
    assert stub_az.endpoint(ENDPOINT)["traffic"] == {"version-1": 0, "version-2": 100}
