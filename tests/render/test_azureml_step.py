"""Issue 10, "Azure ML from the agent": an azureml stage's deploy job runs the Databricks job
(the gate alone), then one AzureCLI@2 step, logged in with the stage's Azure ML service
connection, that runs `mlopsgen azureml-deploy`. Nothing Azure-ML-specific on a cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from render.azure_schema import check_pipelines
from render.examples import REPO, example_spec, example_tree, job_key, job_steps, origin_of

from mlopsgen.errors import MlopsgenError
from mlopsgen.render import render_spec
from mlopsgen.render.pipeline import render_pipeline
from mlopsgen.spec.compile import compile_text, folder_reader
from mlopsgen.timeouts import AGENT_MARGIN_MINUTES, AZUREML_ROLLOUT_MINUTES

# AzureCLI@2's documented inputs this step may use (Microsoft Learn, "AzureCLI@2 - Azure CLI
# v2 task"; keepAzSessionActive is in Microsoft's pipeline schema, which the oracles check).
AZURE_CLI_INPUTS = {
    "azureSubscription",
    "scriptType",
    "scriptLocation",
    "inlineScript",
    "keepAzSessionActive",
}
DATABRICKS_AUTH = {
    "DATABRICKS_AUTH_TYPE",
    "DATABRICKS_CLIENT_ID",
    "DATABRICKS_HOST",
    "DATABRICKS_TOKEN",
    "SYSTEM_ACCESSTOKEN",
}


def deploy_steps(pipeline: str, stage: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(pipeline)
    (found,) = (s for s in data["stages"] if s["stage"] == f"Deploy_{stage}")
    (job,) = (j for j in found["jobs"] if job_key(j) == "deploy")
    steps: list[dict[str, Any]] = job_steps(job)
    return steps


def credit_risk_pipeline(replace: tuple[str, str] | None = None) -> str:
    path = REPO / "specs" / "credit-risk" / "model.yaml"
    text = path.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    result = compile_text(
        text, path, read_file=folder_reader(path.parent), origin=origin_of("credit-risk")
    )
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    return render_pipeline(result.spec, render_spec(result.spec).jobs)


INDEX_URL = "    index_url: https://pkgs.example.com/simple/\n"
OIDC = (
    "    variable_group: databricks-risk-staging\n",
    "    oidc_client_id: 11111111-2222-3333-4444-555555555555\n",
)


@pytest.mark.parametrize(
    ("pipeline", "stage", "connection"),
    [
        (
            lambda: example_tree("credit-risk")["azure-pipelines.yml"],
            "staging",
            "sc-risk-ml-staging",
        ),
        (lambda: example_tree("credit-risk")["azure-pipelines.yml"], "production", "sc-risk-prod"),
        (lambda: credit_risk_pipeline(OIDC), "staging", "sc-risk-ml-staging"),
    ],
    ids=["pat", "azure-cli", "oidc"],
)
def test_the_azureml_step_follows_the_gate_with_the_stages_auth(
    pipeline: Any, stage: str, connection: str
) -> None:
    steps = deploy_steps(pipeline(), stage)
    names = [s.get("name") for s in steps]
    assert names[-3:] == ["deploy", "run", "azureml"]  # after `mlopsgen run --job deploy`
    run, step = steps[-2], steps[-1]
    assert step["task"] == "AzureCLI@2"
    assert set(step["inputs"]) <= AZURE_CLI_INPUTS
    assert step["inputs"]["azureSubscription"] == connection
    assert step["inputs"]["scriptType"] == "bash"
    assert step["inputs"]["scriptLocation"] == "inlineScript"
    assert step["inputs"]["keepAzSessionActive"] is True  # a deployment takes minutes
    script = step["inputs"]["inlineScript"]
    assert 'mlopsgen azureml-deploy "$MLOPSGEN_SPEC" --stage "$MLOPSGEN_STAGE"' in script
    assert "mlopsgen[azureml]==" in script
    # user strings only as env values: the script names none of the spec's values
    for value in (stage, connection, "credit-risk", "rg-risk", "mlw-risk", "pkgs.example.com"):
        assert value not in script
    # the Databricks auth is the stage's own, exactly as its other Databricks steps map it
    assert {k: v for k, v in step["env"].items() if k in DATABRICKS_AUTH} == {
        k: v for k, v in run["env"].items() if k in DATABRICKS_AUTH
    }
    assert step["env"]["MLFLOW_TRACKING_URI"] == "databricks"
    assert step["env"]["MLOPSGEN_STAGE"] == stage


def test_other_targets_have_no_azureml_step() -> None:
    for name in ("wine-quality", "churn-batch", "minimal"):
        assert "azureml" not in example_tree(name)["azure-pipelines.yml"]


def test_the_databricks_deploy_job_of_an_azureml_stage_is_the_gate_alone() -> None:
    jobs = render_spec(example_spec("credit-risk")).jobs
    for job in (j for j in jobs if j.kind == "deploy"):
        assert [t["task_key"] for t in job.settings["tasks"]] == ["gate"]
        assert "azureml" not in str(job.settings)
    notebooks = {
        p for p in example_tree("credit-risk") if p.startswith("notebooks/") and "/" not in p[10:]
    }
    assert notebooks == {"notebooks/candidate.py", "notebooks/gate.py"}


def test_the_runtime_shipped_to_the_cluster_never_runs_az() -> None:
    runtime = REPO / "mlopsgen" / "runtime"
    for path in runtime.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert '"az"' not in text and "'az'" not in text, path.name
        assert "import subprocess" not in text, path.name


def test_a_macro_in_the_azureml_connection_is_refused_by_render_too() -> None:
    """validate refuses it (E320); render is the last line of defence."""
    spec = example_spec("credit-risk")
    stage = spec.stages[0]
    assert stage.azureml is not None
    azureml = stage.azureml._replace(service_connection="sc-$(x)")
    bad = spec._replace(stages=(stage._replace(azureml=azureml), *spec.stages[1:]))
    with pytest.raises(MlopsgenError, match=r"azureml\.service_connection"):
        render_pipeline(bad, render_spec(spec).jobs)


def test_the_smoke_test_request_stays_in_the_checkout() -> None:
    """The agent reads `serving.smoke_test` from the repository checkout."""
    from mlopsgen.azureml.stage import rollout_for

    spec = example_spec("credit-risk")
    rollout = rollout_for(spec, REPO / "specs" / "credit-risk", spec.stages[0], "3")
    assert rollout.request_file == REPO / "specs" / "credit-risk" / "tests" / "sample_request.json"
    assert rollout.release.endpoint == "credit-risk-staging"
    assert rollout.release.deployment == "version-3"
    assert rollout.registry == "workspace"


def test_the_deploy_job_has_time_for_the_rollout_too() -> None:
    """`az ml ... create` waits until the deployment is provisioned: the agent job's timeout
    covers the Databricks run it waits for and the rollout after it."""
    data = yaml.safe_load(example_tree("credit-risk")["azure-pipelines.yml"])
    for stage in (s for s in data["stages"] if s["stage"].startswith("Deploy_")):
        (job,) = (j for j in stage["jobs"] if job_key(j) == "deploy")
        (run,) = (s for s in job_steps(job) if s.get("name") == "run")
        script = run.get("script") or run["inputs"]["inlineScript"]
        waits = int(script.split("--timeout ")[1].split()[0])
        assert (
            int(job["timeoutInMinutes"]) == waits + AGENT_MARGIN_MINUTES + AZUREML_ROLLOUT_MINUTES
        )


def test_every_auth_mode_and_package_source_passes_microsofts_schema(tmp_path: Path) -> None:
    """The Azure ML step under OIDC auth and each package source (the example covers PAT,
    azure-cli and an index URL), through the same check-jsonschema schema as the examples."""
    variants = {
        "oidc": OIDC,
        "feed": (INDEX_URL, "    feed: risk/ml-packages\n"),
        "wheels": (INDEX_URL, "    wheels: wheels\n"),
    }
    paths = []
    for name, replace in variants.items():
        pipeline = credit_risk_pipeline(replace)
        assert pipeline.count("name: azureml\n") == 2  # one step per stage
        target = tmp_path / f"{name}.yml"
        target.write_text(pipeline, encoding="utf-8")
        paths.append(str(target))
    done = check_pipelines(paths)
    assert done.returncode == 0, done.stdout + done.stderr
