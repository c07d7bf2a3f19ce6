"""The independent validators `pack-test` runs on every file a pack renders (issue 13): a
platform team tests its pack the way this repository tests its templates, with checkers
mlopsgen did not write, besides its own rules and the golden comparison.

- The pipeline: Microsoft's Azure Pipelines schema, as check-jsonschema vendors it
  (`vendor.azure-pipelines`, with its `azure-pipelines` transform for `${{ }}` expressions).
  Python's regex engine: the default one cannot compile one of the schema's patterns.
- Each Databricks job: databricks-sdk's `JobSettings` must take the settings whole
  (`from_dict` drops what it does not know: a patched field the Jobs API has no name for
  would silently vanish on deploy).
- Each notebook: Databricks' notebook source format (its first line) and Python that parses.

They need the extra `mlopsgen[pack-test]`; without it `pack-test` says so and stops.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from mlopsgen import layout
from mlopsgen.errors import UsageError
from mlopsgen.render.artifacts import Artifact, JobFile
from mlopsgen.render.job_fields import job_settings_only

INSTALL = "pip install 'mlopsgen[pack-test]'"
NOTEBOOK_HEADER = "# Databricks notebook source"
_MODULES = {"check_jsonschema": "check-jsonschema", "databricks.sdk": "databricks-sdk"}


def require() -> None:
    """Stop with the install command when a validator is not installed."""
    missing = [name for module, name in _MODULES.items() if not _installed(module)]
    if missing:
        raise UsageError(
            f"pack-test checks each render with independent validators ({', '.join(missing)} "
            f"not installed): {INSTALL}"
        )


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is not there either
        return False


def problems(
    pipeline: Artifact, jobs: Sequence[JobFile], notebooks: Sequence[Artifact]
) -> list[str]:
    """What the validators find, one line each (`path: why`); empty when all pass."""
    return [
        *_pipeline_problems(pipeline),
        *(p for job in jobs for p in _job_problems(job)),
        *(p for notebook in notebooks for p in _notebook_problems(notebook)),
    ]


def _pipeline_problems(pipeline: Artifact) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="mlopsgen-pack-test-") as folder:
        target = Path(folder) / pipeline.path
        target.write_text(pipeline.text, encoding="utf-8")
        command = [sys.executable, "-m", "check_jsonschema", "--regex-variant", "python"]
        command += ["--builtin-schema", "vendor.azure-pipelines"]
        command += ["--data-transform", "azure-pipelines", "-o", "json", str(target)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return
    try:
        report = json.loads(done.stdout)
    except ValueError:  # not a verdict: the checker itself failed
        report = {"errors": [{"path": "$", "message": (done.stdout + done.stderr).strip()}]}
    for error in [*report.get("errors", []), *report.get("parse_errors", [])]:
        # a oneOf at the top fails as a whole; its deepest sub-error names the real place
        best = error.get("best_deep_match") or error
        where, why = best.get("path", "$"), best.get("message", error)
        yield f"{pipeline.path}: Microsoft's Azure Pipelines schema: {where}: {why}"


def _job_problems(job: JobFile) -> Iterator[str]:
    from databricks.sdk.service.jobs import JobSettings

    settings = job_settings_only(job.settings)
    kept = JobSettings.from_dict(dict(settings)).as_dict()
    for key in sorted(set(settings) | set(kept)):
        if settings.get(key) != kept.get(key):
            yield f"{job.path}: databricks-sdk's JobSettings does not keep {key!r} as written"


def _notebook_problems(notebook: Artifact) -> Iterator[str]:
    if layout.is_runtime_file(notebook.path):
        return  # mlopsgen's own files, tested where mlopsgen is
    if not notebook.text.startswith(NOTEBOOK_HEADER + "\n"):
        yield f"{notebook.path}: a Databricks notebook starts with {NOTEBOOK_HEADER!r}"
    try:
        compile(notebook.text, notebook.path, "exec")
    except SyntaxError as exc:
        yield f"{notebook.path}:{exc.lineno}: not Python: {exc.msg}"
