"""The rendered batch-scoring notebook on real local Spark, loading the model by its stage
alias from the MLflow server and writing parquet (Delta's jars cannot be downloaded here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runtime.support import REPO, render_tree, run_notebook, task_parameters

pytestmark = [pytest.mark.mlflow_server, pytest.mark.spark]

BATCH_SPEC = REPO / "specs" / "churn-batch" / "model.yaml"
SPARK_ENV = {
    "SPARK_LOCAL_IP": "127.0.0.1",
    "PYSPARK_SUBMIT_ARGS": (
        "--master local[2] --driver-memory 512m --conf spark.ui.enabled=false "
        "--conf spark.sql.shuffle.partitions=2 pyspark-shell"
    ),
}


def test_batch_scoring_writes_predictions_and_the_model_version(
    env: dict[str, str], client: Any, make_versions: Any, tmp_path: Path
) -> None:
    import pandas as pd
    from sklearn.datasets import load_wine

    tree = render_tree(BATCH_SPEC, tmp_path / "rendered")
    name = make_versions({"rmse": 0.3}, {"rmse": 0.2})
    client.set_registered_model_alias(name, "dev", "2")
    features = load_wine(as_frame=True).data.head(25)
    features.to_parquet(tmp_path / "customers.parquet")
    values = task_parameters(tree, "batch-dev", "batch_score") | {
        "model_name": name,
        "input_table": str(tmp_path / "customers.parquet"),
        "output_table": str(tmp_path / "scores"),
        "table_format": "parquet",
    }

    result = run_notebook(tree, "batch_score", values, env | SPARK_ENV)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "wrote 25 rows with predictions of version 2" in result.stdout
    scores = pd.read_parquet(tmp_path / "scores")
    assert len(scores) == 25
    assert list(scores.columns) == [*features.columns, "prediction", "model_version"]
    assert set(scores["model_version"]) == {"2"}
    assert scores["prediction"].notna().all()
    assert scores["prediction"].between(-1, 3).all()  # wine classes 0..2, regressed
