"""Databricks job definitions: one Jobs API `jobs/create` body (a JobSettings) per file.

Python decides what each job contains; `templates/jobs/job.json.j2` lays it out. The text
the template produces is parsed and re-dumped with sorted keys and a two-space indent, so
the bytes are canonical whatever the template's whitespace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mlopsgen.model import Schedule, Spec, Stage
from mlopsgen.render import compute, tasks
from mlopsgen.render.canonical import canonical_json
from mlopsgen.render.environment import render_template
from mlopsgen.render.header import header_text
from mlopsgen.render.quartz import to_quartz

RUNTIME_TASK_TIMEOUT_SECONDS = 1200
SERVING_TASK_TIMEOUT_SECONDS = 3600  # endpoint creation and readiness can take a while
JOB_TIMEOUT_MARGIN_SECONDS = 1800  # cluster start and queueing


@dataclass(frozen=True)
class TaskPlan:
    key: str
    notebook_path: str
    parameters: dict[str, str]
    compute: dict[str, Any]
    depends_on: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    timeout_seconds: int = RUNTIME_TASK_TIMEOUT_SECONDS
    max_retries: int = 0


@dataclass(frozen=True)
class JobPlan:
    path: str  # relative to the output root
    identity: str  # the `mlopsgen-id` tag
    name: str
    tasks: tuple[TaskPlan, ...]
    placement: compute.Placement
    schedule: Schedule | None = None
    parameters: tuple[dict[str, str], ...] = field(default=())


def notebook_path(stage: Stage, relative: str) -> str:
    """Workspace path of a notebook uploaded from `relative` (spec folder), without `.py`."""
    stem = relative[: -len(".py")] if relative.endswith(".py") else relative
    return f"{stage.workspace_folder}/{stem}"


def _runtime_notebook(stage: Stage, name: str) -> str:
    return f"{stage.workspace_folder}/notebooks/{name}"


def _train_task(spec: Spec, stage: Stage, placement: compute.Placement, *, pr: bool) -> TaskPlan:
    training = spec.training
    return TaskPlan(
        key=tasks.TRAIN_TASK_KEY,
        notebook_path=notebook_path(stage, training.notebook),
        parameters=tasks.train_parameters(spec, pr=pr),
        compute=placement.task,
        libraries=training.libraries if placement.uses_libraries else (),
        timeout_seconds=training.timeout_minutes * 60,
        max_retries=training.max_retries,
    )


def train_job(spec: Spec) -> JobPlan:
    stage = spec.stages[0]
    work = compute.workload(spec.training.compute, spec.training.libraries)
    after = compute.beside(work, spec.training.compute)
    candidate = TaskPlan(
        key="candidate",
        notebook_path=_runtime_notebook(stage, "candidate"),
        parameters=tasks.candidate(spec),
        compute=after.task,
        depends_on=(tasks.TRAIN_TASK_KEY,),
    )
    placement = compute.Placement(
        job_clusters=work.job_clusters,
        environments=_unique(work.environments + after.environments),
    )
    return JobPlan(
        path="databricks/train.json",
        identity=f"{spec.name}/train",
        name=f"{spec.name}-train",
        tasks=(_train_task(spec, stage, work, pr=False), candidate),
        placement=placement,
        schedule=spec.schedule,
    )


def pr_check_job(spec: Spec) -> JobPlan:
    stage = spec.stages[0]
    work = compute.workload(spec.training.compute, spec.training.libraries)
    return JobPlan(
        path="databricks/pr-check.json",
        identity=f"{spec.name}/pr-check",
        name=f"{spec.name}-pr-check",
        tasks=(_train_task(spec, stage, work, pr=True),),
        placement=work,
    )


def deploy_job(spec: Spec, stage: Stage) -> JobPlan:
    placement = compute.runtime(spec.training.compute)
    steps: list[tuple[str, dict[str, str], int]] = [
        ("gate", tasks.gate(spec, stage), RUNTIME_TASK_TIMEOUT_SECONDS),
        ("promote", tasks.promote(spec, stage), RUNTIME_TASK_TIMEOUT_SECONDS),
    ]
    serving = spec.serving
    if serving is not None and serving.target != "batch":
        serve = tasks.deploy_serving(spec, stage)
        steps.append(("deploy_serving", serve, SERVING_TASK_TIMEOUT_SECONDS))
        if serving.smoke_test is not None:
            steps.append(
                ("smoke_test", tasks.smoke_test(spec, stage), RUNTIME_TASK_TIMEOUT_SECONDS)
            )
    chain = tuple(
        TaskPlan(
            key=key,
            notebook_path=_runtime_notebook(stage, key),
            parameters=params,
            compute=placement.task,
            depends_on=(steps[i - 1][0],) if i else (),
            timeout_seconds=timeout,
        )
        for i, (key, params, timeout) in enumerate(steps)
    )
    return JobPlan(
        path=f"databricks/deploy-{stage.name}.json",
        identity=f"{spec.name}/deploy/{stage.name}",
        name=f"{spec.name}-deploy-{stage.name}",
        tasks=chain,
        placement=placement,
        parameters=({"name": "model_version", "default": ""},),
    )


def batch_job(spec: Spec, stage: Stage) -> JobPlan:
    assert spec.serving is not None
    # batch_score loads the model in-process (spark_udf, env_manager="local"), so it needs
    # the training libraries (the model's flavour, e.g. xgboost) beside the runtime's pins.
    libraries = spec.training.libraries
    work = compute.workload(spec.training.compute, (*libraries, *compute.RUNTIME_REQUIREMENTS))
    score = TaskPlan(
        key="batch_score",
        notebook_path=_runtime_notebook(stage, "batch_score"),
        parameters=tasks.batch_score(spec, stage),
        compute=work.task,
        libraries=libraries if work.uses_libraries else (),
        timeout_seconds=spec.training.timeout_minutes * 60,
    )
    return JobPlan(
        path=f"databricks/batch-{stage.name}.json",
        identity=f"{spec.name}/batch/{stage.name}",
        name=f"{spec.name}-batch-{stage.name}",
        tasks=(score,),
        placement=work,
        schedule=spec.serving.batch_schedule,
    )


def job_plans(spec: Spec) -> tuple[JobPlan, ...]:
    plans = [train_job(spec)]
    if spec.training.pr_check is not None:
        plans.append(pr_check_job(spec))
    plans.extend(deploy_job(spec, stage) for stage in spec.stages)
    if spec.serving is not None and spec.serving.target == "batch":
        plans.extend(batch_job(spec, stage) for stage in spec.stages)
    return tuple(plans)


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _schedule(schedule: Schedule | None) -> dict[str, str] | None:
    if schedule is None:
        return None
    return {
        "quartz_cron_expression": to_quartz(schedule.cron),
        "timezone_id": schedule.timezone,
        "pause_status": "PAUSED" if schedule.paused else "UNPAUSED",
    }


def job_timeout(plan: JobPlan) -> int:
    work = sum(t.timeout_seconds * (t.max_retries + 1) for t in plan.tasks)
    return work + JOB_TIMEOUT_MARGIN_SECONDS


def render_job(spec: Spec, plan: JobPlan) -> str:
    description = header_text(spec)
    if spec.description:
        description = f"{description}\n\n{spec.description}"
    text = render_template(
        "jobs/job.json.j2",
        {
            "job": plan,
            "description": description,
            "owners": list(spec.owners),
            "schedule": _schedule(plan.schedule),
            "timeout_seconds": job_timeout(plan),
        },
    )
    return canonical_json(json.loads(text))
