# Databricks notebook source
# MAGIC %md
# MAGIC # Train: minimal
# MAGIC
# MAGIC Trains a ridge regression on the diabetes data set that ships with scikit-learn, logs
# MAGIC `rmse` and `r2` to MLflow and registers it under the spec's `model.name`.
# MAGIC
# MAGIC **mlopsgen hand-over contract** (one line, last cell):
# MAGIC `dbutils.jobs.taskValues.set(key="model_version", value=str(version))`.
# MAGIC In PR mode (`mlopsgen_mode == "pr"`) the notebook trains and logs but registers nothing.
# MAGIC
# MAGIC Outside Databricks: `python notebooks/train.py` with `MLFLOW_TRACKING_URI` set; each
# MAGIC parameter can be given as the environment variable `MLOPSGEN_<NAME>`.

# COMMAND ----------

import json
import os

import cloudpickle
import mlflow
import numpy
import pandas
import sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

# On Databricks `dbutils` is a notebook global; run as a script it does not exist.
dbutils = globals().get("dbutils")
DEFAULTS = {
    "model_name": "main.default.minimal",
    "registry": "unity-catalog",
    "mlopsgen_mode": "train",
}


def param(name: str) -> str:
    if dbutils is not None:
        dbutils.widgets.text(name, DEFAULTS[name])
        return str(dbutils.widgets.get(name))
    return os.environ.get(f"MLOPSGEN_{name.upper()}", DEFAULTS[name])


params = {name: param(name) for name in DEFAULTS}
print(f"parameters: {params}")

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

if params["registry"] == "unity-catalog" and mlflow.get_tracking_uri().startswith("databricks"):
    mlflow.set_registry_uri("databricks-uc")
register = params["mlopsgen_mode"] != "pr"  # a PR check must not register a model
with mlflow.start_run(run_name=f"minimal-{params['mlopsgen_mode']}") as run:
    mlflow.log_params({k: v for k, v in params.items() if k not in ("model_name", "registry")})
    mlflow.log_metrics(metrics)
    logged = mlflow.sklearn.log_model(
        model,
        name="model",
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
        registered_model_name=params["model_name"] if register else None,
    )
version = str(logged.registered_model_version) if register else ""
print(f"run {run.info.run_id}: " + (f"registered version {version}" if register else "PR mode"))

# COMMAND ----------

# mlopsgen hand-over contract: tell the candidate task which version this run registered.
if dbutils is not None and version:
    dbutils.jobs.taskValues.set(key="model_version", value=version)
print(json.dumps({"model_version": version}))
