"""The `az` command lines of an Azure ML safe rollout, built as data (no I/O here).

Microsoft's order ("Perform safe rollout of new deployments for real-time inference",
https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints):
deploy the new version without traffic, test it in isolation (`invoke --deployment-name`),
send it the traffic, delete the unused deployment. Each deployment keeps its instances (and
their quota) until it is deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

AZ_ML = ("az", "ml")
# The Azure CLI's own extension commands: `az extension show --name ml` fails when it is not
# installed; `add --yes` installs without a prompt (Microsoft Learn, "az extension",
# https://learn.microsoft.com/cli/azure/extension).
EXTENSION = "ml"
DEPLOYMENT_SCHEMA = (
    "https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json"
)


@dataclass(frozen=True)
class Workspace:
    """The Azure ML workspace every `az ml` command names."""

    resource_group: str
    name: str

    def args(self) -> list[str]:
        return ["--resource-group", self.resource_group, "--workspace-name", self.name]


@dataclass(frozen=True)
class Release:
    """One model version going to one stage's Azure ML endpoint."""

    workspace: Workspace
    endpoint: str
    model_name: str  # the Databricks registry's name (Unity Catalog: catalog.schema.model)
    version: str
    instance_type: str
    instance_count: int

    @property
    def asset_name(self) -> str:
        return azureml_model_name(self.model_name)

    @property
    def deployment(self) -> str:
        return deployment_name(self.version)


def azureml_model_name(model_name: str) -> str:
    """Azure ML asset names take letters, digits, '-' and '_' (Unity Catalog names carry dots)."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in model_name)


def deployment_name(version: str) -> str:
    """The endpoint's deployment serving one model version."""
    return f"version-{version}"


def deployment_yaml(release: Release) -> str:
    """A managed online deployment of an MLflow model: no scoring script, no environment
    (Microsoft Learn, "Guidelines for deploying MLflow models"). JSON is valid YAML."""
    fields = {
        "$schema": DEPLOYMENT_SCHEMA,
        "name": release.deployment,
        "endpoint_name": release.endpoint,
        "model": f"azureml:{release.asset_name}:{release.version}",
        "instance_type": release.instance_type,
        "instance_count": release.instance_count,
    }
    return json.dumps(fields, indent=2) + "\n"


def extension_show() -> list[str]:
    return ["az", "extension", "show", "--name", EXTENSION, "--output", "json"]


def extension_add() -> list[str]:
    return ["az", "extension", "add", "--name", EXTENSION, "--yes"]


def _json(release: Release) -> list[str]:
    return ["--output", "json", *release.workspace.args()]


def model_show(release: Release) -> list[str]:
    model = ["--name", release.asset_name, "--version", release.version]
    return [*AZ_ML, "model", "show", *model, *_json(release)]


def model_create(release: Release, folder: str) -> list[str]:
    model = ["--name", release.asset_name, "--version", release.version]
    kind = ["--type", "mlflow_model", "--path", folder]
    return [*AZ_ML, "model", "create", *model, *kind, *release.workspace.args()]


def endpoint_show(release: Release) -> list[str]:
    return [*AZ_ML, "online-endpoint", "show", "--name", release.endpoint, *_json(release)]


def endpoint_create(release: Release) -> list[str]:
    name = ["--name", release.endpoint]
    return [*AZ_ML, "online-endpoint", "create", *name, *release.workspace.args()]


def deployment_show(release: Release) -> list[str]:
    names = ["--name", release.deployment, "--endpoint-name", release.endpoint]
    return [*AZ_ML, "online-deployment", "show", *names, *_json(release)]


def deployment_create(release: Release, file: str) -> list[str]:
    """Without `--all-traffic`: a new deployment gets none, what serves keeps serving."""
    return [*AZ_ML, "online-deployment", "create", "--file", file, *release.workspace.args()]


def deployment_list(release: Release) -> list[str]:
    where = ["--endpoint-name", release.endpoint]
    return [*AZ_ML, "online-deployment", "list", *where, *_json(release)]


def invoke(release: Release, request_file: str) -> list[str]:
    """The request to the release's own deployment, whatever its traffic share."""
    target = ["--name", release.endpoint, "--deployment-name", release.deployment]
    request = ["--request-file", request_file]
    return [*AZ_ML, "online-endpoint", "invoke", *target, *request, *release.workspace.args()]


def traffic_update(release: Release, deployments: list[str]) -> list[str]:
    """All of the traffic to the release's deployment, every other deployment named with 0:
    the values must name existing deployments and sum to 100 (Azure ML REST reference,
    OnlineEndpoint.traffic, "Traffic values need to sum to 100")."""
    live = release.deployment
    names = sorted(set(deployments) | {live})
    shares = " ".join(f"{name}={100 if name == live else 0}" for name in names)
    update = [*AZ_ML, "online-endpoint", "update", "--name", release.endpoint]
    return [*update, "--traffic", shares, *release.workspace.args()]


def deployment_delete(release: Release, name: str) -> list[str]:
    where = ["--endpoint-name", release.endpoint, "--name", name, "--yes"]
    return [*AZ_ML, "online-deployment", "delete", *where, *release.workspace.args()]


def serving_deployment(traffic: dict[str, int]) -> str | None:
    """The deployment that serves now (the largest share; None when none has traffic)."""
    serving = [(share, name) for name, share in traffic.items() if share > 0]
    return max(serving)[1] if serving else None


def all_traffic_on(traffic: dict[str, int], deployment: str) -> bool:
    return {name: share for name, share in traffic.items() if share} == {deployment: 100}


def to_delete(deployments: list[str], live: str, previous: str | None) -> list[str]:
    """The deployments that go once `live` has the traffic: all but it and the one that
    served before it (kept, with its instances, for a rollback)."""
    return sorted(name for name in deployments if name not in (live, previous))
