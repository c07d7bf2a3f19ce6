"""The names the runtime shares with the renderer, the deploy code and its users.

Tasks, their parameters (a job task's `base_parameters` key = the notebook's widget name =
its `--<key>` option outside Databricks), the texts that describe them, and the aliases,
tags and task value the runtime reads and writes in the registry.

This module ships to the cluster with the runtime, so it imports nothing from mlopsgen;
the renderer, the deploy code and validation import these names from here.
"""

from __future__ import annotations

# --- tasks ----------------------------------------------------------------------------------
CANDIDATE = "candidate"
GATE = "gate"
PROMOTE = "promote"
DEPLOY_SERVING = "deploy_serving"
SMOKE_TEST = "smoke_test"
BATCH_SCORE = "batch_score"
# Every task a generated notebook runs, in the order the jobs run them.
TASKS = (CANDIDATE, GATE, PROMOTE, DEPLOY_SERVING, SMOKE_TEST, BATCH_SCORE)

# What each task does: the generated notebook's title and, outside Databricks, its --help.
TASK_TITLES: dict[str, str] = {
    CANDIDATE: "Resolve the model version the training task registered (the candidate)",
    GATE: "Check the candidate against this stage's gates; fail the job if any gate fails",
    PROMOTE: "Move this stage's alias (or registry stage) to the candidate",
    DEPLOY_SERVING: "Create or update this stage's serving endpoint",
    SMOKE_TEST: "Send the smoke-test request to this stage's endpoint",
    BATCH_SCORE: "Score the input table with this stage's model version",
}

# --- parameters -----------------------------------------------------------------------------
MODEL_NAME = "model_name"
REGISTRY = "registry"
TRAIN_TASK_KEY = "train_task_key"
JOB_START_TIME_MS = "job_start_time_ms"
STAGE = "stage"
MODEL_VERSION = "model_version"
GATES = "gates"
FINAL_STAGE = "final_stage"
TARGET = "target"
ENDPOINT = "endpoint"
WORKLOAD_SIZE = "workload_size"
SCALE_TO_ZERO = "scale_to_zero"
# The spec's tags, a JSON object, for the Model Serving endpoint deploy_serving creates or
# updates (the same tags as the jobs and clusters: issue 12).
ENDPOINT_TAGS = "endpoint_tags"
ENDPOINT_URL = "endpoint_url"
REQUEST_FILE = "request_file"
INPUT_TABLE = "input_table"
OUTPUT_TABLE = "output_table"
TABLE_FORMAT = "table_format"
# How the deploy job treats the version it is given: a normal deploy, or a rollback to an
# earlier version on purpose (threshold gates still apply; the champion comparison does not).
DEPLOY_MODE = "deploy_mode"
# The metrics any stage's gates read (a JSON list): the candidate task, which runs in the
# training workspace, copies their values onto the model version, where every stage's
# workspace can read them (runs and their metrics stay in the workspace that created them).
GATE_METRICS = "gate_metrics"
# The MLflow experiment, in the stage's own workspace, that keeps each gate's full results.
GATE_EXPERIMENT = "gate_experiment"
# The parameters whose value is a stage's own (its name, gates, endpoint, tables, folder):
# the notebooks, shared by every stage's job, give them no default, so a notebook run by hand
# is told to name its stage instead of quietly acting on the first one (issue 14).
STAGE_PARAMETERS = frozenset(
    {
        STAGE,
        GATES,
        FINAL_STAGE,
        ENDPOINT,
        ENDPOINT_URL,
        SCALE_TO_ZERO,
        REQUEST_FILE,
        INPUT_TABLE,
        OUTPUT_TABLE,
        GATE_EXPERIMENT,
    }
)
MODE_DEPLOY = "deploy"
MODE_ROLLBACK = "rollback"
DEPLOY_MODES = (MODE_DEPLOY, MODE_ROLLBACK)

# The parameters mlopsgen passes to the user's training notebook, beside the spec's own
# `training.parameters` (whose names may not start with `mlopsgen_`): the model's name and
# registry come from model.yaml, so the notebook never hard-codes them.
TRAINING_MODE = "mlopsgen_mode"  # "train", or "pr" in the pull-request check (register nothing)
TRAINING_MODEL_NAME = "mlopsgen_model_name"
TRAINING_REGISTRY = "mlopsgen_registry"

# For each task, the exact `base_parameters` keys its job task passes, in this order. Azure ML
# serving has none: it runs from the pipeline agent (mlopsgen.azureml), not on the cluster.
TASK_PARAMETERS: dict[str, tuple[str, ...]] = {
    # training job, after the user's notebook: resolve and hand over the candidate version
    CANDIDATE: (MODEL_NAME, REGISTRY, TRAIN_TASK_KEY, JOB_START_TIME_MS, GATE_METRICS),
    # per-stage deploy job
    GATE: (MODEL_NAME, REGISTRY, STAGE, MODEL_VERSION, GATES, DEPLOY_MODE, GATE_EXPERIMENT),
    PROMOTE: (
        MODEL_NAME,
        REGISTRY,
        STAGE,
        MODEL_VERSION,
        FINAL_STAGE,
        DEPLOY_MODE,
        TARGET,
        ENDPOINT,
    ),
    DEPLOY_SERVING: (
        MODEL_NAME,
        REGISTRY,
        STAGE,
        MODEL_VERSION,
        TARGET,
        ENDPOINT,
        WORKLOAD_SIZE,
        SCALE_TO_ZERO,
        ENDPOINT_TAGS,
    ),
    SMOKE_TEST: (
        MODEL_NAME,
        REGISTRY,
        STAGE,
        MODEL_VERSION,
        TARGET,
        ENDPOINT,
        ENDPOINT_URL,
        REQUEST_FILE,
    ),
    # per-stage batch scoring job (serving.target: batch)
    BATCH_SCORE: (MODEL_NAME, REGISTRY, STAGE, INPUT_TABLE, OUTPUT_TABLE, TABLE_FORMAT),
}

# Each parameter's --help text outside Databricks.
PARAMETER_HELP: dict[str, str] = {
    MODEL_NAME: "registered model name (Unity Catalog: catalog.schema.model)",
    REGISTRY: "'unity-catalog' (aliases) or 'workspace' (registry stages)",
    TRAIN_TASK_KEY: "task whose task value 'model_version' names the candidate",
    JOB_START_TIME_MS: "job run start (epoch ms): versions created since then are candidates",
    STAGE: "deploy stage name (its alias in Unity Catalog)",
    MODEL_VERSION: "candidate version ('' = the version handed over in this job run)",
    GATES: 'JSON list of gates, e.g. [{"metric": "r2", "min": 0.35}]',
    FINAL_STAGE: "'true' for the last stage: also moves 'champion' / Production",
    TARGET: "'databricks-serving', 'azureml' (live from the pipeline agent) or 'batch'",
    ENDPOINT: "serving endpoint name for this stage",
    WORKLOAD_SIZE: "Databricks serving workload size (Small, Medium, Large)",
    SCALE_TO_ZERO: "'true' to let the Databricks endpoint scale to zero",
    ENDPOINT_TAGS: 'JSON object of tags for the Databricks endpoint, e.g. {"team": "ml"}',
    ENDPOINT_URL: "invocation URL ('' = the Databricks endpoint's invocations URL)",
    REQUEST_FILE: "JSON request to send",
    INPUT_TABLE: "table name, or a path when it contains '/'",
    OUTPUT_TABLE: "table name, or a path when it contains '/'",
    TABLE_FORMAT: "output format: 'delta' on Databricks (tests use 'parquet')",
    DEPLOY_MODE: "'deploy', or 'rollback' to an earlier version (no champion comparison)",
    GATE_METRICS: 'JSON list of the metrics the gates read, e.g. ["r2", "rmse"]',
    GATE_EXPERIMENT: "MLflow experiment (in this stage's workspace) that keeps the gate results",
}

# --- time limits -------------------------------------------------------------------------------
# The job task timeouts the renderer writes; a task that waits for a service (an endpoint
# becoming ready) stops waiting well before its task is killed, so it can say why.
RUNTIME_TASK_TIMEOUT_SECONDS = 1200
SERVING_TASK_TIMEOUT_SECONDS = 3600  # endpoint creation and readiness can take a while

# --- Unity Catalog tag rules --------------------------------------------------------------------
# Registered models and model versions are Unity Catalog securables: a tag key may not contain
# any of `. , - = / :`, keys are at most 255 characters, values at most 1000, and an object
# holds at most 50 tags (Microsoft Learn, "Apply tags to Unity Catalog securable objects",
# https://learn.microsoft.com/azure/databricks/database-objects/tags, "Constraints").
# mlopsgen writes only tags that obey them, in either registry (runtime/tags.py checks).
TAG_KEY_RESERVED = frozenset(".,-=/:")
TAG_KEY_MAX = 255
TAG_VALUE_MAX = 1000
TAGS_PER_OBJECT_MAX = 50

# --- the registry and the job run ------------------------------------------------------------
# The task value that hands a model version from one task to the next (the training
# notebook sets it too: see the README's hand-over contract).
MODEL_VERSION_KEY = "model_version"
CHAMPION_ALIAS = "champion"
PREVIOUS_ALIAS = "previous"  # the champion before the current one, kept for a rollback
GATE_PASSED = "passed"
GATE_FAILED = "failed"

# The tags mlopsgen writes: letters, digits and `_` only. Each family of per-stage keys has its
# own word after `mlopsgen_` (`gate`, `gaterun`, `rollback`, `stage`), so no stage name
# (`^[a-z][a-z0-9_]*$`) can make one family's key equal another's: a stage called `run_x`
# gives `mlopsgen_gate_run_x`, never the pointer of stage `x` (`mlopsgen_gaterun_x`).
TAG_PREFIX = "mlopsgen_"
# On the model version, written by the candidate task in the training workspace: the gate
# metrics' values (metrics_tag_value) and where they were read (run and logged model ids).
METRICS_TAG = "mlopsgen_metrics"
METRICS_SOURCE_TAG = "mlopsgen_metrics_source"
# Workspace registry, on the registered model: the Production version before the current one
# (registry stages keep no history).
PREVIOUS_PRODUCTION_TAG = "mlopsgen_previous_production"
# Each family's fixed part; a key is the family's part followed by the stage name.
GATE_TAG_PREFIX = "mlopsgen_gate_"
GATE_RUN_TAG_PREFIX = "mlopsgen_gaterun_"
ROLLBACK_TAG_PREFIX = "mlopsgen_rollback_"
STAGE_TAG_PREFIX = "mlopsgen_stage_"
STAGE_TAG_FAMILIES = (GATE_TAG_PREFIX, GATE_RUN_TAG_PREFIX, ROLLBACK_TAG_PREFIX, STAGE_TAG_PREFIX)
# The gate run's artifacts: the results as JSON (one object per gate) and the printed table.
GATE_RESULTS_JSON = "gate_results.json"
GATE_RESULTS_TEXT = "gate_results.txt"
# Every key without a stage name.
FIXED_TAGS = (METRICS_TAG, METRICS_SOURCE_TAG, PREVIOUS_PRODUCTION_TAG)


def gate_tag(stage: str) -> str:
    """On the model version: a stage's gate verdict (`passed` / `failed`)."""
    return f"{GATE_TAG_PREFIX}{stage}"


def gate_run_tag(stage: str) -> str:
    """On the model version: the id of the MLflow run (in the stage's own workspace, in its
    gate experiment) that keeps the stage's full gate results."""
    return f"{GATE_RUN_TAG_PREFIX}{stage}"


def rollback_tag(stage: str) -> str:
    """On the model version: set when promote put it back in a stage through a rollback."""
    return f"{ROLLBACK_TAG_PREFIX}{stage}"


def stage_tag(stage: str) -> str:
    """Workspace registry, on the registered model: the version a deploy stage holds."""
    return f"{STAGE_TAG_PREFIX}{stage}"


# The metrics snapshot: non-finite values are kept as these strings (JSON has no NaN), so a
# gate still sees them, and fails on them, instead of the value being lost.
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def metrics_tag_value(metrics: dict[str, float]) -> str:
    """The candidate's gate metrics as one compact JSON tag value (sorted, so stable)."""
    import json
    import math

    encoded = {k: v if math.isfinite(v) else NON_FINITE[str(v)] for k, v in metrics.items()}
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"), allow_nan=False)


def parse_metrics_tag(value: str) -> dict[str, float]:
    """The metrics `metrics_tag_value` wrote; ValueError for anything else."""
    import json

    decoded = json.loads(value, parse_constant=_no_constant)
    if not isinstance(decoded, dict):
        raise ValueError(f"a JSON object of metric values, not {type(decoded).__name__}")
    return {str(key): _metric_value(key, item) for key, item in decoded.items()}


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not written by mlopsgen (non-finite values are strings)")


def _metric_value(key: str, value: object) -> float:
    if isinstance(value, str) and value in NON_FINITE.values():
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"metric {key!r} has the value {value!r}, not a number")
    return float(value)
