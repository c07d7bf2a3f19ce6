"""Thin Databricks-source notebooks that read their parameters and call mlopsgen_runtime,
and the runtime package itself, one plain file per module in a folder beside them.

Notebooks are shared by every stage's job, which passes all parameters explicitly; their
local defaults (used when a notebook runs outside Databricks) are the spec-wide values, with
the stage's own (`contract.STAGE_PARAMETERS`) and references only the Jobs service can
resolve (`{{job.parameters...}}`) left empty.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from mlopsgen import __version__, layout, runtime
from mlopsgen.model import Layer, Spec
from mlopsgen.render import tasks
from mlopsgen.render.environment import render_template
from mlopsgen.render.header import header_lines
from mlopsgen.render.jobs import promotes_on_databricks, serves_on_databricks
from mlopsgen.runtime import contract


def notebook_parameters(spec: Spec) -> dict[str, dict[str, str]]:
    """For each generated notebook, the base_parameters of its first-stage job task."""
    first = spec.stages[0]
    params = {
        contract.CANDIDATE: tasks.candidate(spec),
        contract.GATE: tasks.gate(spec, first),
    }
    if promotes_on_databricks(spec):  # Azure ML promotes from the pipeline agent
        params[contract.PROMOTE] = tasks.promote(spec, first)
    serving = spec.serving
    if serving is not None and serving.target == "batch":
        params[contract.BATCH_SCORE] = tasks.batch_score(spec, first)
    elif serving is not None and serves_on_databricks(spec):
        params[contract.DEPLOY_SERVING] = tasks.deploy_serving(spec, first)
        if serving.smoke_test is not None:
            params[contract.SMOKE_TEST] = tasks.smoke_test(spec, first)
    return params


def render_notebook(spec: Spec, task: str, parameters: dict[str, str]) -> str:
    return render_template(
        "notebooks/task.py.j2",
        {
            "header": header_lines(spec),
            "task": task,
            "title": contract.TASK_TITLES[task],
            "defaults": tasks.local_defaults(parameters),
        },
        spec.origin.layers,
    )


@cache
def _runtime_sources() -> tuple[tuple[str, str], ...]:
    """(module file name, source) of every runtime module, sorted by name."""
    # Read as data, never imported from here: the notebooks import their own copy. The
    # package's folder, as mlopsgen.resources finds the templates (importlib.resources and
    # the zipfile module it imports cost ~2.5 ms of every render).
    modules = Path(runtime.__file__).parent.iterdir()
    return tuple(sorted((m.name, m.read_text("utf-8")) for m in modules if m.name.endswith(".py")))


@cache
def render_runtime(layers: tuple[Layer, ...] = ()) -> tuple[tuple[str, str], ...]:
    """(path, text) of each file of the runtime package; the same for every spec of a
    project (of a set of template layers)."""
    return tuple(
        (
            f"{layout.RUNTIME_DIR}/{name}",
            render_template(
                "notebooks/mlopsgen_runtime.py.j2",
                {"version": __version__, "module": name, "source": source},
                layers,
            ),
        )
        for name, source in _runtime_sources()
    )
