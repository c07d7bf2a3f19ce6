"""A fake `az ml` CLI with state: models, online endpoints, their deployments and traffic.

The tests put an `az` on PATH that calls `main(sys.argv[1:])`. State lives in the JSON file
`$FAKE_AZ_STATE`; every call is appended to `$FAKE_AZ_LOG` (its arguments, the files of a
model folder, the parsed deployment file). The service's documented rules our code could
break are enforced:

- every command names the workspace (`--resource-group`, `--workspace-name`);
- a new deployment gets no traffic unless `--all-traffic` ("Deploy ... but send the
  deployment no live traffic", Microsoft Learn, "Perform safe rollout of new deployments for
  real-time inference");
- traffic names existing deployments and its values sum to 100 (Azure ML REST reference,
  OnlineEndpoint.traffic: "Traffic values need to sum to 100");
- `invoke --deployment-name` reaches that deployment whatever its traffic; without it, a
  deployment with positive weight must exist (Microsoft Learn, "Troubleshoot online
  endpoints": 404, "The endpoint doesn't have any valid deployment with positive weight");
  a model that fails answers 424 ("Model Error");
- a deployment whose provisioning failed stays, `provisioning_state: Failed` in `show`
  (Microsoft Learn, "Deploy ... by using an online endpoint": `show` reports
  `provisioning_state`), until it is deleted; creating it again is a conflict;
- `az ml` needs the `ml` extension: `az extension show --name ml` fails until
  `az extension add --name ml --yes` installed it (Microsoft Learn, "az extension",
  https://learn.microsoft.com/cli/azure/extension). The state's `extensions` (default
  `["ml"]`, preinstalled as on Microsoft-hosted agents) says what is installed; a test sets
  `[]` to start without it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

FLAGS = {"--yes", "--all-traffic"}


class AzError(Exception):
    pass


def _options(args: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        key = args[i]
        if not key.startswith("--"):
            raise AzError(f"unrecognized argument: {key}")
        if key in FLAGS:
            options[key] = "true"
            i += 1
            continue
        if i + 1 >= len(args):
            raise AzError(f"argument {key}: expected one argument")
        options[key] = args[i + 1]
        i += 2
    return options


def _records(request: Any) -> int:
    for key in ("input_data", "dataframe_split"):
        value = request.get(key) if isinstance(request, dict) else None
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            return len(value["data"])
        if isinstance(value, list):
            return len(value)
    raise AzError("(UserError) the request holds no input_data")


class FakeAz:
    def __init__(self, state: dict[str, Any], log: dict[str, Any]) -> None:
        self.state = state
        self.log = log
        self.models: dict[str, dict[str, Any]] = state.setdefault("models", {})
        self.endpoints: dict[str, dict[str, Any]] = state.setdefault("endpoints", {})

    def run(self, args: list[str]) -> str:
        if args[:1] == ["extension"] and len(args) >= 2:
            return self.extension(args[1], _options(args[2:]))
        if args[:1] == ["ml"] and "ml" not in self.state.get("extensions", ["ml"]):
            raise AzError("'ml' is misspelled or not recognized by the system")
        if args[:1] != ["ml"] or len(args) < 3:
            raise AzError(f"unknown command: {' '.join(args)}")
        group, verb, options = args[1], args[2], _options(args[3:])
        for key in ("--resource-group", "--workspace-name"):
            if not options.get(key):
                raise AzError(f"the following arguments are required: {key}")
        handler = getattr(self, f"{group}_{verb}".replace("-", "_"), None)
        if handler is None:
            raise AzError(f"unknown command: az ml {group} {verb}")
        result: str = handler(options)
        return result

    # ----- extensions --------------------------------------------------------------------

    def extension(self, verb: str, o: dict[str, str]) -> str:
        installed: list[str] = self.state.setdefault("extensions", ["ml"])
        name = o.get("--name", "")
        if verb == "show":
            if name not in installed:
                raise AzError(f"(ExtensionNotInstalled) The extension {name} is not installed.")
            return json.dumps({"name": name, "version": "2.30.0"})
        if verb == "add":
            if "--yes" not in o:
                raise AzError("adding an extension needs --yes when there is no terminal")
            installed.append(name)
            return json.dumps({"name": name})
        raise AzError(f"unknown command: az extension {verb}")

    # ----- models ------------------------------------------------------------------------

    def model_show(self, o: dict[str, str]) -> str:
        key = f"{o['--name']}:{o['--version']}"
        if key not in self.models:
            raise AzError(f"(ResourceNotFound) model {key} not found")
        return json.dumps(self.models[key])

    def model_create(self, o: dict[str, str]) -> str:
        key = f"{o['--name']}:{o['--version']}"
        if key in self.models:
            raise AzError(f"(UserError) model {key} already exists")
        files = sorted(os.listdir(o["--path"]))
        self.log["model_files"] = files
        if o.get("--type") != "mlflow_model" or "MLmodel" not in files:
            raise AzError("(UserError) an mlflow_model needs a folder holding MLmodel")
        self.models[key] = {"name": o["--name"], "version": o["--version"]}
        return json.dumps(self.models[key])

    # ----- endpoints ---------------------------------------------------------------------

    def _endpoint(self, name: str) -> dict[str, Any]:
        if name not in self.endpoints:
            raise AzError(f"(ResourceNotFound) online endpoint {name} not found")
        return self.endpoints[name]

    def online_endpoint_show(self, o: dict[str, str]) -> str:
        endpoint = self._endpoint(o["--name"])
        return json.dumps({"name": o["--name"], "traffic": endpoint["traffic"]})

    def online_endpoint_create(self, o: dict[str, str]) -> str:
        if o["--name"] in self.endpoints:
            raise AzError(f"(Conflict) online endpoint {o['--name']} already exists")
        self.endpoints[o["--name"]] = {"traffic": {}, "deployments": {}}
        return "{}"

    def online_endpoint_update(self, o: dict[str, str]) -> str:
        endpoint = self._endpoint(o["--name"])
        traffic = dict(endpoint["traffic"])
        for pair in o["--traffic"].split():
            name, _, share = pair.partition("=")
            if name not in endpoint["deployments"]:
                raise AzError(f"(UserError) traffic names unknown deployment {name}")
            traffic[name] = int(share)
        if sum(traffic.values()) != 100:
            raise AzError(f"(UserError) traffic values need to sum to 100: {traffic}")
        endpoint["traffic"] = traffic
        return "{}"

    def online_endpoint_invoke(self, o: dict[str, str]) -> str:
        endpoint = self._endpoint(o["--name"])
        deployment = o.get("--deployment-name")
        if deployment is None:
            positive = [n for n, share in sorted(endpoint["traffic"].items()) if share > 0]
            if not positive:
                raise AzError("404: the endpoint has no valid deployment with positive weight")
            deployment = positive[0]
        if deployment not in endpoint["deployments"]:
            raise AzError(f"(ResourceNotFound) deployment {deployment} not found")
        self.log["served_by"] = deployment
        if deployment in self.state.get("broken", []):
            raise AzError(f"424 Model Error: deployment {deployment} failed to score")
        records = _records(json.loads(Path(o["--request-file"]).read_text()))
        if deployment in self.state.get("short", []):  # answers one prediction too few
            records -= 1
        return json.dumps(json.dumps([5.5] * records))  # az prints the answer as a string

    # ----- deployments -------------------------------------------------------------------

    def online_deployment_show(self, o: dict[str, str]) -> str:
        endpoint = self._endpoint(o["--endpoint-name"])
        if o["--name"] not in endpoint["deployments"]:
            raise AzError(f"(ResourceNotFound) deployment {o['--name']} not found")
        return json.dumps(endpoint["deployments"][o["--name"]])

    def online_deployment_list(self, o: dict[str, str]) -> str:
        endpoint = self._endpoint(o["--endpoint-name"])
        return json.dumps([{"name": n} for n in sorted(endpoint["deployments"])])

    def online_deployment_create(self, o: dict[str, str]) -> str:
        spec = json.loads(Path(o["--file"]).read_text())
        self.log["file"] = spec
        endpoint = self._endpoint(spec["endpoint_name"])
        name = spec["name"]
        if name in endpoint["deployments"]:
            raise AzError(f"(Conflict) deployment {name} already exists")
        model = spec["model"].removeprefix("azureml:")
        if model not in self.models:
            raise AzError(f"(ResourceNotFound) model {model} not found")
        if name in self.state.get("fail_create", []):  # provisioning fails: a Failed leftover
            endpoint["deployments"][name] = spec | {"provisioning_state": "Failed"}
            endpoint["traffic"][name] = 0
            raise AzError(f"(ResourceOperationFailure) deployment {name} failed to provision")
        endpoint["deployments"][name] = spec | {"provisioning_state": "Succeeded"}
        if "--all-traffic" in o:
            endpoint["traffic"] = {n: 0 for n in endpoint["traffic"]} | {name: 100}
        else:
            endpoint["traffic"][name] = 0
        return json.dumps(spec)

    def online_deployment_delete(self, o: dict[str, str]) -> str:
        endpoint = self._endpoint(o["--endpoint-name"])
        if o["--name"] not in endpoint["deployments"]:
            raise AzError(f"(ResourceNotFound) deployment {o['--name']} not found")
        if "--yes" not in o:
            raise AzError("deleting needs --yes when there is no terminal to confirm")
        del endpoint["deployments"][o["--name"]]
        endpoint["traffic"].pop(o["--name"], None)
        return "{}"


def main(argv: list[str]) -> int:
    state_file = Path(os.environ["FAKE_AZ_STATE"])
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    log: dict[str, Any] = {"args": argv}
    try:
        out = FakeAz(state, log).run(argv)
        code = 0
    except (AzError, KeyError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        out, code = "", 1
    state_file.write_text(json.dumps(state))
    with open(os.environ["FAKE_AZ_LOG"], "a") as stream:
        stream.write(json.dumps(log | {"exit": code}) + "\n")
    if out:
        print(out)
    return code
