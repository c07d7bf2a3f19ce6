"""Gate, promote and candidate notebooks, rendered from the example spec and run as scripts
through the strict MLflow double (fakes/mlflow_double.py) in front of a real MLflow server:
Unity Catalog aliases and workspace registry stages.

The parameters are the rendered deploy job's own `base_parameters` (the spec's gates), with
the model name and version overridden (a local server has no Unity Catalog, and every test
works on a fresh registered model), `deploy_mode` given as the job's default would be, and
`target` empty (promote's go-live is serving's: see test_promote.py). Each stage's tasks run
in its own workspace: with Unity Catalog, staging in A (where training runs, as the rendered
pipeline has it) and production in B; the workspace registry exists in one workspace only,
so every task runs in A.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
from fakes.mlflow_double import MlflowDouble

from mlopsgen.runtime.contract import (
    METRICS_TAG,
    PREVIOUS_PRODUCTION_TAG,
    TASK_TITLES,
    gate_run_tag,
    gate_tag,
    stage_tag,
)
from runtime.scenarios import (
    BAD,
    GOOD,
    MEDIUM,
    REGISTRIES,
    crown,
    gate_results,
    placement,
    stage_env,
)
from runtime.support import REPO, run_notebook, task_parameters

pytestmark = pytest.mark.mlflow_server


@dataclass(frozen=True)
class Deploy:
    """Run the rendered deploy job's tasks for one registered model, each stage's in its
    own workspace of the double."""

    tree: Path
    env: dict[str, str]
    double: MlflowDouble
    name: str
    registry: str

    def run(
        self, task: str, stage: str, version: str, mode: str = "deploy"
    ) -> subprocess.CompletedProcess[str]:
        values = task_parameters(self.tree, f"deploy-{stage}", task)
        values |= {"model_name": self.name, "registry": self.registry, "model_version": version}
        values |= {"deploy_mode": mode} | ({"target": ""} if task == "promote" else {})
        run_env = stage_env(self.env, self.double, self.registry, stage)
        return run_notebook(self.tree, task, values, run_env)


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_failed_threshold_gate_blocks_and_changes_nothing(
    rendered: Path,
    env: dict[str, str],
    client: Any,
    make_versions: Any,
    doubles: dict[str, MlflowDouble],
    registry: str,
) -> None:
    name = make_versions(BAD)
    deploy = Deploy(rendered, env, doubles[registry], name, registry)
    before = placement(client, name)

    result = deploy.run("gate", "staging", "1")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "gate failed" in result.stderr
    assert "r2" in result.stderr and "rmse" in result.stderr
    table = result.stdout
    assert "metric" in table and "verdict" in table
    assert [line.split()[-1] for line in table.splitlines() if line.startswith(("r2", "rmse"))] == [
        "FAIL",
        "FAIL",
    ]
    assert placement(client, name) == before
    tags = client.get_model_version(name, "1").tags
    assert tags[gate_tag("staging")] == "failed"
    kept = gate_results(deploy.double, "A", tags[gate_run_tag("staging")])
    assert kept["verdict"] == "failed" and kept["stage"] == "staging"
    assert {g["metric"]: g["passed"] for g in kept["gates"]} == {"r2": False, "rmse": False}
    assert all("." not in key for key in tags)  # Unity Catalog refuses dotted keys


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_candidate_worse_than_the_champion_is_blocked(
    rendered: Path,
    env: dict[str, str],
    client: Any,
    make_versions: Any,
    doubles: dict[str, MlflowDouble],
    registry: str,
) -> None:
    name = make_versions(GOOD, MEDIUM)
    deploy = Deploy(rendered, env, doubles[registry], name, registry)
    crown(client, name, registry, "1")
    before = placement(client, name)

    result = deploy.run("gate", "production", "2")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "rmse" in result.stderr
    champion_row = [line for line in result.stdout.splitlines() if " champion " in f" {line} "]
    assert len(champion_row) == 1 and "champion v1 0.27" in champion_row[0]
    assert champion_row[0].split()[-1] == "FAIL"
    assert placement(client, name) == before


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_passing_candidate_moves_exactly_the_right_aliases_once(
    rendered: Path,
    env: dict[str, str],
    client: Any,
    make_versions: Any,
    doubles: dict[str, MlflowDouble],
    registry: str,
) -> None:
    name = make_versions(MEDIUM, GOOD)
    deploy = Deploy(rendered, env, doubles[registry], name, registry)
    first = deploy.run("gate", "production", "1")
    assert first.returncode == 0, first.stderr
    assert "no champion yet: passes" in first.stdout
    crown(client, name, registry, "1")

    # each stage's promote requires its own gate's verdict on the version (tag)
    assert deploy.run("gate", "staging", "2").returncode == 0
    assert deploy.run("gate", "production", "2").returncode == 0
    staged = deploy.run("promote", "staging", "2")
    assert staged.returncode == 0, staged.stderr
    released = deploy.run("promote", "production", "2")
    assert released.returncode == 0, released.stderr

    after = placement(client, name)
    if registry == "unity-catalog":
        assert after["aliases"] == {
            "staging": "2",
            "production": "2",
            "champion": "2",
            "previous": "1",
        }
        assert set(after["stages"].values()) == {"None"}
    else:
        assert after["aliases"] == {}
        assert after["stages"] == {"1": "Archived", "2": "Production"}
        assert after["tags"] == {
            stage_tag("production"): "2",
            stage_tag("staging"): "2",
            PREVIOUS_PRODUCTION_TAG: "1",
        }

    again = deploy.run("promote", "production", "2")
    assert again.returncode == 0, again.stderr
    assert "no change" in again.stdout
    assert placement(client, name) == after


@pytest.mark.parametrize("registry", REGISTRIES)
def test_a_missing_metric_blocks_and_is_named(
    rendered: Path,
    env: dict[str, str],
    make_versions: Any,
    doubles: dict[str, MlflowDouble],
    registry: str,
) -> None:
    name = make_versions({"rmse": 0.3}, servable=False)  # no r2, on its run nor its model
    deploy = Deploy(rendered, env, doubles[registry], name, registry)
    result = deploy.run("gate", "staging", "1")
    assert result.returncode == 1
    assert "r2 (metric missing on candidate)" in result.stderr
    assert "missing" in next(line for line in result.stdout.splitlines() if line.startswith("r2"))


def test_an_unknown_version_or_none_at_all_fails_clearly(
    rendered: Path, env: dict[str, str], make_versions: Any, doubles: dict[str, MlflowDouble]
) -> None:
    name = make_versions(GOOD)
    uc = Deploy(rendered, env, doubles["unity-catalog"], name, "unity-catalog")
    unknown = uc.run("gate", "production", "7")
    assert unknown.returncode == 1 and f"model {name} has no version '7'" in unknown.stderr
    none = uc.run("promote", "production", "")
    assert none.returncode == 1 and "no candidate model version" in none.stderr
    rollback = uc.run("gate", "production", "1", mode="rolback")
    assert "--deploy_mode must be 'deploy' or 'rollback', not 'rolback'" in rollback.stderr


def test_candidate_picks_the_newest_version_created_during_the_run(
    rendered: Path,
    env: dict[str, str],
    client: Any,
    make_versions: Any,
    doubles: dict[str, MlflowDouble],
) -> None:
    start_ms = str(int(time.time() * 1000) - 1000)
    name = make_versions(GOOD, MEDIUM, snapshot=False)
    args = task_parameters(rendered, "train", "candidate") | {"model_name": name}
    training = env | {"MLFLOW_TRACKING_URI": doubles["unity-catalog"].url("A")}
    result = run_notebook(rendered, "candidate", args | {"job_start_time_ms": start_ms}, training)
    assert result.returncode == 0, result.stderr
    assert "newest version" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == '{"model_version": "2"}'
    # the snapshot every stage's gate reads: the job's gate_metrics, read from the run
    assert json.loads(client.get_model_version(name, "2").tags[METRICS_TAG]) == MEDIUM

    later = str(int(time.time() * 1000) + 60_000)
    stale = run_notebook(rendered, "candidate", args | {"job_start_time_ms": later}, training)
    assert stale.returncode == 1 and "no version of" in stale.stderr


def test_the_training_notebook_registers_and_hands_over_but_not_in_pr_mode(
    trained: Any, client: Any
) -> None:
    assert trained.train.stdout.strip().splitlines()[-1] == '{"model_version": "1"}'
    metrics = client.get_run(client.get_model_version("wine_quality_source", "1").run_id).data
    assert set(metrics.metrics) >= {"rmse", "r2"}
    assert trained.pr.returncode == 0, trained.pr.stderr
    assert trained.pr.stdout.strip().splitlines()[-1] == '{"model_version": ""}'
    assert client.search_registered_models("name='wine_quality_source_pr'") == []


def test_help_describes_the_task_and_unknown_options_are_rejected(
    rendered: Path, env: dict[str, str]
) -> None:
    shown = run_notebook(rendered, "gate", {"help": ""}, env)
    assert shown.returncode == 0
    # the notebook's own title describes the task (argparse wraps it: compare words)
    assert TASK_TITLES["gate"] in " ".join(shown.stdout.split())
    for key in ("--model_name", "--registry", "--stage", "--model_version", "--gates"):
        assert key in shown.stdout
    wrong = run_notebook(rendered, "gate", {"model": "x"}, env)
    assert wrong.returncode == 2 and "unrecognized arguments: --model" in wrong.stderr


def test_every_example_training_notebook_registers_what_its_gates_read(
    env: dict[str, str], client: Any
) -> None:
    """Each spec's train notebook trains, registers under model.name, logs every gate metric."""
    from mlopsgen.spec.compile import compile_spec

    specs = sorted(
        p for p in (REPO / "specs").glob("*/model.yaml") if p.parent.name != "wine-quality"
    )
    jobs = []
    for path in specs:
        spec = compile_spec(path).spec
        assert spec is not None
        notebook = path.parent / spec.training.notebook
        jobs.append(
            (
                spec,
                subprocess.Popen(
                    [sys.executable, str(notebook)], env=env, stdout=PIPE, stderr=PIPE, text=True
                ),
            )
        )
    for spec, job in jobs:
        out, err = job.communicate(timeout=300)
        assert job.returncode == 0, f"{spec.name}: {err[-2000:]}"
        assert out.strip().splitlines()[-1] == '{"model_version": "1"}', spec.name
        version = client.get_model_version(spec.model.name, "1")
        logged = set(client.get_run(version.run_id).data.metrics)
        wanted = {gate.metric for stage in spec.stages for gate in stage.gates}
        assert wanted <= logged, f"{spec.name}: gates read {wanted - logged}, never logged"
