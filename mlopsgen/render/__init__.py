"""Render a normalized Spec into the files a team commits next to it. Pure: no I/O but
reading the packaged templates (once per process).

Generated tree (paths relative to the output root, by default the spec's folder):
`azure-pipelines.yml`, `databricks/*.json`, `notebooks/*.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen.model import Spec


@dataclass(frozen=True)
class Artifact:
    """One generated file: POSIX path relative to the output root, and its full text."""

    path: str
    text: str


def render_spec(spec: Spec) -> tuple[Artifact, ...]:
    """Every generated file for `spec`, sorted by path."""
    # Imported here so that `import mlopsgen.render` (e.g. for Artifact) stays cheap.
    from mlopsgen.render import jobs, notebooks, pipeline

    artifacts = [Artifact("azure-pipelines.yml", pipeline.render_pipeline(spec))]
    artifacts.extend(
        Artifact(plan.path, jobs.render_job(spec, plan)) for plan in jobs.job_plans(spec)
    )
    for task, parameters in notebooks.notebook_parameters(spec).items():
        artifacts.append(
            Artifact(f"notebooks/{task}.py", notebooks.render_notebook(spec, task, parameters))
        )
    artifacts.extend(Artifact(path, text) for path, text in notebooks.render_runtime())
    return tuple(sorted(artifacts, key=lambda a: a.path))
