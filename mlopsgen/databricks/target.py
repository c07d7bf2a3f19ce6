"""What `deploy` and `run` work on: the compiled spec, one stage, and the rendered artifacts.

Everything is computed in memory from the spec (never read back from the generated files on
disk), so a stale checkout cannot deploy something other than what the spec says; and the
job settings are the very objects render serialises, so the JSON on disk and the body sent
to the workspace cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlopsgen import layout
from mlopsgen.databricks.client import read_retrying
from mlopsgen.errors import MlopsgenError, UsageError
from mlopsgen.layout import JobKind
from mlopsgen.model import Spec, Stage
from mlopsgen.render.artifacts import Artifact, JobFile, Rendered

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass(frozen=True)
class Target:
    spec: Spec
    stage: Stage
    spec_dir: Path
    rendered: Rendered

    @property
    def is_first_stage(self) -> bool:
        return self.stage.name == self.spec.stages[0].name

    def job(self, kind: JobKind) -> JobFile | None:
        """The job of `kind` that lives in this stage's workspace (None: the spec has none)."""
        return self.rendered.job(kind, self.stage.name)

    def read_spec_file(self, relative: str) -> bytes:
        """A file the spec references, which must really be inside the spec folder: a
        symbolic link out of it would upload whatever it points at (issue 11)."""
        path = self.spec_dir / relative
        real, folder = path.resolve(), self.spec_dir.resolve()
        if folder not in real.parents:
            raise MlopsgenError(f"{path}: resolves to a file outside the spec folder {folder}")
        try:
            return real.read_bytes()
        except OSError as exc:
            raise MlopsgenError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def make_target(spec: Spec, spec_path: Path, stage_name: str) -> Target:
    """Pick the stage (a usage error when the spec has none of that name) and render."""
    from mlopsgen.render import render_spec

    stage = next((s for s in spec.stages if s.name == stage_name), None)
    if stage is None:
        known = ", ".join(s.name for s in spec.stages)
        raise UsageError(f"--stage {stage_name}: no such stage in {spec_path} (stages: {known})")
    return Target(spec, stage, spec_path.parent, render_spec(spec))


def needs_user(target: Target) -> bool:
    """Whether the stage's folder is the deploying identity's home, known only in the workspace."""
    return layout.CURRENT_USER in target.stage.workspace_folder


def current_user(client: WorkspaceClient, host: str) -> str:
    """The identity the client acts as: a user's e-mail, a service principal's application ID
    (SCIM `Me`; its home folder is /Users/<that name>)."""

    def me() -> str:
        name = client.current_user.me().user_name
        if not name:
            raise MlopsgenError(f"{host}: the workspace did not say who this identity is")
        return name

    return read_retrying(host, "asking the workspace who this identity is", me)


def for_user(target: Target, user_name: str) -> Target:
    """The target with the deploying identity's name in every path that holds the placeholder:
    the stage folder, the job settings, the uploaded notebooks and files (pure)."""
    if "/" in user_name or not user_name.strip():
        raise MlopsgenError(f"the workspace named this identity {user_name!r}: not a user name")

    def text(value: str) -> str:
        return value.replace(layout.CURRENT_USER, user_name)

    def data(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):
            return [data(v) for v in value]
        if isinstance(value, dict):
            return {k: data(v) for k, v in value.items()}
        return value

    def artifact(item: Artifact) -> Artifact:
        return item._replace(text=text(item.text))

    rendered = target.rendered
    resolved = rendered._replace(
        jobs=tuple(j._replace(settings=data(j.settings)) for j in rendered.jobs),
        notebooks=tuple(artifact(a) for a in rendered.notebooks),
        runtime=tuple(artifact(a) for a in rendered.runtime),
    )
    stage = target.stage._replace(workspace_folder=text(target.stage.workspace_folder))
    return replace(target, stage=stage, rendered=resolved)


def resolved(client: WorkspaceClient, host: str, target: Target) -> Target:
    """The target as this identity sees it: its home folder filled in when the spec uses it."""
    return for_user(target, current_user(client, host)) if needs_user(target) else target
