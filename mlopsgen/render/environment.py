"""The one Jinja environment: built once per process, strict, with a quoting filter per target.

Templates lay out text only; every value they print comes from the normalized Spec through
the Python context builders, and every user string goes through `yaml`, `json` or `py`.
Azure Pipelines' own `${{ }}` template syntax collides with Jinja's: templates write it
inside `{% raw %}` blocks (a test checks that every `${{` in templates/ sits in one).
"""

from __future__ import annotations

import shlex
from functools import cache
from typing import Any

import jinja2

from mlopsgen.render.quoting import comment_text, json_value, py_str, yaml_str
from mlopsgen.resources import templates_dir


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        # Templates are packaged data, not edited while a process runs: skip mtime checks.
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["yaml"] = yaml_str
    env.filters["json"] = json_value
    env.filters["py"] = py_str
    env.filters["comment"] = comment_text
    env.filters["shell"] = shlex.quote
    return env


@cache
def template(name: str) -> jinja2.Template:
    return environment().get_template(name)


def render_template(name: str, context: dict[str, Any]) -> str:
    return template(name).render(context)
