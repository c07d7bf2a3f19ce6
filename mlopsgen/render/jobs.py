"""Databricks job definitions: one Jobs API `jobs/create` body (a JobSettings) per job.

Python decides what each job contains and builds the body as data: every object goes through
`job_fields.owned`, so the fields deploy compares are exactly the fields declared there. The
body is serialised once, canonically (sorted keys, two-space indent), by `JobFile.text`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mlopsgen import layout, timeouts
from mlopsgen.layout import JobKind
from mlopsgen.model import Schedule, Spec, Stage
from mlopsgen.render import compute, tasks
from mlopsgen.render.artifacts import JobFile
from mlopsgen.render.header import header_text
from mlopsgen.render.job_fields import owned
from mlopsgen.render.quartz import to_quartz
from mlopsgen.runtime import contract

RUNTIME_TASK_TIMEOUT_SECONDS = contract.RUNTIME_TASK_TIMEOUT_SECONDS
SERVING_TASK_TIMEOUT_SECONDS = contract.SERVING_TASK_TIMEOUT_SECONDS


# Named tuples rather than frozen dataclasses: creating each of those costs ~0.4 ms at import,
# a named tuple a sixth of that (issue 15).
class TaskPlan(NamedTuple):
    key: str
    notebook_path: str
    parameters: dict[str, str]
    compute: dict[str, Any]
    depends_on: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    timeout_seconds: int = RUNTIME_TASK_TIMEOUT_SECONDS
    max_retries: int = 0


class JobPlan(NamedTuple):
    kind: JobKind
    stage: Stage  # whose workspace holds the job (the first stage for train and pr-check)
    tasks: tuple[TaskPlan, ...]
    placement: compute.Placement
    schedule: Schedule | None = None
    parameters: tuple[dict[str, str], ...] = ()


def _runtime_notebook(stage: Stage, task: str) -> str:
    return layout.generated_notebook(stage.workspace_folder, task)


def _train_task(spec: Spec, stage: Stage, placement: compute.Placement, *, pr: bool) -> TaskPlan:
    training = spec.training
    return TaskPlan(
        key=layout.TRAIN_TASK_KEY,
        notebook_path=layout.workspace_notebook(stage.workspace_folder, training.notebook),
        parameters=tasks.train_parameters(spec, pr=pr),
        compute=placement.task,
        libraries=placement.libraries,
        timeout_seconds=training.timeout_minutes * 60,
        max_retries=training.max_retries,
    )


def train_job(spec: Spec) -> JobPlan:
    """train -> candidate; the candidate runs on the runtime's own placement (see compute).
    Never scheduled on Databricks: `deploy` removes a schedule an older release set."""
    stage = spec.stages[0]
    work = compute.workload(spec.training.compute, spec.training.libraries, spec.tags)
    after = compute.runtime(spec.runtime_compute, spec.tags)
    candidate = TaskPlan(
        key=contract.CANDIDATE,
        notebook_path=_runtime_notebook(stage, contract.CANDIDATE),
        parameters=tasks.candidate(spec),
        compute=after.task,
        depends_on=(layout.TRAIN_TASK_KEY,),
        libraries=after.libraries,
    )
    placement = compute.Placement(
        task={},  # the tasks carry their own placements
        job_clusters=work.job_clusters + after.job_clusters,
        environments=_unique(work.environments + after.environments),
    )
    return JobPlan(
        kind="train",
        stage=stage,
        tasks=(_train_task(spec, stage, work, pr=False), candidate),
        placement=placement,
        # No schedule: the spec's `schedule:` starts the whole pipeline (render/pipeline_schedule)
        # so a retrained version is gated, approved and deployed like any other (issue 10.9).
    )


def pr_check_job(spec: Spec) -> JobPlan:
    stage = spec.stages[0]
    work = compute.workload(spec.training.compute, spec.training.libraries, spec.tags)
    return JobPlan(
        kind="pr-check",
        stage=stage,
        tasks=(_train_task(spec, stage, work, pr=True),),
        placement=work,
    )


def serves_on_databricks(spec: Spec) -> bool:
    return spec.serving is not None and spec.serving.target == "databricks-serving"


def promotes_on_databricks(spec: Spec) -> bool:
    """Azure ML serving promotes from the pipeline agent (`mlopsgen azureml-deploy`), after
    it moved the endpoint's traffic: nothing Azure-ML-specific runs on a cluster, which has
    no Azure CLI and no Azure login (issue 10)."""
    return spec.serving is None or spec.serving.target != "azureml"


def deploy_job(spec: Spec, stage: Stage) -> JobPlan:
    """gate -> [deploy_serving -> smoke_test] -> promote: the stage's alias (and `champion`
    on the last stage) moves only after the candidate is served and answered the smoke test,
    so a failed serving or smoke test leaves every alias where it was. For Azure ML the job
    is the gate alone: the pipeline agent serves, tests, moves the traffic and promotes."""
    placement = compute.runtime(spec.runtime_compute, spec.tags)
    steps: list[tuple[str, dict[str, str], int]] = [
        (contract.GATE, tasks.gate(spec, stage), RUNTIME_TASK_TIMEOUT_SECONDS),
    ]
    serving = spec.serving
    if serving is not None and serves_on_databricks(spec):
        serve = tasks.deploy_serving(spec, stage)
        steps.append((contract.DEPLOY_SERVING, serve, SERVING_TASK_TIMEOUT_SECONDS))
        if serving.smoke_test is not None:
            steps.append(
                (contract.SMOKE_TEST, tasks.smoke_test(spec, stage), RUNTIME_TASK_TIMEOUT_SECONDS)
            )
    # promote puts the served candidate live (moves the endpoint's traffic) before the alias
    online = serves_on_databricks(spec)
    promote_timeout = SERVING_TASK_TIMEOUT_SECONDS if online else RUNTIME_TASK_TIMEOUT_SECONDS
    if promotes_on_databricks(spec):
        steps.append((contract.PROMOTE, tasks.promote(spec, stage), promote_timeout))
    chain = tuple(
        TaskPlan(
            key=key,
            notebook_path=_runtime_notebook(stage, key),
            parameters=params,
            compute=placement.task,
            depends_on=(steps[i - 1][0],) if i else (),
            libraries=placement.libraries,
            timeout_seconds=timeout,
        )
        for i, (key, params, timeout) in enumerate(steps)
    )
    return JobPlan(
        kind="deploy",
        stage=stage,
        tasks=chain,
        placement=placement,
        parameters=(
            {"name": layout.MODEL_VERSION_PARAMETER, "default": ""},
            {"name": layout.DEPLOY_MODE_PARAMETER, "default": contract.MODE_DEPLOY},
        ),
    )


def batch_job(spec: Spec, stage: Stage) -> JobPlan:
    assert spec.serving is not None and spec.serving.compute is not None
    # batch_score loads the model in-process (spark_udf, env_manager="local"), so it needs
    # the training libraries (the model's flavour, e.g. xgboost) beside the runtime's pins.
    own = spec.serving.compute != spec.training.compute  # serving.compute was given
    work = compute.scoring(spec.serving.compute, spec.training.libraries, spec.tags, own=own)
    score = TaskPlan(
        key=contract.BATCH_SCORE,
        notebook_path=_runtime_notebook(stage, contract.BATCH_SCORE),
        parameters=tasks.batch_score(spec, stage),
        compute=work.task,
        libraries=work.libraries,
        timeout_seconds=spec.training.timeout_minutes * 60,
    )
    return JobPlan(
        kind="batch",
        stage=stage,
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


def _unique(items: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def _schedule(schedule: Schedule) -> dict[str, Any]:
    return owned(
        "schedule",
        {
            "quartz_cron_expression": to_quartz(schedule.cron),
            "timezone_id": schedule.timezone,
            "pause_status": "PAUSED" if schedule.paused else "UNPAUSED",
        },
    )


def job_timeout(plan: JobPlan) -> int:
    return timeouts.job_seconds((t.timeout_seconds, t.max_retries) for t in plan.tasks)


def _task(task: TaskPlan) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task_key": task.key,
        **task.compute,
        "timeout_seconds": task.timeout_seconds,
        "max_retries": task.max_retries,
        "notebook_task": owned(
            "notebook_task",
            {
                "notebook_path": task.notebook_path,
                "source": "WORKSPACE",
                "base_parameters": dict(task.parameters),
            },
        ),
    }
    if task.depends_on:
        body["depends_on"] = [owned("depends_on", {"task_key": key}) for key in task.depends_on]
    if task.libraries:
        body["libraries"] = [{"pypi": {"package": package}} for package in task.libraries]
    return owned("task", body)


def job_settings(spec: Spec, plan: JobPlan) -> dict[str, Any]:
    """The job's `jobs/create` body."""
    description = header_text(spec)
    if spec.description:
        description = f"{description}\n\n{spec.description}"
    settings: dict[str, Any] = {
        "name": layout.job_name(spec.name, plan.kind, plan.stage.name),
        "description": description,
        # the spec's tags, and the identity tag last: nothing overrides it (validation also
        # refuses it among the spec's tags)
        "tags": {
            **spec.tags,
            layout.IDENTITY_TAG: layout.job_identity(spec.name, plan.kind, plan.stage.name),
        },
        "max_concurrent_runs": 1,
        # Queue a run that finds another one active (a scheduled run while the pipeline starts
        # one) instead of skipping it: API 2.2 defaults to this, 2.1 does not.
        "queue": owned("queue", {"enabled": True}),
        "timeout_seconds": job_timeout(plan),
        "tasks": [_task(task) for task in plan.tasks],
    }
    if plan.schedule is not None:
        settings["schedule"] = _schedule(plan.schedule)
    if plan.stage.run_as is not None:
        settings["run_as"] = owned("run_as", {"service_principal_name": plan.stage.run_as})
    if spec.owners:
        settings["email_notifications"] = owned(
            "email_notifications", {"on_failure": list(spec.owners)}
        )
    if plan.parameters:
        settings["parameters"] = [owned("parameter", dict(p)) for p in plan.parameters]
    if plan.placement.job_clusters:
        settings["job_clusters"] = list(plan.placement.job_clusters)  # JSON arrays are lists
    if plan.placement.environments:
        settings["environments"] = list(plan.placement.environments)
    if access_control(spec):
        settings["access_control_list"] = access_control(spec)
    return owned("job", settings)


def access_control(spec: Spec) -> list[dict[str, Any]]:
    """The spec's job permissions as a jobs/create `access_control_list` (sorted, so the
    file never changes unless the spec did)."""
    entries = [
        (level, principal)
        for level, principals in (
            ("CAN_MANAGE_RUN", spec.permissions.can_manage_run),
            ("CAN_VIEW", spec.permissions.can_view),
        )
        for principal in principals
    ]
    return [
        owned("access_control", {principal.kind: principal.name, "permission_level": level})
        for level, principal in sorted(entries, key=lambda e: (e[0], e[1].kind, e[1].name))
    ]


def job_file(spec: Spec, plan: JobPlan) -> JobFile:
    stage = plan.stage.name
    return JobFile(
        kind=plan.kind,
        stage=stage,
        path=layout.job_file(plan.kind, stage),
        name=layout.job_name(spec.name, plan.kind, stage),
        identity=layout.job_identity(spec.name, plan.kind, stage),
        settings=job_settings(spec, plan),
    )


def render_jobs(spec: Spec) -> tuple[JobFile, ...]:
    """Every job of the spec, each built once."""
    return tuple(job_file(spec, plan) for plan in job_plans(spec))
