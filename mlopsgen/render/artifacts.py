"""What render produces: typed artifacts that the writer, `check` and `deploy` all consume.

Job settings stay data (a Jobs API `jobs/create` body) from the moment they are built; their
file text is serialised once, canonically, when somebody asks for it. `deploy` reads the
settings directly, so the JSON on disk and the body sent to the workspace cannot differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mlopsgen.layout import JobKind
from mlopsgen.render.canonical import canonical_json


class Artifact(NamedTuple):
    """One generated file: POSIX path relative to the output root, and its full text."""

    path: str
    text: str


class JobFile(NamedTuple):
    """One generated Databricks job: where its file goes and its settings as data. Its text
    is serialised when asked for (once per job when render writes or check compares)."""

    kind: JobKind
    stage: str  # the stage whose workspace holds it (the first stage for train and pr-check)
    path: str
    name: str
    identity: str  # the value of the `mlopsgen-id` tag
    settings: Mapping[str, Any]  # a Jobs API JobSettings body

    @property
    def text(self) -> str:
        return canonical_json(self.settings)

    @property
    def timeout_seconds(self) -> int:
        timeout: int = self.settings["timeout_seconds"]
        return timeout

    def artifact(self) -> Artifact:
        return Artifact(self.path, self.text)


class Rendered(NamedTuple):
    """Everything rendered for one spec, by kind."""

    pipeline: Artifact
    jobs: tuple[JobFile, ...]
    notebooks: tuple[Artifact, ...]  # the thin task notebooks
    runtime: tuple[Artifact, ...]  # the runtime's files, uploaded beside the notebooks
    picture: Artifact  # PIPELINE.md: the pipeline as a Mermaid diagram (render/picture)

    def files(self) -> tuple[Artifact, ...]:
        """Every generated file, sorted by path (what render writes and check compares)."""
        jobs = (j.artifact() for j in self.jobs)
        every = [self.pipeline, self.picture, *jobs, *self.notebooks, *self.runtime]
        return tuple(sorted(every, key=lambda a: a.path))

    def job(self, kind: JobKind, stage: str) -> JobFile | None:
        """The job of `kind` that lives in `stage`'s workspace, if the spec has one."""
        return next((j for j in self.jobs if j.kind == kind and j.stage == stage), None)
