"""Validate's last layer, on the built Spec: what the pipeline would ask of its agents.

A Microsoft-hosted agent stops a job at 360 minutes whatever its `timeoutInMinutes` says
(see `mlopsgen.timeouts`), and a job cut off there leaves the Databricks run it waits for
running, unwatched. The training jobs' length is the user's to choose (`timeout_minutes`,
`max_retries`), so a spec whose agent job would outgrow the limit is refused here, with the
minutes it would need and what fits, rather than cut off on its first long run.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlopsgen import timeouts
from mlopsgen.model import Spec
from mlopsgen.spec.findings import Finding

CODE = "E351"


def _fitting_timeout(spec: Spec, *, pr: bool) -> int:
    """The largest training.timeout_minutes whose agent job fits the hosted limit."""
    best = 0
    low, high = 1, timeouts.HOSTED_JOB_LIMIT_MINUTES
    while low <= high:
        middle = (low + high) // 2
        trial = _agent_minutes(spec, middle, pr=pr)
        if trial <= timeouts.HOSTED_JOB_LIMIT_MINUTES:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best


def _agent_minutes(spec: Spec, timeout_minutes: int, *, pr: bool) -> int:
    training = spec.training
    tasks = timeouts.training_tasks(training, pr=pr)
    tasks[0] = (timeout_minutes * 60, training.max_retries)
    return timeouts.agent_job_minutes(timeouts.job_seconds(tasks))


def hosted_job_limits(spec: Spec) -> Iterator[Finding]:
    if spec.pipeline.pool.vm_image is None:
        return  # a self-hosted pool: its jobs may run as long as they say
    training = spec.training
    jobs = [("Train", False)]
    if training.pr_check is not None:
        jobs.append(("pull-request check", True))
    for label, pr in jobs:
        minutes = _agent_minutes(spec, training.timeout_minutes, pr=pr)
        if minutes <= timeouts.HOSTED_JOB_LIMIT_MINUTES:
            continue
        attempts = training.max_retries + 1
        tries = "attempt" if attempts == 1 else "attempts"
        fits = _fitting_timeout(spec, pr=pr)
        change = (
            f"set training.timeout_minutes to at most {fits} (with max_retries "
            f"{training.max_retries}), "
            if fits
            else "lower max_retries, "
        )
        message = (
            f"the pipeline's {label} job would need {minutes} minutes ({training.timeout_minutes} "
            f"min x {attempts} {tries} of the notebook, the rest of the Databricks job and "
            f"{timeouts.AGENT_MARGIN_MINUTES} min of agent steps), over the "
            f"{timeouts.HOSTED_JOB_LIMIT_MINUTES} minutes a Microsoft-hosted agent runs a job "
            f"({timeouts.HOSTED_FREE_TIER_MINUTES} on the free tier of a private project); "
            f"{change}or run on a self-hosted pool (pipeline.pool.name)"
        )
        yield Finding(("training", "timeout_minutes"), CODE, message)
        return  # the Train job is the longer one: one message says it


RULES = (hosted_job_limits,)


def check(spec: Spec) -> Iterator[Finding]:
    for rule in RULES:
        yield from rule(spec)
