"""Run a training notebook the way a Databricks job task runs it, in the Python running this.

    python notebook_runner.py NOTEBOOK PARAMETERS_JSON RESULT_JSON

Standard library only (plus the notebook's own imports): the tests run it with the
interpreter of a `.venv-dbr/mlflow-<version>` environment. The notebook gets a `dbutils`
global as strict as Databricks' for what a training notebook uses:

- widgets: `text` declares a widget; `get` returns the job's base parameter, else the
  declared default, and refuses a widget that was never declared (as a notebook on
  Databricks fails on an undefined widget);
- `jobs.taskValues.set`: string keys, values "that can be expressed as valid JSON", at most
  48 KiB as JSON (Databricks, "Use task values to pass information between tasks").

It also sees the tracking URI as `databricks`, as on a cluster, so its registry choice runs;
the registry URI it picks is recorded, not applied, and MLflow keeps using the local server.
RESULT_JSON receives MLflow's version, the task values, the widgets declared and the registry
URIs chosen.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path
from typing import Any

TASK_VALUE_MAX_BYTES = 48 * 1024


class Widgets:
    def __init__(self, parameters: dict[str, str]) -> None:
        self.parameters = parameters
        self.declared: dict[str, str] = {}

    def text(self, name: str, defaultValue: str, label: str | None = None) -> None:
        for value in (name, defaultValue, "" if label is None else label):
            if not isinstance(value, str):
                raise TypeError("widgets.text(name, defaultValue, label) takes strings")
        self.declared[name] = defaultValue

    def get(self, name: str) -> str:
        if name not in self.declared:
            raise ValueError(f"InputWidgetNotDefined: no input widget named {name}")
        return self.parameters.get(name, self.declared[name])


class TaskValues:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def set(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError("task value keys must be strings")
        encoded = json.dumps(value, allow_nan=False)  # raises for what JSON cannot hold
        if len(encoded.encode("utf-8")) > TASK_VALUE_MAX_BYTES:
            raise ValueError(f"task value {key!r} is larger than 48 KiB as JSON")
        self.values[key] = value


class Jobs:
    def __init__(self) -> None:
        self.taskValues = TaskValues()  # dbutils' own name


class DBUtils:
    def __init__(self, parameters: dict[str, str]) -> None:
        self.widgets = Widgets(parameters)
        self.jobs = Jobs()


def main(notebook: str, parameters_file: str, result_file: str) -> None:
    import mlflow

    parameters = json.loads(Path(parameters_file).read_text(encoding="utf-8"))
    dbutils = DBUtils(parameters)
    chosen: list[str] = []

    def choose_registry(uri: str) -> None:
        chosen.append(uri)

    # Only the notebook reads these two from the `mlflow` module; MLflow's own code does not.
    mlflow.get_tracking_uri = lambda: "databricks"
    mlflow.set_registry_uri = choose_registry
    runpy.run_path(notebook, init_globals={"dbutils": dbutils}, run_name="__main__")
    result = {
        "mlflow": mlflow.__version__,
        "task_values": dbutils.jobs.taskValues.values,
        "widgets": sorted(dbutils.widgets.declared),
        "registry_uris": chosen,
    }
    Path(result_file).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
