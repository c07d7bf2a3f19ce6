"""Reading model.yaml safely: plain data plus the line and column of every key and value.

One pass: libyaml (PyYAML's C loader when available) composes the node tree, and `_Builder`
turns it into dicts, lists and scalars while recording positions. Scalars keep their source
text and quoting style so that later layers can say what the user actually wrote (YAML 1.1
reads `on` as true and `010` as 8; a message must show `on`, not `True`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from mlopsgen.spec.findings import DataPath, Finding, Mark, Position

# libyaml is ~10x faster than the pure-Python parser; fall back when PyYAML lacks it.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.1 integers that no reader of YAML 1.2 (or a human) would read the same way.
_SURPRISING_NUMBER = re.compile(
    r"[-+]?(0[0-7_]+|0o[0-7_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)"
)
_LEADING_TAB = re.compile(r"^[ ]*\t", re.MULTILINE)


@dataclass(frozen=True)
class Source:
    data: Any  # None when the text could not be read at all
    positions: dict[DataPath, Position]
    problems: tuple[Finding, ...]


def _mark(m: Any) -> Mark:  # yaml.Mark, or libyaml's own Mark class
    return (m.line + 1, m.column + 1)


def load(text: str) -> Source:
    """Parse `text`; never raises for bad input, every problem comes back located."""
    tabs = [_tab_problem(text, m.end() - 1) for m in _LEADING_TAB.finditer(text)]
    if tabs:
        return Source(None, {}, tuple(tabs))
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return Source(None, {}, (_syntax_problem(exc),))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow anywhere
        where = _offset_mark(text, exc.position)
        msg = f"character U+{exc.character:04X} is not allowed in YAML; remove it"
        return Source(None, {}, (Finding((), "E001", msg, mark=where),))
    except yaml.YAMLError as exc:
        return Source(None, {}, (Finding((), "E001", f"not valid YAML: {exc}", mark=(1, 1)),))
    finally:
        loader.dispose()
    if node is None:
        return Source(None, {}, (Finding((), "E006", "the spec is empty", mark=(1, 1)),))
    if not isinstance(node, yaml.MappingNode):
        msg = f"the spec must be a mapping of keys to values, not a {_node_kind(node)}"
        return Source(None, {}, (Finding((), "E006", msg, mark=_mark(node.start_mark)),))
    builder = _Builder()
    if "&" in text:  # an alias needs an anchor, so only then walk the events again
        builder.problems.extend(_anchor_problems(text))
    data = builder.build(node, (), None)
    return Source(data, builder.positions, tuple(builder.problems))


def _offset_mark(text: str, offset: int) -> Mark:
    line = text.count("\n", 0, offset) + 1
    return (line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _tab_problem(text: str, offset: int) -> Finding:
    line, column = _offset_mark(text, offset)
    return Finding(
        (), "E002", "tab character in indentation; indent with spaces", mark=(line, column)
    )


def _syntax_problem(exc: yaml.MarkedYAMLError) -> Finding:
    mark = exc.problem_mark or exc.context_mark
    where = _mark(mark) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    if "single document" in problem + context:
        msg = "a spec holds exactly one YAML document; remove '---' and what follows"
        return Finding((), "E005", msg, mark=where)
    if context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f"{context} that starts on line {exc.context_mark.line + 1}"
    suffix = f" ({context})" if context else ""
    return Finding((), "E001", f"YAML syntax error: {problem}{suffix}", mark=where)


def _anchor_problems(text: str) -> list[Finding]:
    """Anchors and aliases let one value stand for another: refused, so what you read is it."""
    found: list[Finding] = []
    try:
        for event in yaml.parse(text, Loader=_Loader):
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent):
                msg = f"alias '*{anchor}' is not allowed; write the value out in full"
                found.append(Finding((), "E004", msg, mark=_mark(event.start_mark)))
            elif anchor:
                msg = f"anchor '&{anchor}' is not allowed; write values out in full"
                found.append(Finding((), "E004", msg, mark=_mark(event.start_mark)))
    except yaml.YAMLError:  # already reported by the composer
        pass
    return found


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return f"single value ({node.value!r})" if isinstance(node, yaml.ScalarNode) else "node"


class _Builder:
    """Turns composed nodes into Python data and a map from data path to position."""

    def __init__(self) -> None:
        self.positions: dict[DataPath, Position] = {}
        self.problems: list[Finding] = []

    def build(self, node: yaml.Node, path: DataPath, key: Mark | None) -> Any:
        value_mark = _mark(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            self.positions[path] = Position(key, value_mark, node.value, node.style or None)
            return self._scalar(node, path)
        self.positions[path] = Position(key, value_mark, None, None)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self.build(item, (*path, i), None) for i, item in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, path: DataPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Finding(path, "E008", "keys must be plain text", mark=key_mark)
                )
                continue
            if key_node.tag == _MERGE_TAG:
                msg = "merge key '<<' is not allowed; write the keys out in full"
                self.problems.append(Finding(path, "E004", msg, mark=key_mark))
                continue
            # The key's text as written: `on:` stays "on", never YAML 1.1's True.
            name = key_node.value
            child = (*path, name)  # mypy targeting 3.10 misreads `x[(*path, name)]` as 3.11 syntax
            if name in result:
                first = self.positions[child].key or key_mark
                msg = f"duplicate key '{name}' (first defined on line {first[0]})"
                self.problems.append(Finding(child, "E003", msg, mark=key_mark))
                continue
            result[name] = self.build(value_node, child, key_mark)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: DataPath) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        if tag in (_INT_TAG, _FLOAT_TAG) and _SURPRISING_NUMBER.fullmatch(node.value):
            value = _constructor.yaml_constructors[tag](_constructor, node)
            msg = (
                f"YAML 1.1 reads '{node.value}' as the number {value}; write the number you "
                f'mean, or quote it ("{node.value}") if it is text'
            )
            self.problems.append(Finding(path, "E007", msg))
            return value
        constructor = _constructor.yaml_constructors.get(tag)
        if constructor is None:  # an explicit tag such as !!binary or !custom
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            msg = f"YAML tag '{shown}' is not allowed; remove it"
            self.problems.append(Finding(path, "E008", msg))
            return node.value
        return constructor(_constructor, node)
