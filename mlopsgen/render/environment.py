"""The Jinja environments: built once per process (per template set), strict, with a quoting
filter per target.

Templates lay out text only; every value they print comes from the normalized Spec through
the Python context builders, and every user string goes through `yaml`, `json` or `py`.
Azure Pipelines' own `${{ }}` template syntax collides with Jinja's: templates write it
inside `{% raw %}` blocks (a test checks that every `${{` in templates/ sits in one).

Template packs (issue 13) add layers above the built-in templates: the most specific layer
that has a template wins (built-in < packs in their declared order < the repository's own
overrides), and `builtin:<name>` (or `<pack>:<name>`) names one layer's template, so that a
pack template can `{% extends "builtin:pipelines/azure-pipelines.yml.j2" %}` and replace
named blocks. With layers the environment is Jinja's immutable sandbox: a pack's templates
cannot call methods that change data or reach private attributes, nor print a value from the
spec without a quoting filter (`render/user_text.py`). Without any, the one built-in
environment is used, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2
import jinja2.bccache

from mlopsgen import layout
from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Layer
from mlopsgen.render.quoting import (
    comment_text,
    json_value,
    markdown_text,
    mermaid_str,
    py_str,
    yaml_str,
)
from mlopsgen.resources import templates_dir

BUILTIN = layout.BUILTIN_LAYER
PREFIX_DELIMITER = layout.LAYER_DELIMITER


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["yaml"] = yaml_str
    env.filters["json"] = json_value
    env.filters["py"] = py_str
    env.filters["comment"] = comment_text
    env.filters["mermaid"] = mermaid_str
    env.filters["md"] = markdown_text
    env.filters["shell"] = shlex.quote
    env.filters["block_indent"] = block_indent
    return env


def _options() -> dict[str, Any]:
    return {
        "undefined": jinja2.StrictUndefined,
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "autoescape": False,
        # Templates are data, not edited while a process runs: skip mtime checks.
        "auto_reload": False,
        "cache_size": -1,
    }


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's own cache of compiled templates (in the user's private temp folder, keyed by
    template path, source checksum and Python version): a process that renders one spec
    then loads the compiled code instead of parsing and compiling every template, ~50 ms
    of a 250 ms `render` (issue 15). A cache that cannot be written only costs that time."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _CompiledTemplates(pattern="__mlopsgen_%s.cache")
    except (OSError, RuntimeError):  # no private temp folder: compile in memory
        return None


@cache
def environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(templates_dir()))
    env = jinja2.Environment(loader=loader, bytecode_cache=_bytecode_cache(), **_options())
    return _configure(env)


def template_layers(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    """The layers that hold templates, lowest first."""
    return tuple(layer for layer in layers if layer.templates is not None)


def layered_loader(layers: Sequence[Layer]) -> jinja2.BaseLoader:
    """Most specific first, then the built-in templates; `<layer>:<name>` names one layer."""
    builtin = jinja2.FileSystemLoader(str(templates_dir()))
    folders = {layer.name: jinja2.FileSystemLoader(str(layer.templates)) for layer in layers}
    named: dict[str, jinja2.BaseLoader] = {BUILTIN: builtin, **folders}
    return jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader(named, delimiter=PREFIX_DELIMITER),
            *(folders[layer.name] for layer in reversed(layers)),
            builtin,
        ]
    )


@cache
def layered_environment(layers: tuple[Layer, ...]) -> jinja2.Environment:
    """The environment for a spec whose project names template layers (cached per set)."""
    chosen = template_layers(layers)
    if not chosen:
        return environment()
    # the sandbox (and jinja2.sandbox) only for a project with template layers (issue 15)
    from mlopsgen.render.user_text import PackSandbox

    builtin_root = os.path.join(str(templates_dir()), "")
    env = PackSandbox(builtin_root, loader=layered_loader(chosen), **_options())
    _configure(env)
    env.quote_filters()
    return env


def block_indent(text: str, width: int) -> str:
    """Indent every non-blank line of a block's text by `width` spaces, ending it with a
    newline. A block a platform team fills (README, "For the platform team") is written at
    column 0; left empty it adds nothing, not even a blank line (Jinja's indent(first=True)
    would add the indentation of an empty first line)."""
    if not text.strip():
        return ""
    pad = " " * width
    lines = text.splitlines()
    return "".join(f"{pad}{line}\n" if line.strip() else "\n" for line in lines)


@cache
def template(name: str, layers: tuple[Layer, ...] = ()) -> jinja2.Template:
    env = layered_environment(layers) if layers else environment()
    return env.get_template(name)


def render_template(name: str, context: dict[str, Any], layers: tuple[Layer, ...] = ()) -> str:
    if not layers:
        return template(name).render(context)
    from mlopsgen.render.user_text import PackSandbox

    env = layered_environment(layers)
    try:
        if isinstance(env, PackSandbox):
            return env.render_checked(template(name, layers), context)
        return template(name, layers).render(context)
    except jinja2.TemplateError as exc:  # a pack's template: the pack's problem, one line
        raise MlopsgenError(f"{_failing_line(exc)}: {type(exc).__name__}: {exc}") from exc


def _failing_line(exc: BaseException) -> str:
    """file:line of the innermost template frame (Jinja maps its frames to template lines)."""
    where = "a template"
    import traceback  # only to locate a template's error (and textwrap with it: ~1 ms)

    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            where = f"{frame.filename}:{frame.lineno}"
    filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    return f"{filename}:{lineno}" if filename and lineno else where


def template_origins(layers: tuple[Layer, ...]) -> dict[str, str]:
    """Every template name the set holds, and the layer it is taken from ("builtin" or the
    layer's name): what `mlopsgen layers` shows and the manifest's hash covers."""
    origins = {name: BUILTIN for name in environment().list_templates()}
    for layer in template_layers(layers):
        folder = jinja2.FileSystemLoader(str(layer.templates))
        origins.update(dict.fromkeys(folder.list_templates(), layer.name))
    return dict(sorted(origins.items()))


@cache
def template_set_hash(layers: tuple[Layer, ...]) -> str:
    """sha256 over every template of the effective set (names, layers and sources, in name
    order, each layer's own source too), so that any change to any layer changes it."""
    digest = hashlib.sha256()
    for layer in layers:  # the order decides which template wins
        digest.update(f"{layer.name} {layer.version}".encode() + b"\0")
        for patch in layer.patches:  # its patches change the output as its templates do
            digest.update(repr(patch).encode("utf-8") + b"\0")
    env = environment()
    assert env.loader is not None
    sources = [
        (BUILTIN, name, env.loader.get_source(env, name)[0]) for name in env.list_templates()
    ]
    for layer in template_layers(layers):
        folder = jinja2.FileSystemLoader(str(layer.templates))
        for name in folder.list_templates():
            sources.append((layer.name, name, folder.get_source(env, name)[0]))
    for owner, name, text in sorted(sources):
        # LF: the same set hashes alike in a checkout with CRLF line ends (git autocrlf)
        for part in (owner, name, text.replace("\r\n", "\n")):
            digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()
