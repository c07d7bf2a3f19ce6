"""The logic behind mlopsgen's generated deploy notebooks.

This module is copied verbatim (with a header) into every rendered `notebooks/` folder as
`mlopsgen_runtime.py`, a plain workspace file that the thin generated notebooks import.
It must therefore stay self-contained: standard library at module level, and `mlflow`,
`databricks.sdk`, `pyspark` imported only inside the functions that need them.

TASK_PARAMETERS is the contract with the job renderer: for each task, the exact
`base_parameters` keys its job task passes, which are also the notebook's widget names and,
outside Databricks, its `--<key> <value>` command-line options.
"""

from __future__ import annotations

TASK_PARAMETERS: dict[str, tuple[str, ...]] = {
    # training job, after the user's notebook: resolve and hand over the candidate version
    "candidate": ("model_name", "registry", "train_task_key", "job_start_time_ms"),
    # per-stage deploy job
    "gate": ("model_name", "registry", "stage", "model_version", "gates"),
    "promote": ("model_name", "registry", "stage", "model_version", "final_stage"),
    "deploy_serving": (
        "model_name",
        "registry",
        "stage",
        "model_version",
        "target",
        "endpoint",
        "workload_size",
        "scale_to_zero",
        "instance_type",
        "instance_count",
        "azureml_resource_group",
        "azureml_workspace",
    ),
    "smoke_test": ("target", "endpoint", "endpoint_url", "request_file"),
    # per-stage batch scoring job (serving.target: batch)
    "batch_score": (
        "model_name",
        "registry",
        "stage",
        "input_table",
        "output_table",
        "table_format",
    ),
}
