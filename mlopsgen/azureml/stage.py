"""What `mlopsgen azureml-deploy` does for one stage of a compiled spec: the rollout, then
the registry promotion, in that order.

The aliases (or registry stage) move only after the Azure ML traffic has: promote's
invariant, "the aliases point at what serves". The Databricks deploy job of an azureml spec
holds the gate alone; promote runs here, through the runtime's own `run_promote` with the
parameters render gives a promote task (`render.tasks.promote`), the version and the deploy
mode filled in. Target `azureml` tells the runtime the version is live already.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from mlopsgen.azureml.commands import Release, Workspace
from mlopsgen.azureml.rollout import AzureMLFailed, Rollout
from mlopsgen.errors import UsageError
from mlopsgen.model import Spec, Stage
from mlopsgen.render import tasks
from mlopsgen.runtime import contract
from mlopsgen.runtime.errors import TaskFailed


def check_options(version: str, mode: str) -> None:
    """The command line's version and deploy mode (usage errors, exit 2)."""
    if mode not in contract.DEPLOY_MODES:
        raise UsageError(f"--deploy-mode must be one of {', '.join(contract.DEPLOY_MODES)}")
    if not version.strip().isdigit():
        raise UsageError(f"--version must be a model version number, not {version!r}")


def azureml_stage(spec: Spec, name: str) -> Stage:
    stage = next((s for s in spec.stages if s.name == name), None)
    if stage is None:
        known = ", ".join(s.name for s in spec.stages)
        raise UsageError(f"no stage {name!r} in the spec (stages: {known})")
    if spec.serving is None or spec.serving.target != "azureml" or stage.azureml is None:
        raise UsageError(f"stage {name!r} does not serve on Azure ML (serving.target)")
    return stage


def rollout_for(spec: Spec, spec_dir: Path, stage: Stage, version: str) -> Rollout:
    serving, azureml = spec.serving, stage.azureml
    assert serving is not None and azureml is not None
    release = Release(
        workspace=Workspace(azureml.resource_group, azureml.workspace),
        endpoint=tasks.endpoint_name(stage),
        model_name=spec.model.name,
        version=version,
        instance_type=serving.instance_type,
        instance_count=serving.instance_count,
    )
    request = _inside(spec_dir, serving.smoke_test) if serving.smoke_test else None
    return Rollout(release, spec.model.registry, request)


def _inside(spec_dir: Path, relative: str) -> Path:
    """The smoke-test request, which validate found inside the spec folder (E302)."""
    path = (spec_dir / relative).resolve()
    if spec_dir.resolve() not in path.parents:
        raise AzureMLFailed(f"serving.smoke_test {relative!r} is not inside {spec_dir}")
    return path


def promote_parameters(spec: Spec, stage: Stage, version: str, mode: str) -> dict[str, str]:
    """The promote task's parameters as render writes them, with the job's references
    (version, deploy mode) replaced by their values."""
    params = tasks.promote(spec, stage)
    return params | {contract.MODEL_VERSION: version, contract.DEPLOY_MODE: mode}


def promote(spec: Spec, stage: Stage, version: str, mode: str) -> list[str]:
    """Move the stage's alias (or registry stage) to the version now live on Azure ML; what
    the runtime printed, as lines (the command prints them)."""
    from mlopsgen.runtime.promote import run_promote

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            run_promote(promote_parameters(spec, stage, version, mode), None)
    except TaskFailed as exc:
        raise AzureMLFailed(f"promote: {exc}") from None
    return printed.getvalue().splitlines()
