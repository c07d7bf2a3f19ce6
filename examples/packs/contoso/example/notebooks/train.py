# Databricks notebook source
# MAGIC %md
# MAGIC # Train: minimal
# MAGIC
# MAGIC Trains a ridge regression on the diabetes data set that ships with scikit-learn, logs
# MAGIC `rmse` and `r2` to MLflow and registers it under the spec's `model.name`.
# MAGIC
# MAGIC **Parameters from mlopsgen** (widgets): `mlopsgen_model_name` and `mlopsgen_registry`
# MAGIC come from model.yaml, so no model name is written here; `mlopsgen_mode` is `pr` in the
# MAGIC pull-request check, which trains and logs but registers nothing.
# MAGIC
# MAGIC **Hand-over** (last cell):
# MAGIC `dbutils.jobs.taskValues.set(key="model_version", value=str(version))`.
# MAGIC
# MAGIC Runs on the MLflow of the Databricks runtime the spec selects, 2.x (15.4 and 16.4 LTS
# MAGIC ML) or 3.x (17.3 LTS ML). Outside Databricks: `python notebooks/train.py` with
# MAGIC `MLFLOW_TRACKING_URI` set; each parameter can be given as the environment variable
# MAGIC `MLOPSGEN_<NAME>`, e.g. `MLOPSGEN_MLOPSGEN_MODEL_NAME` (or the shorter
# MAGIC `MLOPSGEN_MODEL_NAME`); without it, `model.name` of the model.yaml above the notebook.

# COMMAND ----------

import json
import os
from pathlib import Path

import cloudpickle
import mlflow
import numpy
import pandas
import sklearn
import yaml
from mlflow.models import infer_signature
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

# On Databricks `dbutils` is a notebook global; run as a script it does not exist.
dbutils = globals().get("dbutils")
# mlopsgen's own parameters; their defaults only serve runs by hand.
MLOPSGEN = {"mlopsgen_model_name": "", "mlopsgen_registry": "", "mlopsgen_mode": "train"}
DEFAULTS = dict(MLOPSGEN)


def param(name: str) -> str:
    if dbutils is not None:
        dbutils.widgets.text(name, DEFAULTS[name])
        return str(dbutils.widgets.get(name))
    names = [f"MLOPSGEN_{name.upper()}"]
    if name in MLOPSGEN:  # also MLOPSGEN_MODEL_NAME, MLOPSGEN_REGISTRY, MLOPSGEN_MODE
        names.append(f"MLOPSGEN_{name.removeprefix('mlopsgen_').upper()}")
    given = next((os.environ[n] for n in names if n in os.environ), None)
    if given is None and name == "mlopsgen_model_name":
        given = model_name_from_spec()
    return DEFAULTS[name] if given is None else given


def model_name_from_spec() -> str | None:
    """Run by hand outside Databricks: model.name from the model.yaml above this notebook."""
    here = Path(globals().get("__file__", ".")).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "model.yaml").is_file():
            spec = yaml.safe_load((folder / "model.yaml").read_text(encoding="utf-8"))
            return str(spec["model"]["name"])
    return None


params = {name: param(name) for name in DEFAULTS}
print(f"parameters: {params}")
register = params["mlopsgen_mode"] != "pr"  # a PR check must not register a model
if register and not params["mlopsgen_model_name"]:
    raise ValueError(
        "mlopsgen_model_name is empty: mlopsgen's training job passes model.yaml's model.name "
        "(by hand, set MLOPSGEN_MLOPSGEN_MODEL_NAME)"
    )

# COMMAND ----------

features, target = load_diabetes(return_X_y=True, as_frame=True)
x_train, x_test, y_train, y_test = train_test_split(
    features, target, test_size=0.25, random_state=42
)
model = Ridge(alpha=1.0).fit(x_train, y_train)
predictions = model.predict(x_test)
metrics = {
    "rmse": float(mean_squared_error(y_test, predictions) ** 0.5),
    "r2": float(r2_score(y_test, predictions)),
}
print(f"metrics: {metrics}")

# COMMAND ----------

# On Databricks, name the registry: MLflow's default differs between versions and workspaces.
if mlflow.get_tracking_uri().startswith("databricks"):
    registries = {"unity-catalog": "databricks-uc", "workspace": "databricks"}
    if params["mlopsgen_registry"] not in registries:
        raise ValueError(f"mlopsgen_registry must be one of {sorted(registries)}")
    mlflow.set_registry_uri(registries[params["mlopsgen_registry"]])
# MLflow 3 names a logged model with `name`; MLflow 2 has only `artifact_path`.
where = "name" if int(mlflow.__version__.split(".")[0]) >= 3 else "artifact_path"
with mlflow.start_run(run_name=f"minimal-{params['mlopsgen_mode']}") as run:
    mlflow.log_params({k: v for k, v in params.items() if k not in MLOPSGEN})
    mlflow.log_metrics(metrics)
    logged = mlflow.sklearn.log_model(
        model,
        **{where: "model"},
        signature=infer_signature(x_test, predictions),  # Unity Catalog requires one
        input_example=x_test.head(2),
        serialization_format="cloudpickle",  # Databricks' default, chosen here everywhere
        # explicit requirements: inference costs seconds and can guess wrong
        pip_requirements=[
            f"scikit-learn=={sklearn.__version__}",
            f"pandas=={pandas.__version__}",
            f"numpy=={numpy.__version__}",
            f"cloudpickle=={cloudpickle.__version__}",
        ],
    )
# register_model returns the new version on MLflow 2 and 3 alike (ModelInfo has no
# registered_model_version before MLflow 3).
version = ""
if register:
    version = str(mlflow.register_model(logged.model_uri, params["mlopsgen_model_name"]).version)
print(f"run {run.info.run_id}: " + (f"registered version {version}" if register else "PR mode"))

# COMMAND ----------

# mlopsgen hand-over contract: tell the candidate task which version this run registered.
if dbutils is not None and version:
    dbutils.jobs.taskValues.set(key="model_version", value=version)
print(json.dumps({"model_version": version}))
