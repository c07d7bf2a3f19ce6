"""Thin Databricks-source notebooks that read their parameters and call mlopsgen_runtime.

Notebooks are shared by every stage's job, which passes all parameters explicitly; their
local defaults (used when a notebook runs outside Databricks) are the first stage's values,
with references only the Jobs service can resolve (`{{job.parameters...}}`) left empty.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from mlopsgen.model import Spec
from mlopsgen.render import tasks
from mlopsgen.render.environment import render_template
from mlopsgen.render.header import header_lines

RUNTIME_FILE = "notebooks/mlopsgen_runtime.py"

TASK_TITLES = {
    "candidate": "Resolve the model version the training task registered (the candidate)",
    "gate": "Check the candidate against this stage's gates; fail the job if any gate fails",
    "promote": "Move this stage's alias (or registry stage) to the candidate",
    "deploy_serving": "Create or update this stage's serving endpoint",
    "smoke_test": "Send the smoke-test request to this stage's endpoint",
    "batch_score": "Score the input table with this stage's model version",
}


def notebook_parameters(spec: Spec) -> dict[str, dict[str, str]]:
    """For each generated notebook, the base_parameters of its first-stage job task."""
    first = spec.stages[0]
    params = {
        "candidate": tasks.candidate(spec),
        "gate": tasks.gate(spec, first),
        "promote": tasks.promote(spec, first),
    }
    serving = spec.serving
    if serving is not None and serving.target == "batch":
        params["batch_score"] = tasks.batch_score(spec, first)
    elif serving is not None:
        params["deploy_serving"] = tasks.deploy_serving(spec, first)
        if serving.smoke_test is not None:
            params["smoke_test"] = tasks.smoke_test(spec, first)
    return params


def render_notebook(spec: Spec, task: str, parameters: dict[str, str]) -> str:
    return render_template(
        "notebooks/task.py.j2",
        {
            "header": header_lines(spec),
            "task": task,
            "title": TASK_TITLES[task],
            "defaults": tasks.local_defaults(parameters),
        },
    )


@cache
def _runtime_source() -> str:
    # Read as data (never imported here): the notebooks import their own copy on Databricks.
    return resources.files("mlopsgen").joinpath("notebook_runtime.py").read_text("utf-8")


def render_runtime(spec: Spec) -> str:
    return render_template(
        "notebooks/mlopsgen_runtime.py.j2",
        {"header": header_lines(spec), "source": _runtime_source()},
    )
