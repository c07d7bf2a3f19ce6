"""What a reviewer must see first when generated files change (issue 13, `mlopsgen upgrade`):
each stage's controls, before and after, read from the generated files themselves:

- approval: the stage's inline `ManualValidation@1` (approvers, timeout, what a timeout does,
  whether approvers may approve their own runs), or the Azure DevOps environment its deploy
  job targets (whose checks live in Azure DevOps), from `azure-pipelines.yml`;
- gates: the `gates` parameter of the gate task in the stage's deploy job.

A pack's template or default that drops an approval or loosens a gate then reads as one line
(`production: approval: ... -> none`) instead of hiding in a long diff. Pure functions over
texts; no spec, no file access.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mlopsgen.runtime import contract

NONE = "none"
_APPROVAL_TASK = "ManualValidation@"


def controls(
    pipeline_text: str | None, stage_ids: Mapping[str, str], deploy_jobs: Mapping[str, str | None]
) -> dict[str, dict[str, str]]:
    """Each stage's approval and gates, by stage name, from one side's pipeline and deploy
    job texts (None: the file is not there)."""
    approved = approvals(pipeline_text, stage_ids)
    return {
        name: {"approval": approved[name], "gates": gates(deploy_jobs.get(name))}
        for name in stage_ids
    }


def approvals(pipeline_text: str | None, stage_ids: Mapping[str, str]) -> dict[str, str]:
    """Each stage's approval, by stage name; `stage_ids` maps names to pipeline stage ids."""
    stages = _pipeline_stages(pipeline_text)
    return {name: _approval(stages.get(stage_id)) for name, stage_id in stage_ids.items()}


def gates(job_text: str | None) -> str:
    """The deploy job's gates, e.g. `rmse <= 0.75; rmse vs champion (lower is better)`."""
    if job_text is None:
        return NONE
    try:
        settings = json.loads(job_text)
    except ValueError:
        return "(not JSON)"
    for task in settings.get("tasks", []) if isinstance(settings, dict) else []:
        if isinstance(task, dict) and task.get("task_key") == contract.GATE:
            raw = task.get("notebook_task", {}).get("base_parameters", {}).get(contract.GATES)
            return _describe_gates(raw)
    return NONE


def changes(
    before: Mapping[str, Mapping[str, str]], after: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """`stage: control: old -> new` for every control that differs, in stage order."""
    lines = []
    for stage, controls in after.items():
        old = before.get(stage, {})
        for control, value in controls.items():
            previous = old.get(control, NONE)
            if previous != value:
                lines.append(f"{stage}: {control}: {previous} -> {value}")
    return lines


def _pipeline_stages(text: str | None) -> dict[str, Mapping[str, Any]]:
    if text is None:
        return {}
    import yaml

    try:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    stages = loaded.get("stages") if isinstance(loaded, dict) else None
    return {str(s["stage"]): s for s in stages or [] if isinstance(s, dict) and "stage" in s}


def _approval(stage: Mapping[str, Any] | None) -> str:
    if stage is None:
        return NONE
    found = []
    for job in stage.get("jobs") or []:
        if not isinstance(job, dict):
            continue
        if job.get("environment"):
            environment = job["environment"]
            name = environment.get("name") if isinstance(environment, dict) else environment
            found.append(f"environment {name} (its checks are set in Azure DevOps)")
        for step in job.get("steps") or []:
            if isinstance(step, dict) and str(step.get("task", "")).startswith(_APPROVAL_TASK):
                found.append(_manual_validation(step))
    return "; ".join(found) or NONE


def _manual_validation(step: Mapping[str, Any]) -> str:
    inputs = step.get("inputs") or {}
    approvers = inputs.get("approvers") or "(anyone with queue rights)"
    self_approval = str(inputs.get("allowApproversToApproveTheirOwnRuns", True)).lower()
    return (
        f"approvers {approvers}, {step.get('timeoutInMinutes', '?')} min then "
        f"{inputs.get('onTimeout', 'reject')}, self-approval "
        f"{'allowed' if self_approval == 'true' else 'off'}"
    )


def _describe_gates(raw: Any) -> str:
    try:
        items = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        items = None
    if not isinstance(items, list):
        return "(unreadable)"
    if not items:
        return NONE
    return "; ".join(_describe_gate(g) for g in items if isinstance(g, dict))


def _describe_gate(gate: Mapping[str, Any]) -> str:
    metric = gate.get("metric")
    if gate.get("compare"):
        better = "higher" if gate.get("higher_is_better") else "lower"
        return (
            f"{metric} vs {gate['compare']} ({better} is better, "
            f"tolerance {gate.get('tolerance', 0)})"
        )
    bounds = []
    if "min" in gate:
        bounds.append(f"{metric} >= {gate['min']}")
    if "max" in gate:
        bounds.append(f"{metric} <= {gate['max']}")
    return " and ".join(bounds) or f"{metric}"
