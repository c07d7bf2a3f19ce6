"""Checks of a layer's templates before anything renders with them (issue 13): every file
overrides a template a lower layer has (or is a new partial, `_name.j2`), parses as Jinja,
extends a template that exists, and replaces only blocks its parent has. Each problem is one
diagnostic at the pack file's line; templates are parsed here, never run.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import jinja2
import jinja2.nodes

from mlopsgen import layout
from mlopsgen.resources import templates_dir
from mlopsgen.spec.diagnostics import Diagnostic, Location

UNKNOWN_TEMPLATE = "E404"
UNKNOWN_BLOCK = "E405"
BAD_TEMPLATE = "E406"

_PARSER = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, autoescape=False)
Sources = Mapping[str, Mapping[str, str]]  # layer name -> template name -> source


def folder_sources(folder: Path) -> dict[str, str]:
    """Every template file under `folder`, by its POSIX name, sorted."""
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@cache
def builtin_sources() -> dict[str, str]:
    return folder_sources(templates_dir())


def check_layer(name: str, folder: Path, lower: Sources) -> Iterator[Diagnostic]:
    """Problems of one layer's templates; `lower` holds the layers beneath it, built-in first."""
    known = {t for sources in lower.values() for t in sources}
    for template, text in folder_sources(folder).items():
        where = Location(str(folder / template), 1, 1)
        private = posixpath.basename(template).startswith("_")
        if template not in known and not private:
            close = difflib.get_close_matches(template, sorted(known), n=1)
            hint = (
                f"; did you mean {close[0]}?"
                if close
                else f" (templates: {', '.join(sorted(known))})"
            )
            msg = f"pack {name} overrides {template}, which no lower layer has{hint}"
            yield Diagnostic(where, UNKNOWN_TEMPLATE, "", msg)
            continue
        yield from _check_source(name, folder / template, template, text, lower)


def _check_source(
    name: str, path: Path, template: str, text: str, lower: Sources
) -> Iterator[Diagnostic]:
    try:
        tree = _PARSER.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        where = Location(str(path), exc.lineno, 1)
        yield Diagnostic(where, BAD_TEMPLATE, "", f"pack {name}: not a Jinja template: {exc}")
        return
    parent = next(iter(tree.find_all(jinja2.nodes.Extends)), None)
    if parent is None:
        return  # a whole-file replacement: the escape hatch
    target = parent.template
    line = Location(str(path), parent.lineno, 1)
    if not isinstance(target, jinja2.nodes.Const) or not isinstance(target.value, str):
        yield Diagnostic(line, BAD_TEMPLATE, "", f"pack {name}: extends needs a quoted name")
        return
    blocks = _blocks_of(target.value, template, lower)
    if isinstance(blocks, str):
        yield Diagnostic(line, BAD_TEMPLATE, "", f"pack {name}: {blocks}")
        return
    for block in tree.find_all(jinja2.nodes.Block):
        if block.name not in blocks:
            source_line = text.splitlines()[block.lineno - 1]
            column = max(source_line.find(block.name), 0) + 1
            where = Location(str(path), block.lineno, column)
            shown = ", ".join(sorted(blocks)) or "none"
            msg = (
                f"pack {name}: block '{block.name}' is not in {target.value} "
                f"(its blocks: {shown}); see README, 'For the platform team'"
            )
            yield Diagnostic(where, UNKNOWN_BLOCK, "", msg)


def _blocks_of(reference: str, own: str, lower: Sources) -> set[str] | str:
    """The blocks `reference` (`<layer>:<name>`) offers, its parents' included; or why not."""
    layer, sep, template = reference.partition(layout.LAYER_DELIMITER)
    if not sep:
        if reference == own:
            return (
                f"{own} extends itself: write "
                f'{{% extends "{layout.BUILTIN_LAYER}{layout.LAYER_DELIMITER}{own}" %}}'
            )
        layer, template = "", reference
    layers = [layer] if layer else list(reversed(list(lower)))
    for candidate in layers:
        source = lower.get(candidate, {}).get(template)
        if source is not None:
            return _blocks_in(source, template, lower)
    where = f"layer {layer}" if layer else "any lower layer"
    return f"extends {reference}, which {where} does not have (layers: {', '.join(lower)})"


def _blocks_in(source: str, template: str, lower: Sources) -> set[str]:
    tree = _PARSER.parse(source)
    blocks = {b.name for b in tree.find_all(jinja2.nodes.Block)}
    parent = next(iter(tree.find_all(jinja2.nodes.Extends)), None)
    if parent is not None and isinstance(parent.template, jinja2.nodes.Const):
        inherited = _blocks_of(str(parent.template.value), template, lower)
        if isinstance(inherited, set):
            blocks |= inherited
    return blocks
