"""How long each job may run: the one formula that render writes and validate checks.

A Databricks job's `timeout_seconds` covers every attempt of every task plus the time to
queue and start clusters; the pipeline's agent job that waits for it (`mlopsgen run
--timeout`) gets that, rounded up to minutes, plus the agent's own steps (checkout, pip
install, deploy). An agent job has a ceiling: Microsoft-hosted agents stop a job at 360
minutes (60 on the free tier of a private project), whatever `timeoutInMinutes` says
(Microsoft Learn, "Specify jobs in your pipeline", Timeouts; "Microsoft-hosted agents",
Capabilities and limitations). A job cut off there leaves the Databricks run it waits for
running, so `validate` refuses a spec whose jobs would not fit (issue 10).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from mlopsgen.model import Training
from mlopsgen.runtime import contract

JOB_TIMEOUT_MARGIN_SECONDS = 1800  # cluster start and queueing
AGENT_MARGIN_MINUTES = 30  # checkout, pip install, deploy
HOSTED_JOB_LIMIT_MINUTES = 360  # Microsoft-hosted agents, with paid parallel jobs
HOSTED_FREE_TIER_MINUTES = 60  # Microsoft-hosted agents, free tier of a private project
# The Azure ML rollout's share of an azureml stage's deploy job, on the agent: `az ml ... create`
# waits until the endpoint and the deployment are provisioned (often 10-20 minutes for a
# deployment), then the smoke test, the traffic update and the deletions (each waits too).
AZUREML_ROLLOUT_MINUTES = 90


def job_seconds(tasks: Iterable[tuple[int, int]]) -> int:
    """A Databricks job's timeout from its tasks' (timeout_seconds, max_retries)."""
    work = sum(timeout * (retries + 1) for timeout, retries in tasks)
    return work + JOB_TIMEOUT_MARGIN_SECONDS


def run_minutes(seconds: int) -> int:
    """How long `mlopsgen run` waits for a job with this timeout: whole minutes, rounded up."""
    return math.ceil(seconds / 60)


def agent_job_minutes(seconds: int) -> int:
    """The `timeoutInMinutes` of the agent job that runs a job with this timeout."""
    return run_minutes(seconds) + AGENT_MARGIN_MINUTES


def training_tasks(training: Training, *, pr: bool) -> list[tuple[int, int]]:
    """The (timeout, retries) of the train job's tasks (the user's notebook, then the
    runtime's candidate task), or of the pr-check job's one task."""
    train = (training.timeout_minutes * 60, training.max_retries)
    return [train] if pr else [train, (contract.RUNTIME_TASK_TIMEOUT_SECONDS, 0)]
