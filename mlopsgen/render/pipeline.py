"""azure-pipelines.yml: Validate (PR and CI), Train, then one stage per spec stage.

User strings reach the pipeline only as YAML double-quoted scalars in `env:` values and task
inputs, never inside a script body. Azure DevOps still expands `$(...)`, `${{ }}` and `$[ ]`
in those values, so `validate` rejects such strings; `_refuse_macros` is the last line of
defence for values that do not come from the spec (its path).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import NamedTuple

from mlopsgen import __version__, layout, timeouts
from mlopsgen.azure_devops import MACRO_SYNTAX
from mlopsgen.errors import MlopsgenError
from mlopsgen.layout import JobKind
from mlopsgen.model import Approval, Layer, PackageSource, Spec, Stage
from mlopsgen.render.artifacts import JobFile
from mlopsgen.render.environment import render_template
from mlopsgen.render.header import header_lines
from mlopsgen.render.pipeline_schedule import pipeline_schedule
from mlopsgen.runtime import contract

PYTHON_VERSION = "3.11"
APPROVAL_JOB_MARGIN_MINUTES = 5
# `mlopsgen run --check-id` in the PR check: the PR and the build, predefined variables that
# the agent expands (Microsoft Learn, "Predefined variables": System.PullRequest.PullRequestId,
# Build.BuildId); unique per run, and a folder name layout.PR_CHECK_ID accepts.
PR_CHECK_ID = "pr-$(System.PullRequest.PullRequestId)-build-$(Build.BuildId)"
_NOT_ID = re.compile(r"[^A-Za-z0-9_]")
# A custom stage condition replaces succeeded(), which also meant "not canceled": without
# this a deploy stage whose predecessor succeeded would still start after a cancel.
_NOT_CANCELED = "not(canceled())"


def _succeeded(dependency: str) -> str:
    """A dependency that succeeded, also with warnings: a custom condition comparing `result`
    with 'Succeeded' alone would skip a stage after a step that logged a warning
    (dependencies.<stage>.result is Succeeded, SucceededWithIssues, Skipped, Failed or
    Canceled: Microsoft Learn, "Expressions", dependencies). Issue 10."""
    return f"in(dependencies.{dependency}.result, 'Succeeded', 'SucceededWithIssues')"


# Named tuples rather than frozen dataclasses: creating each of those costs ~0.4 ms at import,
# a named tuple a sixth of that (issue 15).
class Install(NamedTuple):
    """How each job installs mlopsgen: this version, from the spec's package source."""

    version: str
    python_version: str
    feed: str | None
    index_url: str | None
    wheel: str | None  # the wheel file, relative to the repository root
    # the installed template packs the project pins (issue 13), from the same source
    packs: tuple[str, ...] = ()

    @property
    def wheels(self) -> str | None:
        """The folder of the wheel (and of the packs' wheels, with the wheel source)."""
        return posixpath.dirname(self.wheel) or "." if self.wheel is not None else None

    @property
    def requirement(self) -> str:
        return f"mlopsgen[databricks]=={self.version}"


def wheel_name(version: str) -> str:
    """The pure-Python wheel `python -m build --wheel` writes (name, version, py3-none-any)."""
    return f"mlopsgen-{version}-py3-none-any.whl"


def _install(package: PackageSource, layers: Sequence[Layer] = ()) -> Install:
    wheel = None
    if package.wheels is not None:
        folder = _refuse_macros("pipeline.package.wheels", package.wheels)
        wheel = posixpath.join(posixpath.normpath(folder), wheel_name(__version__))
        wheel = wheel.removeprefix("./")
    for label, value in (
        ("pipeline.package.feed", package.feed),
        ("pipeline.package.index_url", package.index_url),
    ):
        _refuse_macros(label, value or "")
    packs = tuple(layer.requirement for layer in layers if layer.requirement is not None)
    for pin in packs:
        _refuse_macros("a template pack's pin", pin)
    return Install(__version__, PYTHON_VERSION, package.feed, package.index_url, wheel, packs)


def _tests(spec: Spec) -> dict[str, str]:
    """The env of Validate's test step: what pytest collects and the requirements file."""
    tests = spec.pipeline.tests
    requirements = tests.requirements
    if requirements is None:
        requirements = posixpath.join(spec.origin.spec_dir, "requirements.txt").removeprefix("./")
    return {
        "MLOPSGEN_TEST_PATH": _refuse_macros("pipeline.tests.path", tests.path),
        "MLOPSGEN_TEST_REQUIREMENTS": _refuse_macros("pipeline.tests.requirements", requirements),
    }


def _pool(spec: Spec) -> dict[str, str]:
    """The agent jobs' `pool:` mapping: vmImage (Microsoft-hosted) or name (self-hosted)."""
    chosen = spec.pipeline.pool
    if chosen.name is not None:
        return {"name": _refuse_macros("pipeline.pool.name", chosen.name)}
    assert chosen.vm_image is not None
    return {"vmImage": _refuse_macros("pipeline.pool.vm_image", chosen.vm_image)}


class Auth(NamedTuple):
    """How a stage's steps authenticate to its Databricks workspace."""

    workspace: str
    service_connection: str | None  # AzureCLI@2 + Databricks azure-cli auth when set
    variable_group: str | None  # linked to the job; its secret group_variable mapped via env
    group_variable: str = "DATABRICKS_TOKEN"
    # azure-devops-oidc (wins when set): the client ID's env value, a GUID or $(variable)
    oidc_client_id: str | None = None


class DeployStage(NamedTuple):
    id: str
    name: str
    auth: Auth
    approval: Approval | None  # the inline approval job (never with an environment)
    environment: str | None
    depends_on: tuple[str, ...]
    condition: str
    run_timeout: int  # minutes `mlopsgen run` waits before cancelling the Databricks run
    job_timeout: int  # the agent job's timeoutInMinutes

    @property
    def approval_job_timeout(self) -> int:
        """The agentless approval job's timeout: above ManualValidation's own, so the task's
        timeout (and onTimeout: reject) decides, not the job being cut off."""
        assert self.approval is not None
        return self.approval.timeout_minutes + APPROVAL_JOB_MARGIN_MINUTES


def _refuse_macros(label: str, value: str) -> str:
    if MACRO_SYNTAX.search(value):
        raise MlopsgenError(
            f"{label} {value!r} contains Azure Pipelines macro syntax ($(, ${{{{ or $[), "
            "which the pipeline would expand; rename it"
        )
    return value


def _auth(stage: Stage) -> Auth:
    where = f"stages[{stage.name}]"
    for label, value in (
        (f"{where}.workspace", stage.workspace),
        (f"{where}.service_connection", stage.service_connection or ""),
        (f"{where}.variable_group", stage.variable_group or ""),
    ):
        _refuse_macros(label, value)
    client_id = stage.oidc_client_id
    if stage.oidc_client_id_variable is not None:
        client_id = f"$({stage.oidc_client_id_variable})"  # validate allows a plain name only
    elif client_id is not None:
        _refuse_macros(f"{where}.oidc_client_id", client_id)
    return Auth(
        stage.workspace,
        stage.service_connection,
        stage.variable_group,
        group_variable=stage.group_variable,
        oidc_client_id=client_id,
    )


def stage_id(stage: Stage) -> str:
    return "Deploy_" + _NOT_ID.sub("_", stage.name)


def _job_seconds(job_files: Sequence[JobFile], kind: JobKind, stage: Stage) -> int:
    job = next(j for j in job_files if j.kind == kind and j.stage == stage.name)
    return job.timeout_seconds


def _timeout_minutes(job_files: Sequence[JobFile], kind: JobKind, stage: Stage) -> int:
    """How long `mlopsgen run` waits for a job: the job's own timeout, rounded up."""
    return timeouts.run_minutes(_job_seconds(job_files, kind, stage))


def _agent_minutes(job_files: Sequence[JobFile], kind: JobKind, stage: Stage) -> int:
    """The timeoutInMinutes of the agent job that runs it (validate checks the same sum)."""
    return timeouts.agent_job_minutes(_job_seconds(job_files, kind, stage))


def release_ref(spec: Spec) -> str:
    """The ref a run must come from to train and deploy (Build.SourceBranch's form)."""
    return "refs/heads/" + _refuse_macros("pipeline.release_branch", spec.pipeline.release_branch)


def _from_release_branch(spec: Spec) -> str:
    """Not a pull request, and from the release branch (validate allows only characters that
    need no quoting in an expression literal). Build.SourceBranch is refs/heads/<branch> for
    CI, manual and scheduled runs, refs/pull/<id>/merge for a PR (Microsoft Learn,
    "Predefined variables"); eq() ignores case, as Azure Repos' branch names do."""
    return (
        "ne(variables['Build.Reason'], 'PullRequest'), "
        f"eq(variables['Build.SourceBranch'], '{release_ref(spec)}')"
    )


def train_condition(spec: Spec) -> str:
    return (
        f"and(succeeded(), {_from_release_branch(spec)}, "
        "eq(variables['MLOPSGEN_REQUESTED_VERSION'], 'new'))"
    )


def _serves_on_azureml(spec: Spec, stage: Stage) -> bool:
    """Whether the stage's deploy job also runs the Azure ML rollout on the agent."""
    return (
        stage.azureml is not None and spec.serving is not None and spec.serving.target == "azureml"
    )


def deploy_stages(spec: Spec, job_files: Sequence[JobFile]) -> list[DeployStage]:
    result = []
    previous = "Train"
    branch = _from_release_branch(spec)
    for stage in spec.stages:
        if stage.approval is not None:
            approval = stage.approval
            _refuse_macros(f"stages[{stage.name}].approval.instructions", approval.instructions)
            for who in approval.approvers:
                _refuse_macros(f"stages[{stage.name}].approval.approvers", who)
        if previous == "Train":
            depends = ("Validate", "Train")
            condition = (
                f"and({_NOT_CANCELED}, {branch}, "
                f"{_succeeded('Validate')}, "
                f"or({_succeeded('Train')}, "
                "and(eq(dependencies.Train.result, 'Skipped'), "
                "ne(variables['MLOPSGEN_REQUESTED_VERSION'], 'new'))))"
            )
        else:
            depends = ("Train", previous)
            condition = f"and({_NOT_CANCELED}, {branch}, {_succeeded(previous)})"
        result.append(
            DeployStage(
                id=stage_id(stage),
                name=_refuse_macros(f"stages[{stage.name}].name", stage.name),
                auth=_auth(stage),
                # the environment's checks decide when there is one (validate warns, W003)
                approval=stage.approval if stage.environment is None else None,
                environment=_refuse_macros(f"stages[{stage.name}].environment", stage.environment)
                if stage.environment is not None
                else None,
                depends_on=depends,
                condition=condition,
                run_timeout=_timeout_minutes(job_files, "deploy", stage),
                job_timeout=_agent_minutes(job_files, "deploy", stage)
                + (timeouts.AZUREML_ROLLOUT_MINUTES if _serves_on_azureml(spec, stage) else 0),
            )
        )
        previous = stage_id(stage)
    return result


class AzureMLStep(NamedTuple):
    """The deploy job's AzureCLI@2 step that serves on Azure ML from the agent (issue 10)."""

    stage: str
    service_connection: str  # the Azure ML one (validate: the same as the stage's, if both)
    requirement: str  # mlopsgen with the azureml extra, this version
    env: dict[str, str]


def _azureml_steps(spec: Spec, install: Install) -> dict[str, AzureMLStep]:
    """Each azureml stage's step, by stage id (none for other serving targets)."""
    steps = {}
    for stage in spec.stages:
        if stage.azureml is None or not _serves_on_azureml(spec, stage):
            continue
        label = f"stages[{stage.name}].azureml.service_connection"
        env = {
            "MLOPSGEN_SPEC": spec.origin.spec_path,
            "MLOPSGEN_STAGE": stage.name,
            # MLflow (model download, promote) talks to the stage's workspace
            "MLFLOW_TRACKING_URI": "databricks",
        }
        if install.index_url:
            env["MLOPSGEN_INDEX_URL"] = install.index_url
        elif install.wheel:
            env["MLOPSGEN_WHEEL"] = install.wheel
        steps[stage_id(stage)] = AzureMLStep(
            stage=stage.name,
            service_connection=_refuse_macros(label, stage.azureml.service_connection),
            requirement=f"mlopsgen[azureml]=={install.version}",
            env=env,
        )
    return steps


def render_pipeline(spec: Spec, job_files: Sequence[JobFile]) -> str:
    origin = spec.origin
    _refuse_macros("the spec path", origin.spec_path)
    first = spec.stages[0]
    train_timeout = _timeout_minutes(job_files, "train", first)
    pr_check = spec.training.pr_check is not None
    pr_timeout = _timeout_minutes(job_files, "pr-check", first) if pr_check else 0
    install = _install(spec.pipeline.package, origin.layers)
    text = _render(spec, job_files, install, first, pr_check, train_timeout, pr_timeout)
    if origin.layers:
        _check_pack_output(text)
    return text


def _check_pack_output(text: str) -> None:
    """A pack's pipeline must still be YAML whose steps are mappings: a value spliced in
    without `| yaml` (a name with ': ' or '#', a quote) breaks it here, at render, rather
    than in Azure DevOps (issue 13). The built-in templates are checked by the golden tests
    and Microsoft's schema."""
    import yaml

    try:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MlopsgenError(
            f"the template packs render a pipeline that is not YAML{where}: quote every "
            "value in a pack's template with | yaml (README, 'For the platform team')"
        ) from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get("stages"), list):
        raise MlopsgenError("the template packs render a pipeline without a list of stages")


def _render(
    spec: Spec,
    job_files: Sequence[JobFile],
    install: Install,
    first: Stage,
    pr_check: bool,
    train_timeout: int,
    pr_timeout: int,
) -> str:
    origin = spec.origin
    return render_template(
        "pipelines/azure-pipelines.yml.j2",
        {
            "header": header_lines(spec),
            "version": __version__,
            "install": install,
            "pool": _pool(spec),
            "tests": _tests(spec),
            "schedule": pipeline_schedule(spec),
            "spec": spec,
            "spec_path": origin.spec_path,
            "spec_dir": origin.spec_dir if origin.spec_dir != "." else None,
            "first": first.name,
            "first_auth": _auth(first),
            "pr_check": pr_check,
            "pr_timeout": pr_timeout,
            "train_timeout": train_timeout,
            "train_condition": train_condition(spec),
            "release_branch": spec.pipeline.release_branch,
            "release_ref": release_ref(spec),
            "train_job_timeout": _agent_minutes(job_files, "train", first),
            "pr_job_timeout": _agent_minutes(job_files, "pr-check", first) if pr_check else 0,
            "pr_check_id": PR_CHECK_ID,
            "stages": deploy_stages(spec, job_files),
            "azureml": _azureml_steps(spec, install),
            # the pipeline parameter deploy_mode: its values, the first one the default
            "deploy_modes": contract.DEPLOY_MODES,
            "rollback": contract.MODE_ROLLBACK,
            "job_params": {
                "model_version": layout.MODEL_VERSION_PARAMETER,
                "deploy_mode": layout.DEPLOY_MODE_PARAMETER,
            },
        },
        origin.layers,
    )
