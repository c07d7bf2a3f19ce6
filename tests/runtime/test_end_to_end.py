"""The first real run, played end to end: the rendered notebooks run as their job tasks would
(`python notebooks/<task>.py --key value`, each with its job task's `base_parameters`),
each in the workspace its job runs in, through the strict MLflow double.

- The train job (the spec's training notebook, then `candidate`) runs in the first stage's
  workspace, as the rendered pipeline runs it: workspace A.
- Each stage's deploy job runs in the stage's own workspace: the first distinct workspace
  host of the spec is A, a second one B. wine-quality (Unity Catalog) deploys staging from A
  and production from B; credit-risk (workspace registry) deploys both stages from one
  workspace, A, where its registry lives.
- The deploy job runs gate, then promote (deploy_serving and smoke_test are the serving
  code's and its tests': `target` is empty here, so promote has nothing to put live). For
  Azure ML (credit-risk) the deploy job is the gate alone, and promote runs as the pipeline
  agent runs it after the Azure ML rollout (`mlopsgen.azureml.stage.promote`; the rollout
  itself is tests/azureml's).
- Each test registers its own model (`model_name` overridden in every task, a three-part
  name for Unity Catalog), so it does not depend on what other tests registered.

A good candidate is promoted through every stage; a bad one is stopped by the first stage
whose gate it fails, and nothing after it runs; a rollback puts the previous champion back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fakes.mlflow_double import MlflowDouble

from mlopsgen.runtime.contract import METRICS_TAG, gate_run_tag, gate_tag, rollback_tag
from runtime.scenarios import gate_results
from runtime.support import REPO, render_tree, run_notebook, task_parameters

pytestmark = pytest.mark.mlflow_server

SPECS = REPO / "specs"
# What `mlopsgen azureml-deploy` runs after the traffic moved, with this test's model name.
AGENT_PROMOTE = """
import dataclasses, sys
from pathlib import Path
from mlopsgen.azureml.stage import promote
from mlopsgen.spec.compile import compile_spec
path, stage, version, mode, name = sys.argv[1:]
spec = compile_spec(Path(path)).spec
spec = spec._replace(model=spec.model._replace(name=name))
(chosen,) = [s for s in spec.stages if s.name == stage]
print("\\n".join(promote(spec, chosen, version, mode)))
"""


@dataclass
class Pipeline:
    """One spec's train and deploy jobs, each task a rendered notebook run as a script."""

    spec_dir: Path
    tree: Path
    double: MlflowDouble
    env: dict[str, str]
    name: str
    stages: list[str] = field(default_factory=list)
    workspaces: dict[str, str] = field(default_factory=dict)  # stage -> A / B
    log: list[str] = field(default_factory=list)  # "<stage>:<task>" in the order run

    @classmethod
    def of(cls, spec: str, tmp: Path, double: MlflowDouble, env: dict[str, str]) -> Pipeline:
        from mlopsgen.spec.compile import compile_spec

        compiled = compile_spec(SPECS / spec / "model.yaml").spec
        assert compiled is not None
        tree = render_tree(SPECS / spec / "model.yaml", tmp / spec)
        hosts = list(dict.fromkeys(stage.workspace for stage in compiled.stages))
        assert len(hosts) <= 2
        name = f"e2e_{spec.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        if compiled.model.registry == "unity-catalog":  # catalog.schema.model, as in the spec
            name = f"main.e2e.{name}"
        pipeline = cls(SPECS / spec, tree, double, env, name)
        pipeline.stages = [stage.name for stage in compiled.stages]
        pipeline.workspaces = {s.name: "AB"[hosts.index(s.workspace)] for s in compiled.stages}
        return pipeline

    def at(self, workspace: str) -> dict[str, str]:
        return self.env | {"MLFLOW_TRACKING_URI": self.double.url(workspace)}

    def train(self, **overrides: str) -> str:
        """The train job in workspace A: the training notebook, then the candidate task."""
        start = str(int(time.time() * 1000) - 1000)
        given = task_parameters(self.tree, "train", "train") | overrides
        # the notebook's own model parameter and the one the job passes, both this test's
        given |= {"model_name": self.name, "mlopsgen_model_name": self.name}
        notebook_env = self.at("A") | {f"MLOPSGEN_{k.upper()}": v for k, v in given.items()}
        notebook = self.spec_dir / "notebooks" / "train.py"
        trained = subprocess.run(
            [sys.executable, str(notebook)],
            env=notebook_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert trained.returncode == 0, trained.stderr[-3000:]
        values = task_parameters(self.tree, "train", "candidate")
        values |= {"model_name": self.name, "job_start_time_ms": start}
        candidate = run_notebook(self.tree, "candidate", values, self.at("A"))
        assert candidate.returncode == 0, candidate.stderr
        version = candidate.stdout.strip().splitlines()[-1]
        return version.removeprefix('{"model_version": "').removesuffix('"}')

    def deploy(self, stage: str, version: str, mode: str = "deploy") -> str:
        """A stage's deploy job: gate, then promote; the stderr of the gate if it failed."""
        job = json.loads((self.tree / "databricks" / f"deploy-{stage}.json").read_text())
        tasks = [t["task_key"] for t in job["tasks"]]
        if tasks == ["gate"]:  # Azure ML: the pipeline agent promotes after the rollout
            return self.deploy_from_agent(stage, version, mode)
        for task in ("gate", "promote"):
            values = task_parameters(self.tree, f"deploy-{stage}", task)
            values |= {"model_name": self.name, "model_version": version, "deploy_mode": mode}
            values |= {"target": ""} if task == "promote" else {}
            done = run_notebook(self.tree, task, values, self.at(self.workspaces[stage]))
            self.log.append(f"{stage}:{task}")
            if done.returncode != 0:
                assert task == "gate" and "Traceback" not in done.stderr, done.stderr
                return done.stderr
        return ""

    def deploy_from_agent(self, stage: str, version: str, mode: str) -> str:
        """The gate job, then `mlopsgen azureml-deploy`'s promote (its rollout succeeded)."""
        values = task_parameters(self.tree, f"deploy-{stage}", "gate")
        values |= {"model_name": self.name, "model_version": version, "deploy_mode": mode}
        done = run_notebook(self.tree, "gate", values, self.at(self.workspaces[stage]))
        self.log.append(f"{stage}:gate")
        if done.returncode != 0:
            assert "Traceback" not in done.stderr, done.stderr
            return done.stderr
        command = [sys.executable, "-c", AGENT_PROMOTE, str(self.spec_dir / "model.yaml")]
        command += [stage, version, mode, self.name]
        env = self.at(self.workspaces[stage]) | {"PYTHONPATH": str(REPO)}
        promoted = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert promoted.returncode == 0, promoted.stderr
        self.log.append(f"{stage}:promote")
        return ""

    def release(self, version: str, mode: str = "deploy") -> str:
        """The deploy jobs of every stage in order, as the pipeline runs them: a failed
        stage stops the pipeline. '' if every stage promoted the version."""
        for stage in self.stages:
            failed = self.deploy(stage, version, mode)
            if failed:
                return failed
        return ""


def aliases_or_stages(client: Any, pipeline: Pipeline) -> dict[str, Any]:
    model = client.get_registered_model(pipeline.name)
    versions = client.search_model_versions(f"name='{pipeline.name}'")
    return {
        "aliases": dict(model.aliases),
        "stages": {v.version: v.current_stage for v in versions if v.current_stage != "None"},
        "tags": {k: v for k, v in model.tags.items() if k.startswith("mlopsgen_stage_")},
    }


def test_wine_quality_across_two_workspaces_with_unity_catalog(
    tmp_path: Path, env: dict[str, str], client: Any, doubles: dict[str, MlflowDouble]
) -> None:
    double = doubles["unity-catalog"]
    wine = Pipeline.of("wine-quality", tmp_path, double, env)
    assert wine.workspaces == {"staging": "A", "production": "B"}

    good = wine.train()
    assert wine.release(good) == ""
    assert aliases_or_stages(client, wine)["aliases"] == {
        "staging": good,
        "production": good,
        "champion": good,
    }
    tags = client.get_model_version(wine.name, good).tags
    assert set(json.loads(tags[METRICS_TAG])) == {"r2", "rmse"}  # the job's gate_metrics
    kept = gate_results(double, "B", tags[gate_run_tag("production")])
    assert kept["verdict"] == "passed" and kept["stage"] == "production"
    # the production gate ran in B, where the training run does not exist: it never asked
    training_run = client.get_model_version(wine.name, good).run_id
    assert not [r for r in double.requests if r.workspace == "B" and training_run in r.path]

    wine.log.clear()
    bad = wine.train(alpha="5.0")  # all shrinkage: r2 about 0
    failed = wine.release(bad)
    assert wine.log == ["staging:gate"]  # stopped by the first stage, nothing after it ran
    assert "gate failed" in failed and "at stage 'staging'" in failed and "r2" in failed
    assert client.get_model_version(wine.name, bad).tags[gate_tag("staging")] == "failed"
    assert aliases_or_stages(client, wine)["aliases"]["champion"] == good

    better = wine.train()  # the same training: as good as the champion, which is enough
    assert wine.release(better) == ""
    assert aliases_or_stages(client, wine)["aliases"] == {
        "staging": better,
        "production": better,
        "champion": better,
        "previous": good,
    }

    assert wine.release(good, mode="rollback") == ""
    assert aliases_or_stages(client, wine)["aliases"] == {
        "staging": good,
        "production": good,
        "champion": good,
        "previous": better,
    }
    tags = client.get_model_version(wine.name, good).tags
    assert tags[rollback_tag("production")] == f"rollback from version {better}"
    assert tags[rollback_tag("staging")] == f"rollback from version {better}"


def test_credit_risk_in_one_workspace_with_the_workspace_registry(
    tmp_path: Path, env: dict[str, str], client: Any, doubles: dict[str, MlflowDouble]
) -> None:
    credit = Pipeline.of("credit-risk", tmp_path, doubles["workspace"], env)
    assert credit.workspaces == {"staging": "A", "production": "A"}

    good = credit.train()
    assert credit.release(good) == ""
    assert aliases_or_stages(client, credit) == {
        "aliases": {},
        "stages": {good: "Production"},
        "tags": {"mlopsgen_stage_staging": good, "mlopsgen_stage_production": good},
    }

    credit.log.clear()
    weak = credit.train(max_depth="1", n_estimators="1")  # passes staging, loses to champion
    failed = credit.release(weak)
    assert credit.log == ["staging:gate", "staging:promote", "production:gate"]
    assert "at stage 'production'" in failed and "roc_auc" in failed
    assert aliases_or_stages(client, credit)["stages"] == {good: "Production", weak: "Staging"}

    better = credit.train()
    assert credit.release(better) == ""
    placed = aliases_or_stages(client, credit)
    assert placed["stages"] == {good: "Archived", weak: "Staging", better: "Production"}

    assert credit.release(good, mode="rollback") == ""
    placed = aliases_or_stages(client, credit)
    assert placed["stages"][good] == "Production" and placed["stages"][better] == "Archived"
    assert placed["tags"] == {"mlopsgen_stage_staging": good, "mlopsgen_stage_production": good}
    model_tags = client.get_registered_model(credit.name).tags
    assert model_tags["mlopsgen_previous_production"] == better


@pytest.mark.parametrize("spec", ["minimal", "churn-batch"])
def test_the_other_examples_promote_a_good_candidate_through_every_stage(
    tmp_path: Path,
    env: dict[str, str],
    client: Any,
    doubles: dict[str, MlflowDouble],
    spec: str,
) -> None:
    """Every example spec is played once: its own training notebook, its own gates."""
    from mlopsgen.spec.compile import compile_spec

    compiled = compile_spec(SPECS / spec / "model.yaml").spec
    assert compiled is not None
    pipeline = Pipeline.of(spec, tmp_path, doubles[compiled.model.registry], env)
    good = pipeline.train()
    assert pipeline.release(good) == ""
    aliases = aliases_or_stages(client, pipeline)["aliases"]
    assert aliases == {**{stage: good for stage in pipeline.stages}, "champion": good}
    tags = client.get_model_version(pipeline.name, good).tags
    for stage in pipeline.stages:
        assert tags[gate_tag(stage)] == "passed"
