"""What must fit into Unity Catalog tags: registered models and model versions are UC
securables, whose tag keys are at most 255 characters, values at most 1000, and at most 50
tags per object (Microsoft Learn, "Apply tags to Unity Catalog securable objects"; the numbers
live in `mlopsgen.runtime.contract`). The runtime writes tags whose keys hold a stage's name,
a few per stage, and one tag holding the gate metrics; a spec that would break these limits
is refused here rather than by the registry in the middle of a deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlopsgen.runtime import contract
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import dict_items, text

# Budgets: a stage name leaves 215 characters for the fixed part of every per-stage tag key;
# each stage owns one tag of each family the runtime writes (`contract.STAGE_TAG_FAMILIES`:
# gate verdict, gate run, rollback, stage version) beside 10 spec-wide tags (the runtime's
# `contract.FIXED_TAGS` and room for the user's own).
STAGE_NAME_MAX = 40
TAGS_PER_STAGE = len(contract.STAGE_TAG_FAMILIES)
SPEC_WIDE_TAGS = 10
MAX_STAGES = (contract.TAGS_PER_OBJECT_MAX - SPEC_WIDE_TAGS) // TAGS_PER_STAGE  # 10
# The longest JSON form of a finite float (17 significant digits, sign, exponent): what
# `metrics_tag_value` may have to write for each metric.
WORST_CASE_METRIC = -2.2250738585072014e-308


def stage_name_length(data: dict[str, Any]) -> Iterator[Finding]:
    for i, stage in dict_items(data.get("stages")):
        name = text(stage.get("name"))
        if name is not None and len(name) > STAGE_NAME_MAX:
            msg = (
                f"{len(name)} characters; a stage name is at most {STAGE_NAME_MAX}: it becomes "
                f"part of Unity Catalog tag keys (at most {contract.TAG_KEY_MAX} characters)"
            )
            yield Finding(("stages", i, "name"), "E324", msg)


def stage_count(data: dict[str, Any]) -> Iterator[Finding]:
    stages = data.get("stages")
    if isinstance(stages, list) and len(stages) > MAX_STAGES:
        msg = (
            f"{len(stages)} stages; at most {MAX_STAGES}: each stage adds tags to the registered "
            f"model's versions, which hold at most {contract.TAGS_PER_OBJECT_MAX} tags"
        )
        yield Finding(("stages", MAX_STAGES), "E325", msg)


def gate_metrics_snapshot(data: dict[str, Any]) -> Iterator[Finding]:
    """Every gate metric travels with the model version in one tag (`contract.METRICS_TAG`):
    the value must fit even when every metric has the longest float form. Reported at the
    metric that first makes it too long, in spec order."""
    metrics: dict[str, float] = {}
    for i, stage in dict_items(data.get("stages")):
        for j, gate in dict_items(stage.get("gates")):
            metric = text(gate.get("metric"))
            if not metric or metric in metrics:
                continue
            metrics[metric] = WORST_CASE_METRIC
            size = len(contract.metrics_tag_value(metrics))
            if size > contract.TAG_VALUE_MAX:
                msg = (
                    f"with this metric the gate metrics ({len(metrics)} names) need up to {size} "
                    f"characters in the model version tag {contract.METRICS_TAG}, which holds at "
                    f"most {contract.TAG_VALUE_MAX}; gate on fewer metrics or use shorter names"
                )
                yield Finding(("stages", i, "gates", j, "metric"), "E326", msg)
                return
