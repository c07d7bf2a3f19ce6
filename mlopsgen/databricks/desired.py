"""What one stage's workspace should hold: uploads and jobs, computed from the target (pure).

Workspace layout (stage.workspace_folder, default the deploying identity's home
/Users/<user>/mlopsgen/<spec name>, resolved by `target.resolved`; every name
comes from `mlopsgen.layout`):

    <folder>/notebooks/<task>                 generated notebooks (NOTEBOOK, Python source)
    <folder>/notebooks/mlopsgen_runtime/...   the runtime package (FILEs, imported beside them)
    <folder>/<training notebook, no .py>      the user's training notebook (first stage only)
    <folder>/<serving.smoke_test>             the smoke-test request (FILE, stages that test)

Jobs: the first stage gets the train job; every stage gets its deploy-<stage> and (batch
serving) batch-<stage> jobs. The pr-check job is never deployed: `mlopsgen run --job
pr-check` submits it as a one-time run, so pull requests never change a deployed job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mlopsgen import layout
from mlopsgen.databricks.target import Target
from mlopsgen.layout import JobKind
from mlopsgen.render.artifacts import JobFile

# The jobs a stage's workspace holds; pr-check only ever runs as a one-time run.
DEPLOYED_KINDS: tuple[JobKind, ...] = ("train", "deploy", "batch")


@dataclass(frozen=True)
class Upload:
    path: str  # absolute workspace path
    kind: Literal["notebook", "file"]
    content: bytes
    source: str  # where it comes from, for messages


@dataclass(frozen=True)
class Desired:
    uploads: tuple[Upload, ...]
    jobs: tuple[JobFile, ...]


def desired_state(target: Target, read: Callable[[str], bytes] | None = None) -> Desired:
    """Uploads and jobs for the target's stage; `read` reads files relative to the spec folder."""
    read_file = read or target.read_spec_file
    return Desired(uploads=tuple(_uploads(target, read_file)), jobs=_jobs(target))


def _uploads(target: Target, read: Callable[[str], bytes]) -> list[Upload]:
    folder = target.stage.workspace_folder
    uploads = []
    generated = (*target.rendered.notebooks, *target.rendered.runtime)
    for artifact in sorted(generated, key=lambda a: a.path):
        content = artifact.text.encode()
        if layout.is_runtime_file(artifact.path):
            # A plain FILE in the runtime's package folder, so the notebooks can import it.
            # deploy.apply_plan runs workspace/mkdirs on every upload's parent before the
            # import, which fails with RESOURCE_DOES_NOT_EXIST when the parent is missing
            # (docs.databricks.com/api/workspace-files/v1/mkdirs; databricks/cli#5763).
            path = layout.workspace_file(folder, artifact.path)
            uploads.append(Upload(path, "file", content, artifact.path))
        else:
            path = layout.workspace_notebook(folder, artifact.path)
            uploads.append(Upload(path, "notebook", content, artifact.path))
    training = target.spec.training.notebook
    if target.is_first_stage:
        workspace = layout.workspace_notebook(folder, training)
        uploads.append(Upload(workspace, "notebook", read(training), training))
    serving = target.spec.serving
    if serving is not None and serving.smoke_test and serving.target != "batch":
        workspace = layout.workspace_file(folder, serving.smoke_test)
        uploads.append(Upload(workspace, "file", read(serving.smoke_test), serving.smoke_test))
    return uploads


def _jobs(target: Target) -> tuple[JobFile, ...]:
    return tuple(job for kind in DEPLOYED_KINDS if (job := target.job(kind)) is not None)
