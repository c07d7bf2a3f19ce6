"""The pipeline's text and the commands agree on the names that connect them.

The pipeline is laid out by a template, so these names appear there as text; each test
reads the rendered pipeline of every example and finds the name `mlopsgen.layout` owns.
"""

from __future__ import annotations

import pytest
import yaml
from render.examples import EXAMPLES, example_spec

from mlopsgen import layout
from mlopsgen.render import render_spec


@pytest.mark.parametrize("name", EXAMPLES)
def test_deploy_stages_read_the_output_variable_run_publishes(name: str) -> None:
    text = render_spec(example_spec(name)).pipeline.text
    reference = (
        f"stageDependencies.Train.{layout.TRAIN_STEP}.outputs"
        f"['{layout.TRAIN_STEP}.{layout.MODEL_VERSION_OUTPUT}']"
    )
    assert reference in text
    steps = [
        step
        for stage in yaml.safe_load(text)["stages"]
        for job in stage.get("jobs", [])
        for step in job.get("steps", [])
    ]
    train = [s for s in steps if s.get("name") == layout.TRAIN_STEP]
    # AzureCLI@2 (inputs.inlineScript) or a plain script step (variable groups)
    assert len(train) == 1 and "--job train" in str(train[0])


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_deploy_step_passes_the_deploy_jobs_parameter(name: str) -> None:
    rendered = render_spec(example_spec(name))
    assert f'--param "{layout.MODEL_VERSION_PARAMETER}=$version"' in rendered.pipeline.text
    for job in rendered.jobs:
        if job.kind == "deploy":
            names = [p["name"] for p in job.settings["parameters"]]
            assert names == [layout.MODEL_VERSION_PARAMETER, layout.DEPLOY_MODE_PARAMETER]


def test_job_names_and_files_are_distinct_per_kind_and_stage() -> None:
    seen_files, seen_names, seen_ids = set(), set(), set()
    for kind in layout.JOB_KINDS:
        for stage in ("dev", "prod"):
            seen_files.add(layout.job_file(kind, stage))
            seen_names.add(layout.job_name("m", kind, stage))
            seen_ids.add(layout.job_identity("m", kind, stage))
    # train and pr-check are per spec, deploy and batch per stage: 2 + 2 * 2 of each
    assert len(seen_files) == len(seen_names) == len(seen_ids) == 6
