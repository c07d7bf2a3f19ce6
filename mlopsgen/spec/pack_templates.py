"""Checks of a layer's templates before anything renders with them (issue 13): every file
overrides a template a lower layer has (or is a new partial, `_name.j2`), parses as Jinja,
extends a template that exists, and replaces only blocks its parent has. Each problem is one
diagnostic at the pack file's line; templates are parsed here, never run.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
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


@dataclass(frozen=True)
class Parsed:
    """What the checks need of a template: its blocks and what it extends, or its error."""

    blocks: tuple[tuple[str, int], ...] = ()  # (name, line)
    extends: tuple[str | None, int] | None = None  # (the quoted name or None, line)
    error: tuple[int, str] | None = None  # (line, message) when it is not Jinja


@lru_cache(maxsize=256)
def parse(text: str) -> Parsed:
    """Parsed once per text: `check` over many specs of one project checks the same packs,
    and parsing the built-in pipeline template costs milliseconds."""
    try:
        tree = _PARSER.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return Parsed(error=(exc.lineno, str(exc)))
    blocks = tuple((b.name, b.lineno) for b in tree.find_all(jinja2.nodes.Block))
    parent = next(iter(tree.find_all(jinja2.nodes.Extends)), None)
    if parent is None:
        return Parsed(blocks)
    target = parent.template
    quoted = isinstance(target, jinja2.nodes.Const) and isinstance(target.value, str)
    return Parsed(blocks, (str(target.value) if quoted else None, parent.lineno))  # type: ignore[attr-defined]


def describe(template: str, text: str) -> str:
    """How a layer's template changes mlopsgen's (for `mlopsgen layers`): the template it
    extends and the blocks it fills, a whole-file replacement, or a partial of its own."""
    parsed = parse(text)
    if posixpath.basename(template).startswith("_"):
        return "a partial of its own"
    if parsed.extends is None:
        return "replaces the whole file"
    parent = parsed.extends[0] or "a computed name"
    blocks = ", ".join(sorted({name for name, _ in parsed.blocks})) or "none"
    return f"extends {parent}; blocks: {blocks}"


def _check_source(
    name: str, path: Path, template: str, text: str, lower: Sources
) -> Iterator[Diagnostic]:
    parsed = parse(text)
    if parsed.error is not None:
        where = Location(str(path), parsed.error[0], 1)
        msg = f"pack {name}: not a Jinja template: {parsed.error[1]}"
        yield Diagnostic(where, BAD_TEMPLATE, "", msg)
        return
    if parsed.extends is None:
        return  # a whole-file replacement: the escape hatch
    target, lineno = parsed.extends
    line = Location(str(path), lineno, 1)
    if target is None:
        yield Diagnostic(line, BAD_TEMPLATE, "", f"pack {name}: extends needs a quoted name")
        return
    blocks = _blocks_of(target, template, lower)
    if isinstance(blocks, str):
        yield Diagnostic(line, BAD_TEMPLATE, "", f"pack {name}: {blocks}")
        return
    for block, block_line in parsed.blocks:
        if block not in blocks:
            source_line = text.splitlines()[block_line - 1]
            column = max(source_line.find(block), 0) + 1
            where = Location(str(path), block_line, column)
            shown = ", ".join(sorted(blocks)) or "none"
            msg = (
                f"pack {name}: block '{block}' is not in {target} "
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
    parsed = parse(source)
    blocks = {name for name, _ in parsed.blocks}
    if parsed.extends is not None and parsed.extends[0] is not None:
        inherited = _blocks_of(parsed.extends[0], template, lower)
        if isinstance(inherited, set):
            blocks |= inherited
    return blocks
