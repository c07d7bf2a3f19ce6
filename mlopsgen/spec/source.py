"""Reading model.yaml safely: plain data plus the line and column of every key and value.

One pass: libyaml (PyYAML's C loader when available) composes the node tree, and `_Builder`
turns it into dicts, lists and scalars while recording positions. Scalars keep their source
text and quoting style so that later layers can say what the user actually wrote (YAML 1.1
reads `on` as true and `010` as 8; a message must show `on`, not `True`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

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
# YAML 1.1 (and so libyaml) breaks lines at NEL, LINE and PARAGRAPH SEPARATOR and at a lone
# carriage return; editors mostly do not (or not all), so every line number after one would
# point at another line than the one shown (issue 11). CRLF line ends are fine.
_SEPARATOR = re.compile("[\u0085\u2028\u2029]|\r(?!\n)")
# Far beyond any real spec (a few kB, nested ~6 deep), far below what costs a second or
# Python's recursion limit (issue 11: a 561-byte alias bomb took 18 s and 380 MB).
MAX_CHARS = 1_000_000
MAX_DEPTH = 50
MAX_EVENTS = 10_000  # parser events: one per key, value, list or mapping start and end
# Tags a scalar may carry explicitly: the ones a plain value can resolve to anyway.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)


# A named tuple: a frozen dataclass costs ~0.4 ms to create at import (issue 15).
class Source(NamedTuple):
    data: Any  # None when the text could not be read at all
    positions: dict[DataPath, Position]
    problems: tuple[Finding, ...]


def _mark(m: Any) -> Mark:  # yaml.Mark, or libyaml's own Mark class
    return (m.line + 1, m.column + 1)


def load(text: str) -> Source:
    """Parse `text`; never raises for bad input, every problem comes back located."""
    early = _text_problems(text)
    if early:
        return Source(None, {}, tuple(early))
    scanned = _event_problems(text)
    if any(f.code in ("E004", "E012") for f in scanned):
        return Source(None, {}, tuple(scanned))  # never expand aliases nor build deep trees
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
    builder.problems.extend(scanned)
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
    plain = _plain_words(problem, context, exc.context_mark)
    if plain is not None:
        return Finding((), "E001", plain, mark=where)
    if context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f"{context} that starts on line {exc.context_mark.line + 1}"
    suffix = f" ({context})" if context else ""
    return Finding((), "E001", f"YAML syntax error: {problem}{suffix}", mark=where)


def _plain_words(problem: str, context: str, opened: Any) -> str | None:
    """What the YAML library's most common complaints mean, in a spec author's words (issue
    14: they are nearly always indentation); None for the others, reported as they are."""
    where = f" of the block that starts on line {opened.line + 1}" if opened is not None else ""
    if problem == "did not find expected key" and "block mapping" in context:
        return (
            f"this line is indented differently from the keys{where}: the keys of one "
            "mapping start in the same column (indent with spaces, two per level)"
        )
    if problem == "did not find expected '-' indicator" and "block" in context:
        return (
            f"this line does not fit the list{where}: its items start with '- ' in the same "
            "column, and a key that follows the list goes back to the column of its parent"
        )
    if problem.startswith("mapping values are not allowed"):
        return (
            "a ': ' where no key can start: put a value that contains ': ' in quotes, or "
            "indent this line under its key"
        )
    if problem == "could not find expected ':'" and "simple key" in context:
        return "a key without ':' (or a line cut in two): write 'key: value', or quote the text"
    return None


def _text_problems(text: str) -> list[Finding]:
    """Checks on the raw text, before any parsing: size, line separators, tabs."""
    if len(text) > MAX_CHARS or len(text.encode("utf-8", "surrogatepass")) > MAX_CHARS:
        msg = f"the spec is larger than {MAX_CHARS:,} bytes; a model spec is a few kilobytes"
        return [Finding((), "E012", msg, mark=(1, 1))]
    separator = _SEPARATOR.search(text)
    if separator:
        msg = (
            f"character U+{ord(separator.group()):04X} is a line break to YAML but not to most "
            "editors, so lines would be counted differently; remove it (or end every line "
            "with LF or CRLF)"
        )
        return [Finding((), "E011", msg, mark=_offset_mark(text, separator.start()))]
    return [_tab_problem(text, m.end() - 1) for m in _LEADING_TAB.finditer(text)]


def _event_problems(text: str) -> list[Finding]:
    """One walk over the parser's events, which never expand aliases (so a 'billion laughs'
    document costs what its text costs): anchors, aliases, tags on collections, nesting depth,
    number of values (composing and validating 100,000 of them would take seconds).
    A syntax error is left to the composer, which reports it with its context."""
    found: list[Finding] = []
    depth = 0
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_Loader)):
            found.extend(_event_problem(event))
            if count > MAX_EVENTS:
                msg = f"the spec holds more than {MAX_EVENTS:,} keys and values"
                return [*found, Finding((), "E012", msg, mark=_mark(event.start_mark))]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    msg = f"values are nested more than {MAX_DEPTH} levels deep"
                    return [*found, Finding((), "E012", msg, mark=_mark(event.start_mark))]
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return []
    return found


def _event_problem(event: yaml.Event) -> Iterator[Finding]:
    """Anchors and aliases let one value stand for another: refused, so what you read is it."""
    anchor = getattr(event, "anchor", None)
    where = _mark(event.start_mark)
    if isinstance(event, yaml.AliasEvent):
        msg = f"alias '*{anchor}' is not allowed; write the value out in full"
        yield Finding((), "E004", msg, mark=where)
    elif anchor:
        msg = f"anchor '&{anchor}' is not allowed; write values out in full"
        yield Finding((), "E004", msg, mark=where)
    tag = getattr(event, "tag", None)
    if isinstance(event, yaml.CollectionStartEvent) and tag is not None:
        msg = f"YAML tag '{_shown_tag(tag)}' is not allowed; remove it"
        yield Finding((), "E008", msg, mark=where)


_KINDS = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:null": "null",
}


def _shown_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


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
        if constructor is None or tag not in _SCALAR_TAGS:  # !!binary, !!set, !custom...
            msg = f"YAML tag '{_shown_tag(tag)}' is not allowed; remove it"
            self.problems.append(Finding(path, "E008", msg))
            return node.value
        try:
            return constructor(_constructor, node)
        except (ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
            self.problems.append(Finding(path, "E009", _unreadable(node, exc)))
            return node.value


def _unreadable(node: yaml.ScalarNode, exc: Exception) -> str:
    """`2024-02-30` (a date to YAML), `!!int abc`, an integer of 5,000 digits..."""
    kind = _KINDS.get(node.tag, _shown_tag(node.tag))
    shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    reason = f" ({str(exc).split(':')[0]})" if isinstance(exc, ValueError) else ""
    return (
        f"YAML reads '{shown}' as {kind} but it is not a valid one{reason}; "
        f'write a valid one, or quote it ("...") if it is text'
    )
