"""The batch_score task: score the input table with the version the stage holds and write the
predictions, with that version's number beside each, to the output table.

`mlflow` and `pyspark` are imported inside the task (see registry.py's note).
"""

from __future__ import annotations

from typing import Any

from . import registry
from .contract import INPUT_TABLE, OUTPUT_TABLE, STAGE, TABLE_FORMAT
from .errors import TaskFailed
from .params import required


def _is_path(table: str) -> bool:
    return "/" in table or table.startswith(("dbfs:", "abfss:", "file:"))


def run_batch_score(params: dict[str, str]) -> int:
    required(params, STAGE, INPUT_TABLE, OUTPUT_TABLE, TABLE_FORMAT)
    import mlflow
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    reg = registry.open_registry(params)
    stage, fmt = params[STAGE], params[TABLE_FORMAT]
    version = registry.stage_holder(reg, stage)
    if version is None:
        raise TaskFailed(f"no version of {reg.name} is promoted to stage {stage!r} yet")
    # Load exactly the version the alias names now, so the model_version column cannot
    # disagree with the model that scored even if the alias moves during the run.
    uri = f"models:/{reg.name}/{version}"
    print(f"scoring {params[INPUT_TABLE]} with {reg.name} version {version} (stage {stage!r})")
    spark = SparkSession.builder.getOrCreate()
    source, target = params[INPUT_TABLE], params[OUTPUT_TABLE]
    frame = _read(spark, source, fmt)
    predict = mlflow.pyfunc.spark_udf(spark, uri, env_manager="local")
    scored = frame.withColumn("prediction", predict(F.struct(*[F.col(c) for c in frame.columns])))
    scored = scored.withColumn("model_version", F.lit(version))
    writer = scored.write.mode("overwrite").format(fmt)
    if _is_path(target):
        writer.save(target)
    else:
        writer.saveAsTable(target)
    rows = int(_read(spark, target, fmt).count())
    print(f"wrote {rows} rows with predictions of version {version} to {target} ({fmt})")
    return rows


def _read(spark: Any, table: str, fmt: str) -> Any:
    """A table by name, or the files at a path (in `fmt`)."""
    return spark.read.format(fmt).load(table) if _is_path(table) else spark.read.table(table)
