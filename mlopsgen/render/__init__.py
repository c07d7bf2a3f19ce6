"""Render a normalized Spec into the files a team commits next to it. Pure: no I/O but
reading the packaged templates (once per process).

Generated tree (paths relative to the output root, by default the spec's folder; the names
live in `mlopsgen.layout`): `azure-pipelines.yml`, `PIPELINE.md` (its picture),
`databricks/*.json`, `notebooks/*.py` and the runtime package beside the notebooks.
"""

from __future__ import annotations

from mlopsgen.model import Spec
from mlopsgen.render.artifacts import Artifact, JobFile, Rendered

__all__ = ["Artifact", "JobFile", "Rendered", "render_spec"]


def render_spec(spec: Spec) -> Rendered:
    """Every generated file for `spec`; each job is built once and read by the pipeline."""
    # Imported here so that `import mlopsgen.render` (e.g. for Artifact) stays cheap.
    from mlopsgen import layout
    from mlopsgen.render import jobs, notebooks, picture, pipeline

    job_files = jobs.render_jobs(spec)
    if any(layer.patches for layer in spec.origin.layers):
        from mlopsgen.render.patches import patch_jobs

        # the packs' patches (issue 13) before anything reads the jobs: file, pipeline, deploy
        job_files = patch_jobs(job_files, spec.origin.layers)
    task_notebooks = tuple(
        Artifact(layout.notebook_file(task), notebooks.render_notebook(spec, task, parameters))
        for task, parameters in notebooks.notebook_parameters(spec).items()
    )
    runtime = tuple(
        Artifact(path, text) for path, text in notebooks.render_runtime(spec.origin.layers)
    )
    return Rendered(
        pipeline=Artifact(layout.PIPELINE_FILE, pipeline.render_pipeline(spec, job_files)),
        jobs=job_files,
        notebooks=tuple(sorted(task_notebooks, key=lambda a: a.path)),
        runtime=runtime,
        picture=Artifact(layout.PICTURE_FILE, picture.render_picture(spec, job_files)),
    )
