"""Issue 14: the generated notebooks serve every stage's job, so their local defaults hold no
stage's own values: run by hand, a notebook must be told its stage instead of quietly acting
on the first one (e.g. deploy_serving "in prod" targeting the staging endpoint), and a
change to one stage's gates changes its job file only.

`contract.STAGE_PARAMETERS` declares which parameters are a stage's own; this test proves
the declaration complete: outside it, every task gets the same values in every stage.
"""

from __future__ import annotations

import pytest
from render.examples import EXAMPLES, SPECS, example_spec, example_tree, origin_of

from mlopsgen.render import render_spec, tasks
from mlopsgen.runtime import contract
from mlopsgen.spec.compile import compile_text, folder_reader
from mlopsgen.writer import generated_tree

_PER_STAGE = {
    contract.GATE: tasks.gate,
    contract.PROMOTE: tasks.promote,
    contract.BATCH_SCORE: tasks.batch_score,
    contract.DEPLOY_SERVING: tasks.deploy_serving,
    contract.SMOKE_TEST: tasks.smoke_test,
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_only_the_declared_stage_parameters_differ_between_stages(name: str) -> None:
    spec = example_spec(name)
    for task, build in _PER_STAGE.items():
        try:
            per_stage = [build(spec, stage) for stage in spec.stages]
        except AssertionError:
            continue  # the spec has no such task (no serving, no smoke test)
        for params in per_stage[1:]:
            differ = {k for k in params if params[k] != per_stage[0][k]}
            assert differ <= contract.STAGE_PARAMETERS, (task, differ)


@pytest.mark.parametrize("name", EXAMPLES)
def test_notebook_defaults_name_no_stage(name: str) -> None:
    spec = example_spec(name)
    tree = example_tree(name)
    for path, text in tree.items():
        if not path.startswith("notebooks/") or "/mlopsgen_runtime/" in path:
            continue
        if path.removeprefix("notebooks/").removesuffix(".py") not in contract.TASKS:
            continue  # the user's training notebook
        for key in contract.STAGE_PARAMETERS:
            assert f"'{key}': ''" in text or f"'{key}'" not in text, (path, key)
        for stage in spec.stages:
            assert f"'{stage.name}'" not in text, (path, stage.name)


def test_a_gate_change_touches_that_stages_job_only() -> None:
    path = SPECS / "wine-quality" / "model.yaml"
    text = path.read_text()
    assert "{metric: r2, min: 0.35}" in text
    result = compile_text(
        text.replace("{metric: r2, min: 0.35}", "{metric: r2, min: 0.4}"),
        path,
        origin=origin_of("wine-quality"),
        read_file=folder_reader(path.parent),
    )
    assert result.spec is not None
    changed = {
        a.path: a.text for a in generated_tree(result.spec, render_spec(result.spec).files())
    }
    before = example_tree("wine-quality")
    differ = sorted(p for p in before if before[p] != changed.get(p))
    # PIPELINE.md lists each stage's gates (issue 14, the picture of the pipeline)
    assert differ == [".mlopsgen/manifest.json", "PIPELINE.md", "databricks/deploy-staging.json"]
