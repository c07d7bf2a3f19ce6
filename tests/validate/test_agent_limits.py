"""Issue 10: a job longer than a Microsoft-hosted agent allows is a `validate` error (E351).

Microsoft-hosted agents stop a job at 360 minutes (60 on the free tier of a private project)
whatever `timeoutInMinutes` says (Microsoft Learn, "Specify jobs in your pipeline", Timeouts;
"Microsoft-hosted agents", Capabilities and limitations; ../shared/PLATFORM_FACTS.md). The
check and the rendered pipeline must agree: validate accepts a spec exactly when every agent
job the pipeline would run fits the limit, which is checked here on the rendered YAML itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsgen import timeouts
from mlopsgen.model import Origin
from mlopsgen.render import render_spec
from mlopsgen.spec.compile import CompileResult, compile_text

ORIGIN = Origin(spec_path="model.yaml", spec_dir=".")


def _spec_text(timeout: int, retries: int, *, pool: str = "", pr_check: bool = True) -> str:
    pr = '  pr_check: {parameters: {sample: "0.1"}}\n' if pr_check else ""
    return (
        "apiVersion: mlopsgen/v1\n"
        "name: demo\n"
        "model: {name: main.ml.demo}\n"
        "training:\n"
        "  notebook: train.py\n"
        f"  timeout_minutes: {timeout}\n"
        f"  max_retries: {retries}\n"
        f"{pr}"
        "stages:\n"
        "  - {name: staging, workspace: 'https://adb-1.1.azuredatabricks.net', "
        "service_connection: sc}\n"
        f"{pool}"
    )


def _compile(text: str) -> CompileResult:
    def read(relative: str) -> bytes | None:
        return b"# Databricks notebook source\n" if relative == "train.py" else None

    return compile_text(text, Path("model.yaml"), origin=ORIGIN, read_file=read)


def _agent_job_minutes(pipeline: str) -> dict[str, int]:
    """Every agent job's timeoutInMinutes (agentless `pool: server` jobs do not count); a job
    without one gets Azure DevOps' default, 60 minutes."""
    data: dict[str, Any] = yaml.safe_load(pipeline)
    return {
        f"{stage['stage']}.{job['job']}": int(job.get("timeoutInMinutes", 60))
        for stage in data["stages"]
        for job in stage["jobs"]
        if job.get("pool") != "server"
    }


def test_a_train_job_over_the_hosted_limit_is_located_with_the_minutes_and_the_fix() -> None:
    result = _compile(_spec_text(200, 1))
    assert result.spec is None
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "E351"
    assert (diagnostic.location.line, diagnostic.location.column) == (6, 20)
    assert diagnostic.path == "training.timeout_minutes"
    # 200 min x 2 + the candidate's 20 + 30 min of queue and clusters, + 30 min of agent steps
    assert "would need 480 minutes" in diagnostic.message
    assert "timeout_minutes to at most 140 (with max_retries 1)" in diagnostic.message
    assert "pipeline.pool.name" in diagnostic.message


def test_the_suggested_timeout_fits_and_one_more_minute_does_not() -> None:
    assert _compile(_spec_text(140, 1)).ok
    assert not _compile(_spec_text(141, 1)).ok


def test_a_self_hosted_pool_has_no_such_limit() -> None:
    pool = "pipeline: {pool: {name: gpu-agents}}\n"
    result = _compile(_spec_text(600, 2, pool=pool))
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    assert max(_agent_job_minutes(render_spec(result.spec).pipeline.text).values()) > 360


def test_no_limit_left_for_any_timeout_says_lower_the_retries() -> None:
    result = _compile(_spec_text(1, 10))
    assert result.ok  # 11 one-minute attempts fit
    result = _compile(_spec_text(60, 10))
    (diagnostic,) = result.diagnostics
    assert "to at most" in diagnostic.message or "lower max_retries" in diagnostic.message


@settings(max_examples=30, deadline=None)
@given(
    timeout=st.integers(min_value=1, max_value=400),
    retries=st.integers(min_value=0, max_value=3),
    pr_check=st.booleans(),
)
def test_validate_accepts_exactly_the_specs_whose_rendered_agent_jobs_fit(
    timeout: int, retries: int, pr_check: bool
) -> None:
    """The check reads the same formula render writes: compare with the rendered pipeline,
    rendering the spec on a self-hosted pool (which validate never limits)."""
    text = _spec_text(timeout, retries, pr_check=pr_check)
    hosted = _compile(text)
    unlimited = _compile(text + "pipeline: {pool: {name: agents}}\n")
    assert unlimited.spec is not None
    minutes = _agent_job_minutes(render_spec(unlimited.spec).pipeline.text)
    fits = max(minutes.values()) <= timeouts.HOSTED_JOB_LIMIT_MINUTES
    assert hosted.ok == fits, (minutes, [d.format() for d in hosted.diagnostics])


def test_the_rendered_train_job_timeout_is_the_shared_formula() -> None:
    result = _compile(_spec_text(90, 2))
    assert result.spec is not None
    rendered = render_spec(result.spec)
    train = next(j for j in rendered.jobs if j.kind == "train")
    pr = next(j for j in rendered.jobs if j.kind == "pr-check")
    training = result.spec.training
    assert train.timeout_seconds == timeouts.job_seconds(
        timeouts.training_tasks(training, pr=False)
    )
    assert pr.timeout_seconds == timeouts.job_seconds(timeouts.training_tasks(training, pr=True))
    minutes = _agent_job_minutes(rendered.pipeline.text)
    assert minutes["Train.train"] == timeouts.agent_job_minutes(train.timeout_seconds)
