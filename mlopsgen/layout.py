"""Every name that two parts of mlopsgen must agree on, in one place.

Render writes these files and jobs; `deploy` uploads and finds them; `run` and the PR check
start them; validation keeps the user's files out of their way. If any two of those spelled a
name differently, the PR check could silently run the deployed notebook instead of the PR's,
or deploy could create a second job beside the first. So each name is defined here once and
imported everywhere else (the runtime's own names live in `mlopsgen.runtime.contract`, which
ships to the cluster and therefore cannot import this module).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from mlopsgen.runtime.contract import TASKS

# --- the generated tree, relative to the output root -------------------------------------
PIPELINE_FILE = "azure-pipelines.yml"
# The picture of the pipeline (issue 14): Markdown with a Mermaid diagram, beside the pipeline.
PICTURE_FILE = "PIPELINE.md"
JOBS_DIR = "databricks"
NOTEBOOKS_DIR = "notebooks"
MANIFEST_FILE = ".mlopsgen/manifest.json"
# Template packs (issue 13): `builtin:<template>` names mlopsgen's own template from a pack's
# (`<pack>:<template>` a lower pack's); render's loader and the pack checks in spec/ agree here.
BUILTIN_LAYER = "builtin"
LAYER_DELIMITER = ":"
# The runtime the thin notebooks import: a package folder of plain workspace files beside them.
RUNTIME_PACKAGE = "mlopsgen_runtime"
RUNTIME_DIR = f"{NOTEBOOKS_DIR}/{RUNTIME_PACKAGE}"

# --- jobs -----------------------------------------------------------------------------------
JobKind = Literal["train", "pr-check", "deploy", "batch"]
JOB_KINDS: tuple[JobKind, ...] = ("train", "deploy", "batch", "pr-check")
# Jobs of the whole spec (run in the first stage's workspace); the others exist per stage.
SPEC_JOB_KINDS: frozenset[str] = frozenset({"train", "pr-check"})
# The tag that, together with the job name, says a workspace job is ours.
IDENTITY_TAG = "mlopsgen-id"
# What a single-node cluster carries, as Databricks' own single-node clusters do: render sets
# it on mlopsgen's runtime cluster, validation keeps it out of the spec's tags.
SINGLE_NODE_TAGS: Mapping[str, str] = MappingProxyType({"ResourceClass": "SingleNode"})
# The user's training task in the train and pr-check jobs.
TRAIN_TASK_KEY = "train"
# The deploy job's parameters: the model version to gate, serve and promote, and whether
# this is a normal deploy or a rollback (values: mlopsgen.runtime.contract.DEPLOY_MODES).
MODEL_VERSION_PARAMETER = "model_version"
DEPLOY_MODE_PARAMETER = "deploy_mode"
# The output variable `mlopsgen run --job train` publishes from the pipeline step `train`,
# which the deploy stages read as `stageDependencies.Train.train.outputs['train.<name>']`.
TRAIN_STEP = "train"
MODEL_VERSION_OUTPUT = "model_version"

# --- the workspace --------------------------------------------------------------------------
# The deploying identity's user name (a service principal's is its application ID), which
# `deploy` and `run` resolve from the workspace (SCIM Me) before they use a path holding it:
# Databricks Asset Bundles' own spelling. The default folder is that identity's home, which
# only it (and workspace admins) can write; under /Shared every workspace user has CAN MANAGE
# and could change the code the jobs run as the deploying identity (issue 12).
CURRENT_USER = "${workspace.current_user.userName}"
DEFAULT_WORKSPACE_ROOT = f"/Users/{CURRENT_USER}/mlopsgen"
SHARED_FOLDER = "/Shared"
# Where `run --job pr-check` puts the PR's training notebook, under the stage's folder.
PR_CHECK_FOLDER = "pr-check"
# A PR check's id (`run --check-id`), a folder name under PR_CHECK_FOLDER: the pipeline gives
# pr-<pull request id>-build-<build id>.
PR_CHECK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The MLflow experiment under the stage's folder that keeps the gate results.
GATE_EXPERIMENT_NAME = "gate_results"


def job_file(kind: JobKind, stage: str) -> str:
    """The generated job file of `kind`; `stage` is ignored for the spec-wide kinds."""
    if kind in SPEC_JOB_KINDS:
        return f"{JOBS_DIR}/{kind}.json"
    return f"{JOBS_DIR}/{kind}-{stage}.json"


def job_name(spec_name: str, kind: JobKind, stage: str) -> str:
    if kind in SPEC_JOB_KINDS:
        return f"{spec_name}-{kind}"
    return f"{spec_name}-{kind}-{stage}"


def job_identity(spec_name: str, kind: JobKind, stage: str) -> str:
    """The `mlopsgen-id` tag value: `<name>/<kind>[/<stage>]`."""
    if kind in SPEC_JOB_KINDS:
        return f"{spec_name}/{kind}"
    return f"{spec_name}/{kind}/{stage}"


# --- per-stage serving names ------------------------------------------------------------------
# In `serving.input_table` / `output_table`, this stands for the stage's name, so one spec line
# gives every stage its own table (tables live in the metastore, which all workspaces share).
STAGE_PLACEHOLDER = "{stage}"


def stage_table(template: str, stage: str) -> str:
    """A batch table of one stage: `{stage}` in the spec's table name becomes the stage's name."""
    return template.replace(STAGE_PLACEHOLDER, stage)


def default_endpoint(endpoint: str, stage: str) -> str:
    """A stage's serving endpoint unless the stage names its own: one per stage, so staging
    never serves production traffic."""
    return f"{endpoint}-{stage}"


def notebook_file(task: str) -> str:
    """A generated notebook, relative to the output root."""
    return f"{NOTEBOOKS_DIR}/{task}.py"


def is_runtime_file(path: str) -> bool:
    """True for the runtime's files (uploaded as workspace files, not notebooks)."""
    return path.startswith(f"{RUNTIME_DIR}/")


def is_generated_path(path: str) -> bool:
    """True for a path of a kind mlopsgen generates (or did generate, in an older release).

    The manifest is untrusted input: render deletes or overwrites only paths of these kinds,
    so a tampered manifest can never make it remove the spec or a user's notebook.
    """
    if path in (PIPELINE_FILE, PICTURE_FILE, MANIFEST_FILE) or is_runtime_file(path):
        return True
    folder, _, name = path.partition("/")
    if folder == JOBS_DIR and "/" not in name:
        return name.endswith(".json")
    return path in TASK_NOTEBOOKS


# The generated task notebooks, relative to the output root.
TASK_NOTEBOOKS = frozenset(notebook_file(task) for task in TASKS)


def default_workspace_folder(spec_name: str) -> str:
    return f"{DEFAULT_WORKSPACE_ROOT}/{spec_name}"


def is_shared_folder(folder: str) -> bool:
    """A folder under /Shared (or /Workspace/Shared), which every workspace user may edit."""
    path = folder.removeprefix("/Workspace")
    return path == SHARED_FOLDER or path.startswith(SHARED_FOLDER + "/")


def workspace_notebook(folder: str, relative: str) -> str:
    """Workspace path of a notebook uploaded from `relative`: notebooks lose their `.py`."""
    return posixpath.join(folder, relative.removesuffix(".py"))


def workspace_file(folder: str, relative: str) -> str:
    """Workspace path of a plain file (the runtime, a smoke-test request): kept as named."""
    return posixpath.join(folder, relative)


def generated_notebook(folder: str, task: str) -> str:
    """Workspace path of the generated notebook that runs `task`."""
    return workspace_notebook(folder, notebook_file(task))


def gate_experiment(folder: str) -> str:
    """The MLflow experiment (a workspace path) where each stage's gate keeps its results."""
    return posixpath.join(folder, GATE_EXPERIMENT_NAME)


def pr_check_folder(folder: str, check_id: str) -> str:
    """One PR check's own folder: concurrent checks of different PRs (or two builds of one)
    never overwrite each other's notebook, and `run` deletes it when the check ends."""
    return posixpath.join(folder, PR_CHECK_FOLDER, check_id)


def pr_check_notebook(folder: str, check_id: str, training_notebook: str) -> str:
    """Where the PR check uploads the PR's training notebook (never the deployed one)."""
    return workspace_notebook(pr_check_folder(folder, check_id), training_notebook)
