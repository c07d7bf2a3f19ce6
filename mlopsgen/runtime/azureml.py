"""Serving on Azure ML: register the MLflow model and send all traffic to a managed online
deployment of it, with the `az ml` CLI (the cluster's Azure identity does the auth)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from .contract import (
    AZUREML_RESOURCE_GROUP,
    AZUREML_WORKSPACE,
    ENDPOINT,
    INSTANCE_COUNT,
    INSTANCE_TYPE,
)
from .errors import TaskFailed
from .params import required

AZ_ML = ("az", "ml")


def azureml_model_name(model_name: str) -> str:
    """Azure ML asset names take letters, digits, '-' and '_' (UC names carry dots)."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in model_name)


def azureml_deployment_yaml(params: Mapping[str, str], model_name: str, version: str) -> str:
    """A managed online deployment of an MLflow model: no scoring script, no environment."""
    fields = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json",
        "name": f"version-{version}",
        "endpoint_name": params[ENDPOINT],
        "model": f"azureml:{azureml_model_name(model_name)}:{version}",
        "instance_type": params[INSTANCE_TYPE],
        "instance_count": int(params[INSTANCE_COUNT]),
    }
    # JSON is valid YAML, and the standard library writes it
    return json.dumps(fields, indent=2) + "\n"


def azureml_commands(
    params: Mapping[str, str],
    model_name: str,
    version: str,
    paths: tuple[str, str],
    exists: Callable[[list[str]], bool],
) -> list[list[str]]:
    """The `az ml` commands that register the MLflow model and send all traffic to it.

    `paths` = (downloaded model folder, deployment YAML file); `exists(show_command)` tells
    which assets already exist, so that a re-run updates instead of failing on a conflict.
    """
    where = ["--resource-group", params[AZUREML_RESOURCE_GROUP]]
    where += ["--workspace-name", params[AZUREML_WORKSPACE]]
    endpoint = params[ENDPOINT]
    model_id = ["--name", azureml_model_name(model_name), "--version", version]
    commands: list[list[str]] = []
    if not exists([*AZ_ML, "model", "show", *model_id, *where]):
        model_type = ["--type", "mlflow_model", "--path", paths[0]]
        commands.append([*AZ_ML, "model", "create", *model_id, *model_type, *where])
    if not exists([*AZ_ML, "online-endpoint", "show", "--name", endpoint, *where]):
        commands.append([*AZ_ML, "online-endpoint", "create", "--name", endpoint, *where])
    deployment = f"version-{version}"
    show = [*AZ_ML, "online-deployment", "show", "--name", deployment]
    if exists([*show, "--endpoint-name", endpoint, *where]):
        # the deployment exists (a re-run): only the traffic may need to move to it
        traffic = ["--traffic", f"{deployment}=100"]
        commands.append([*AZ_ML, "online-endpoint", "update", "--name", endpoint, *traffic, *where])
    else:
        create = [*AZ_ML, "online-deployment", "create", "--file", paths[1], "--all-traffic"]
        commands.append([*create, *where])
    return commands


def _az_succeeds(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, text=True, check=False).returncode == 0


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
    print(f"Azure ML endpoint {params[ENDPOINT]!r} serves {model_name} version {version}")
    return params[ENDPOINT]


def _run_az(command: list[str]) -> None:
    print("+ " + " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise TaskFailed(f"`{' '.join(command[:4])}` failed ({done.returncode}): {last}")
