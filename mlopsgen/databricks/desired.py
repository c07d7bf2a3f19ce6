"""What one stage's workspace should hold: uploads and jobs, computed from the target (pure).

Workspace layout (stage.workspace_folder, default /Shared/mlopsgen/<spec name>):

    <folder>/notebooks/<name>                generated notebooks (NOTEBOOK, Python source)
    <folder>/notebooks/mlopsgen_runtime/     the runtime package (FILEs, imported beside them)
    <folder>/<training notebook, no .py>     the user's training notebook (first stage only)
    <folder>/<serving.smoke_test>            the smoke-test request (FILE, stages that test)

Jobs: the first stage gets the train job; every stage gets its deploy-<stage> and (batch
serving) batch-<stage> jobs. The pr-check job is never deployed: `mlopsgen run --job
pr-check` submits it as a one-time run, so pull requests never change a deployed job.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mlopsgen import layout
from mlopsgen.databricks.target import IDENTITY_TAG, Target


@dataclass(frozen=True)
class Upload:
    path: str  # absolute workspace path
    kind: Literal["notebook", "file"]
    content: bytes
    source: str  # where it comes from, for messages


@dataclass(frozen=True)
class DesiredJob:
    identity: str  # tags["mlopsgen-id"]
    name: str
    settings: dict[str, Any]  # a Jobs API JobSettings body
    source: str  # the generated file, e.g. databricks/train.json


@dataclass(frozen=True)
class Desired:
    uploads: tuple[Upload, ...]
    jobs: tuple[DesiredJob, ...]


def notebook_workspace_path(folder: str, relative: str) -> str:
    """A notebook's workspace path: notebooks lose their .py extension when imported."""
    return posixpath.join(folder, relative.removesuffix(".py"))


def desired_state(target: Target, read: Callable[[str], bytes] | None = None) -> Desired:
    """Uploads and jobs for the target's stage; `read` reads files relative to the spec folder."""
    read_file = read or target.read_spec_file
    return Desired(uploads=tuple(_uploads(target, read_file)), jobs=tuple(_jobs(target)))


def _uploads(target: Target, read: Callable[[str], bytes]) -> list[Upload]:
    folder = target.stage.workspace_folder
    uploads = []
    for path, text in sorted(target.artifacts.items()):
        if not path.startswith("notebooks/"):
            continue
        if layout.is_runtime_file(path):
            # A plain FILE in the runtime's package folder, so the notebooks can import it.
            # deploy.apply_plan runs workspace/mkdirs on every upload's parent before the
            # import, which fails with RESOURCE_DOES_NOT_EXIST when the parent is missing
            # (docs.databricks.com/api/workspace-files/v1/mkdirs; databricks/cli#5763).
            uploads.append(Upload(layout.workspace_file(folder, path), "file", text.encode(), path))
        else:
            workspace = notebook_workspace_path(folder, path)
            uploads.append(Upload(workspace, "notebook", text.encode(), path))
    training = target.spec.training.notebook
    if target.is_first_stage:
        workspace = notebook_workspace_path(folder, training)
        uploads.append(Upload(workspace, "notebook", read(training), training))
    serving = target.spec.serving
    if serving is not None and serving.smoke_test and serving.target != "batch":
        workspace = posixpath.join(folder, serving.smoke_test)
        uploads.append(Upload(workspace, "file", read(serving.smoke_test), serving.smoke_test))
    return uploads


def _jobs(target: Target) -> list[DesiredJob]:
    kinds = ["train", "deploy", "batch"] if target.is_first_stage else ["deploy", "batch"]
    jobs = []
    for kind in kinds:
        artifact = target.job_artifact(kind)
        if artifact in target.artifacts:
            jobs.append(desired_job(target, artifact))
    if not any(j.source.startswith("databricks/deploy-") for j in jobs):
        raise RuntimeError(f"no {target.job_artifact('deploy')} was rendered")
    return jobs


def desired_job(target: Target, artifact: str) -> DesiredJob:
    settings = target.job_settings(artifact)
    identity = (settings.get("tags") or {}).get(IDENTITY_TAG)
    name = settings.get("name")
    if not isinstance(identity, str) or not isinstance(name, str):
        raise RuntimeError(f"{artifact} has no name or no {IDENTITY_TAG} tag")
    return DesiredJob(identity, name, settings, artifact)
