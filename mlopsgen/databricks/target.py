"""What `deploy` and `run` work on: the compiled spec, one stage, and the rendered artifacts.

Everything is computed in memory from the spec (never read back from the generated files on
disk), so a stale checkout cannot deploy something other than what the spec says; and the
job settings are the very objects render serialises, so the JSON on disk and the body sent
to the workspace cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlopsgen.errors import MlopsgenError, UsageError
from mlopsgen.layout import JobKind
from mlopsgen.model import Spec, Stage
from mlopsgen.render.artifacts import JobFile, Rendered


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
