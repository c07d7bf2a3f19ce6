"""What `deploy` and `run` work on: the compiled spec, one stage, and the rendered files.

Everything is computed in memory from the spec (never read back from the generated files on
disk), so a stale checkout cannot deploy something other than what the spec says.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.errors import MlopsgenError, UsageError
from mlopsgen.model import Spec, Stage

IDENTITY_TAG = "mlopsgen-id"
JOB_KINDS = ("train", "deploy", "batch", "pr-check")


@dataclass(frozen=True)
class Target:
    spec: Spec
    stage: Stage
    spec_dir: Path
    artifacts: Mapping[str, str]  # generated path (POSIX, relative to the spec folder) -> text

    @property
    def is_first_stage(self) -> bool:
        return self.stage.name == self.spec.stages[0].name

    def job_artifact(self, kind: str) -> str:
        """The generated file of a job kind in this stage (train and pr-check are stage-less)."""
        if kind in ("train", "pr-check"):
            return f"databricks/{kind}.json"
        return f"databricks/{kind}-{self.stage.name}.json"

    def job_settings(self, artifact: str) -> dict[str, Any]:
        settings: dict[str, Any] = json.loads(self.artifacts[artifact])
        return settings

    def read_spec_file(self, relative: str) -> bytes:
        path = self.spec_dir / relative
        try:
            return path.read_bytes()
        except OSError as exc:
            raise MlopsgenError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def load_target(spec_path: Path, stage_name: str) -> Target:
    """Compile the spec (printing its diagnostics when invalid), pick the stage, render."""
    from mlopsgen import report
    from mlopsgen.spec.compile import compile_spec

    if not spec_path.is_file():
        raise UsageError(f"no such spec file: {spec_path}")
    result = compile_spec(spec_path)
    if result.spec is None:
        sys.stderr.write(report.as_text(result.diagnostics))
        raise MlopsgenError(f"{spec_path}: the spec is invalid; nothing was deployed or run")
    spec = result.spec
    stage = next((s for s in spec.stages if s.name == stage_name), None)
    if stage is None:
        known = ", ".join(s.name for s in spec.stages)
        raise UsageError(f"--stage {stage_name}: no such stage in {spec_path} (stages: {known})")
    return Target(spec, stage, spec_path.parent, render_artifacts(spec))


def render_artifacts(spec: Spec) -> dict[str, str]:
    from mlopsgen.render import render_spec

    return {artifact.path: artifact.text for artifact in render_spec(spec)}
