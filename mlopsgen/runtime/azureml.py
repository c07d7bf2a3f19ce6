"""Serving on Azure ML, blue/green with the `az ml` CLI (its login does the auth), in the order
of Microsoft's safe rollout and Azure/mlops-v2: deploy_serving registers the MLflow model and
creates its deployment without traffic; smoke_test invokes that deployment by name
(`az ml online-endpoint invoke --deployment-name`, which reaches a deployment with 0% of the
traffic); promote's `go_live` then sends it all of the traffic (`az ml online-endpoint update
--traffic`) and deletes the other deployments, which keep their instances until deleted
(Microsoft Learn, "Perform safe rollout of new deployments for real-time inference").
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .contract import (
    AZUREML_RESOURCE_GROUP,
    AZUREML_WORKSPACE,
    ENDPOINT,
    INSTANCE_COUNT,
    INSTANCE_TYPE,
)
from .errors import TaskFailed, clip
from .params import required

AZ_ML = ("az", "ml")


def azureml_model_name(model_name: str) -> str:
    """Azure ML asset names take letters, digits, '-' and '_' (UC names carry dots)."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in model_name)


def deployment_name(version: str) -> str:
    """The endpoint's deployment serving one model version."""
    return f"version-{version}"


def azureml_deployment_yaml(params: Mapping[str, str], model_name: str, version: str) -> str:
    """A managed online deployment of an MLflow model: no scoring script, no environment."""
    fields = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json",
        "name": deployment_name(version),
        "endpoint_name": params[ENDPOINT],
        "model": f"azureml:{azureml_model_name(model_name)}:{version}",
        "instance_type": params[INSTANCE_TYPE],
        "instance_count": int(params[INSTANCE_COUNT]),
    }
    # JSON is valid YAML, and the standard library writes it
    return json.dumps(fields, indent=2) + "\n"


def _where(params: Mapping[str, str]) -> list[str]:
    return [
        "--resource-group", params[AZUREML_RESOURCE_GROUP],
        "--workspace-name", params[AZUREML_WORKSPACE],
    ]  # fmt: skip


def azureml_commands(
    params: Mapping[str, str],
    model_name: str,
    version: str,
    paths: tuple[str, str],
    exists: Callable[[list[str]], bool],
) -> list[list[str]]:
    """The `az ml` commands that register the MLflow model and deploy it without traffic.

    `paths` = (downloaded model folder, deployment YAML file); `exists(show_command)` tells
    which assets already exist, so that a re-run creates only what is missing. Without
    `--all-traffic` a new deployment gets none: what serves keeps serving.
    """
    where = _where(params)
    endpoint = params[ENDPOINT]
    model_id = ["--name", azureml_model_name(model_name), "--version", version]
    commands: list[list[str]] = []
    if not exists([*AZ_ML, "model", "show", *model_id, *where]):
        model_type = ["--type", "mlflow_model", "--path", paths[0]]
        commands.append([*AZ_ML, "model", "create", *model_id, *model_type, *where])
    if not exists([*AZ_ML, "online-endpoint", "show", "--name", endpoint, *where]):
        commands.append([*AZ_ML, "online-endpoint", "create", "--name", endpoint, *where])
    show = [*AZ_ML, "online-deployment", "show", "--name", deployment_name(version)]
    if not exists([*show, "--endpoint-name", endpoint, *where]):
        commands.append([*AZ_ML, "online-deployment", "create", "--file", paths[1], *where])
    return commands


def go_live_commands(
    params: Mapping[str, str], version: str, traffic: Mapping[str, int], deployments: list[str]
) -> tuple[list[str] | None, dict[str, list[str]]]:
    """The traffic update that sends everything to the version's deployment (None when it has
    it all already), and the deletion of each of the endpoint's other deployments."""
    where, endpoint, live = _where(params), params[ENDPOINT], deployment_name(version)
    update = None
    if {name: share for name, share in traffic.items() if share} != {live: 100}:
        # every deployment named: the traffic values must sum to 100 (Azure ML REST reference,
        # OnlineEndpoint.traffic)
        shares = " ".join(f"{name}={100 if name == live else 0}" for name in sorted(deployments))
        update = [*AZ_ML, "online-endpoint", "update", "--name", endpoint]
        update += ["--traffic", shares, *where]
    delete = [*AZ_ML, "online-deployment", "delete", "--endpoint-name", endpoint, "--yes"]
    deletes = {n: [*delete, "--name", n, *where] for n in sorted(deployments) if n != live}
    return update, deletes


def deploy_azureml(model_name: str, version: str, params: Mapping[str, str]) -> str:
    required(params, AZUREML_RESOURCE_GROUP, AZUREML_WORKSPACE, INSTANCE_TYPE, INSTANCE_COUNT)
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{model_name}/{version}", dst_path=str(Path(tmp, "model"))
        )
        spec_file = Path(tmp, "deployment.yml")
        spec_file.write_text(azureml_deployment_yaml(params, model_name, version))
        paths = (model_dir, str(spec_file))
        for command in azureml_commands(params, model_name, version, paths, _az_succeeds):
            _run_az(command)
    deployment = deployment_name(version)
    print(f"Azure ML endpoint {params[ENDPOINT]!r} has deployment {deployment!r} ({version})")
    return params[ENDPOINT]


def go_live_azureml(model_name: str, version: str, params: Mapping[str, str]) -> list[str]:
    """All of the endpoint's traffic to the version's deployment; then the others go.

    A deployment that cannot be deleted is reported, not a failure: the traffic has moved
    already, and promote must still move the aliases to what serves.
    """
    required(params, ENDPOINT, AZUREML_RESOURCE_GROUP, AZUREML_WORKSPACE)
    endpoint, live = params[ENDPOINT], deployment_name(version)
    as_json = ["--output", "json", *_where(params)]
    listed = _az_json([*AZ_ML, "online-deployment", "list", "--endpoint-name", endpoint, *as_json])
    names = [str(d["name"]) for d in listed or []]
    if live not in names:
        raise TaskFailed(
            f"Azure ML endpoint {endpoint!r} has no deployment {live!r} ({model_name} version "
            f"{version}): deploy_serving and smoke_test must run for this version first"
        )
    shown = _az_json([*AZ_ML, "online-endpoint", "show", "--name", endpoint, *as_json])
    update, deletes = go_live_commands(params, version, shown.get("traffic") or {}, names)
    changes = []
    if update is not None:
        _run_az(update)
        changes.append(f"Azure ML endpoint {endpoint!r}: all traffic -> {live}")
    for name, delete in deletes.items():
        print("+ " + " ".join(delete))
        done = _az(delete)
        if done.returncode == 0:
            changes.append(f"Azure ML endpoint {endpoint!r}: deleted deployment {name!r}")
        else:
            print(f"warning: could not delete deployment {name!r}: {_last_line(done)}")
    return changes


def _az(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _az_succeeds(command: list[str]) -> bool:
    return _az(command).returncode == 0


def _az_json(command: list[str]) -> Any:
    """Run a read-only `az` command (with `--output json`) and parse what it prints."""
    done = _az(command)
    if done.returncode != 0:
        raise TaskFailed(
            f"`{' '.join(command[:4])}` failed ({done.returncode}): {_last_line(done)}"
        )
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise TaskFailed(
            f"`{' '.join(command[:4])}` printed no JSON: {clip(done.stdout)}"
        ) from None


def _run_az(command: list[str]) -> None:
    print("+ " + " ".join(command))
    done = _az(command)
    if done.returncode != 0:
        raise TaskFailed(
            f"`{' '.join(command[:4])}` failed ({done.returncode}): {_last_line(done)}"
        )


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    return clip((done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1], 500)
