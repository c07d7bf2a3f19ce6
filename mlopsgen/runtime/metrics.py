"""The metrics snapshot: the values every stage's gates read, copied onto the model version.

Runs, their metrics and logged models live in the workspace that created them: moving them
to another workspace takes an export and an import (Databricks, "Copy MLflow objects between
workspaces", https://docs.databricks.com/mlflow/migrate-mlflow-objects.html), and from another
workspace `get_run` answers RESOURCE_DOES_NOT_EXIST. A Unity Catalog model version is seen
from every workspace attached to the metastore ("easy sharing across workspaces and
environments": Databricks, "Migrate model versions from Workspace Model Registry to Unity
Catalog", https://docs.databricks.com/en/machine-learning/manage-model-lifecycle/upgrade-models.html).
So the candidate task, which runs in the training workspace, reads the gate metrics there and
writes them on the version (tag `mlopsgen_metrics`, with their source in
`mlopsgen_metrics_source`); the gate, in whichever workspace a stage deploys from, reads that
tag only, for the candidate and for the champion alike, and never a run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .contract import (
    METRICS_SOURCE_TAG,
    METRICS_TAG,
    TAG_VALUE_MAX,
    metrics_tag_value,
    parse_metrics_tag,
)
from .errors import TaskFailed
from .registry import Registry
from .tags import set_version_tag


def parse_metric_names(text: str) -> list[str]:
    """`--gate_metrics`: a JSON list of metric names; `[]` when no stage has a gate."""
    if not text.strip():
        raise TaskFailed("--gate_metrics is empty: pass '[]' when no stage has gates")
    try:
        names = json.loads(text)
    except ValueError as exc:
        raise TaskFailed(f"--gate_metrics is not valid JSON: {exc}") from None
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise TaskFailed(f"--gate_metrics must be a JSON list of metric names, not {text!r}")
    return sorted(set(names))


def source_metrics(
    reg: Registry, version: Any, wanted: Sequence[str]
) -> tuple[dict[str, float], dict[str, str]]:
    """The `wanted` metrics of a version, and where they were read (run id, model id).

    Each metric counts with its latest value (highest step, then newest timestamp: MLflow's
    rule for a run's metrics). The source run's value wins; only metrics the run lacks are
    asked of the MLflow 3 logged model, e.g. ones an evaluation run logged against it.
    """
    metrics: dict[str, float] = {}
    sources: dict[str, str] = {}
    if version.run_id:
        run_metrics = reg.client.get_run(version.run_id).data.metrics
        metrics.update({k: float(v) for k, v in run_metrics.items() if k in wanted})
        sources["run_id"] = str(version.run_id)
    model_id = logged_model_id(version)
    if model_id and set(wanted) - set(metrics):
        logged = latest(reg.client.get_logged_model(model_id).metrics or [])
        metrics.update({k: v for k, v in logged.items() if k in wanted and k not in metrics})
        sources["model_id"] = model_id
    return metrics, sources


def latest(metrics: Sequence[Any]) -> dict[str, float]:
    """Each metric's latest value: highest step, then newest timestamp (MLflow's own rule
    for a run's metrics, applied to a logged model's too, whose list holds every value)."""
    chosen: dict[str, Any] = {}
    for m in metrics:
        if m.key not in chosen or (m.step, m.timestamp) >= (
            chosen[m.key].step,
            chosen[m.key].timestamp,
        ):
            chosen[m.key] = m
    return {key: float(m.value) for key, m in chosen.items()}


def logged_model_id(version: Any) -> str | None:
    """The version's MLflow 3 logged model: `model_id` (Unity Catalog fills it in), else its
    source `models:/<model_id>` (the MLflow server's registry keeps only the source)."""
    model_id = getattr(version, "model_id", None)
    if model_id:
        return str(model_id)
    source = str(version.source or "")
    rest = source.removeprefix("models:/")
    if rest != source and rest and "/" not in rest and "@" not in rest:
        return rest
    return None


def write_snapshot(reg: Registry, version: Any, wanted: Sequence[str]) -> dict[str, float]:
    """Read the gate metrics where the version was trained and write them on the version."""
    metrics, sources = source_metrics(reg, version, wanted)
    value = metrics_tag_value(metrics)
    if len(value) > TAG_VALUE_MAX:
        raise TaskFailed(
            f"the {len(metrics)} gate metrics of version {version.version} take {len(value)} "
            f"characters as tag {METRICS_TAG}, over Unity Catalog's {TAG_VALUE_MAX}: gate on "
            "fewer metrics or use shorter metric names"
        )
    source = json.dumps(sources, sort_keys=True, separators=(",", ":"))
    set_version_tag(reg, str(version.version), METRICS_TAG, value)
    set_version_tag(reg, str(version.version), METRICS_SOURCE_TAG, source)
    return metrics


def read_snapshot(reg: Registry, version: Any) -> dict[str, float] | None:
    """The snapshot on a version (None if it has none); anything unreadable is an error."""
    value = (version.tags or {}).get(METRICS_TAG)
    if value is None:
        return None
    try:
        return parse_metrics_tag(str(value))
    except ValueError as exc:
        raise TaskFailed(
            f"tag {METRICS_TAG} of version {version.version} of {reg.name} is not the metrics "
            f"snapshot the candidate task writes ({exc}): run the train job again"
        ) from None
