"""The Azure ML safe rollout, run from the pipeline agent inside `AzureCLI@2`, where `az` is
installed and logged in as the stage's Azure ML service connection.

In order, creating only what is missing (a retried stage picks up where it stopped):

1. the `ml` extension of the Azure CLI;
2. the registered MLflow model, downloaded from the stage's Databricks registry and
   registered in Azure ML (`az ml model create --type mlflow_model`);
3. the endpoint;
4. the deployment `version-<N>`, without `--all-traffic`: a new deployment gets no traffic
   (one an earlier attempt left `Failed` is deleted and created again);
5. the smoke test: the spec's request sent to that deployment by name
   (`invoke --deployment-name` reaches it whatever its traffic share), one prediction per
   record expected;
6. all of the traffic to it;
7. the deployments other than it and the one that served before it are deleted (that one
   stays for a rollback; each deployment keeps its instances until deleted).

A failure up to step 5 raises `AzureMLFailed`: the traffic stays where it was and nothing is
deleted. Microsoft Learn, "Perform safe rollout of new deployments for real-time inference".
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.azureml import commands
from mlopsgen.azureml.commands import Release
from mlopsgen.errors import MlopsgenError
from mlopsgen.runtime.errors import TaskFailed


class AzureMLFailed(MlopsgenError):
    """An Azure ML step failed: one line naming the step and the service's last words."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str]], Completed]
# (registered model name, version, registry kind, destination folder) -> the model's folder
Downloader = Callable[[str, str, str, str], str]
Echo = Callable[[str], None]


def subprocess_runner(command: Sequence[str]) -> Completed:
    """Run `az` (found on PATH) and capture what it prints."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise AzureMLFailed(
            f"{command[0]!r} is not installed here: Azure ML steps run in the pipeline's "
            "AzureCLI@2 step, where the Azure CLI is installed and logged in"
        ) from None
    return Completed(done.returncode, done.stdout, done.stderr)


def download_model(model_name: str, version: str, registry: str, into: str) -> str:
    """The registered model's files, from the stage's Databricks registry (MLflow reads
    DATABRICKS_HOST and the step's Databricks auth). `databricks-uc` for Unity Catalog,
    `databricks` for the workspace registry, as the runtime chooses them."""
    from mlopsgen.runtime.registry import select_registry_uri, select_tracking_uri

    try:
        tracking = select_tracking_uri(os.environ)
        registry_uri = select_registry_uri(registry, tracking)
    except TaskFailed as exc:
        raise AzureMLFailed(str(exc)) from None
    import mlflow

    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(registry_uri)
    uri = f"models:/{model_name}/{version}"
    return str(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=into))


@dataclass(frozen=True)
class Rollout:
    release: Release
    registry: str  # unity-catalog or workspace: where the model is downloaded from
    request_file: Path | None  # the spec's smoke test (None: the spec has none)


class _Az:
    """Runs `az` commands, echoing the changing ones, turning failures into one line."""

    def __init__(self, run: Runner, echo: Echo) -> None:
        self._run, self._echo = run, echo

    def succeeds(self, command: list[str]) -> bool:
        return self.run(command).returncode == 0

    def run(self, command: list[str]) -> Completed:
        """A read: its outcome is the answer, a failure is no error."""
        return self._run(command)

    def json(self, command: list[str]) -> Any:
        text = self.check(command, echo=False)
        try:
            return json.loads(text)
        except ValueError:
            raise AzureMLFailed(f"`{_short(command)}` printed no JSON: {_clip(text)}") from None

    def check(self, command: list[str], *, echo: bool = True) -> str:
        if echo:
            self._echo("+ " + " ".join(command))
        done = self._run(command)
        if done.returncode != 0:
            raise AzureMLFailed(f"`{_short(command)}` failed ({done.returncode}): {_last(done)}")
        return done.stdout

    def attempt(self, command: list[str]) -> Completed:
        self._echo("+ " + " ".join(command))
        return self._run(command)


def roll_out(
    rollout: Rollout,
    *,
    run: Runner = subprocess_runner,
    download: Downloader = download_model,
    echo: Echo = lambda _: None,
) -> list[str]:
    """Steps 1 to 7 above; the changes made, in order ([] when everything was in place)."""
    az, release = _Az(run, echo), rollout.release
    changes = _ensure_extension(az)
    with tempfile.TemporaryDirectory(prefix="mlopsgen-azureml-") as tmp:
        changes += _register_model(az, rollout, download, tmp)
        changes += _ensure_endpoint(az, release)
        changes += _deploy(az, release, tmp)
    if rollout.request_file is not None:
        echo(smoke_test(az, release, rollout.request_file))
    return changes + _go_live(az, release)


def _ensure_extension(az: _Az) -> list[str]:
    if az.succeeds(commands.extension_show()):
        return []
    az.check(commands.extension_add())
    return [f"installed the Azure CLI extension {commands.EXTENSION!r}"]


def _register_model(az: _Az, rollout: Rollout, download: Downloader, tmp: str) -> list[str]:
    release = rollout.release
    if az.succeeds(commands.model_show(release)):
        return []
    folder = download(release.model_name, release.version, rollout.registry, str(Path(tmp, "m")))
    az.check(commands.model_create(release, folder))
    return [f"registered model {release.asset_name}:{release.version} in Azure ML"]


def _ensure_endpoint(az: _Az, release: Release) -> list[str]:
    if az.succeeds(commands.endpoint_show(release)):
        return []
    az.check(commands.endpoint_create(release))
    return [f"created Azure ML endpoint {release.endpoint!r}"]


def _deploy(az: _Az, release: Release, tmp: str) -> list[str]:
    """The release's deployment, created unless it exists; one left `Failed` by an earlier
    attempt (it keeps that state until deleted, and holds no traffic) is deleted first."""
    changes = []
    shown = az.run(commands.deployment_show(release))
    if shown.returncode == 0:
        if _provisioning_state(shown.stdout) != "Failed":
            return []
        az.check(commands.deployment_delete(release, release.deployment))
        changes.append(
            f"deleted deployment {release.deployment!r}: an earlier attempt left it Failed"
        )
    spec = Path(tmp, "deployment.yml")
    spec.write_text(commands.deployment_yaml(release), encoding="utf-8")
    az.check(commands.deployment_create(release, str(spec)))
    return [
        *changes,
        f"deployment {release.deployment!r} created on {release.endpoint!r}, no traffic",
    ]


def _provisioning_state(text: str) -> str | None:
    """`az ml online-deployment show` reports `provisioning_state` (Microsoft Learn, "Deploy
    and score a machine learning model by using an online endpoint", check the status)."""
    try:
        shown = json.loads(text)
    except ValueError:
        return None
    state = shown.get("provisioning_state") if isinstance(shown, dict) else None
    return str(state) if state is not None else None


def smoke_test(az: _Az, release: Release, request_file: Path) -> str:
    """The request to the new deployment itself; one prediction per record, or a failure."""
    from mlopsgen.runtime.smoke import count_predictions, count_records

    try:
        expected = count_records(json.loads(request_file.read_bytes()))
        if expected == 0:  # zero predictions for zero records would prove nothing
            raise TaskFailed(f"the request {request_file.name} holds no records")
        text = az.check(commands.invoke(release, str(request_file)))
        answer = json.loads(text)
        if isinstance(answer, str):  # `az` prints the endpoint's JSON answer as a string
            answer = json.loads(answer)
        got = count_predictions(answer)
    except (OSError, ValueError, TaskFailed) as exc:
        raise AzureMLFailed(f"smoke test of {release.deployment!r}: {exc}") from None
    except AzureMLFailed as exc:
        raise AzureMLFailed(f"smoke test of {release.deployment!r}: {exc}") from None
    if got != expected:
        raise AzureMLFailed(
            f"smoke test of {release.deployment!r}: expected {expected} predictions "
            f"(one per record), got {got}"
        )
    return f"smoke test passed: {got} predictions for {expected} records"


def _go_live(az: _Az, release: Release) -> list[str]:
    """All traffic to the release, then the older deployments go but the one that served.
    A re-run that finds the traffic moved already deletes nothing: which deployment served
    before is no longer known, and the next release cleans up."""
    shown = az.json(commands.endpoint_show(release))
    traffic = {str(k): int(v) for k, v in (shown.get("traffic") or {}).items()}
    live = release.deployment
    if commands.all_traffic_on(traffic, live):
        return []
    listed = az.json(commands.deployment_list(release))
    names = [str(d["name"]) for d in listed or []]
    previous = commands.serving_deployment(traffic)
    az.check(commands.traffic_update(release, names))
    changes = [f"Azure ML endpoint {release.endpoint!r}: all traffic -> {live}"]
    for name in commands.to_delete(names, live, previous):
        done = az.attempt(commands.deployment_delete(release, name))
        if done.returncode == 0:
            changes.append(f"Azure ML endpoint {release.endpoint!r}: deleted deployment {name!r}")
        else:  # the traffic has moved: a leftover deployment costs money, it breaks nothing
            changes.append(f"warning: could not delete deployment {name!r}: {_last(done)}")
    return changes


def _short(command: Sequence[str]) -> str:
    return " ".join(command[:4])


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _last(done: Completed) -> str:
    text = done.stderr.strip() or done.stdout.strip() or "no output"
    return _clip(text.splitlines()[-1], 500)
