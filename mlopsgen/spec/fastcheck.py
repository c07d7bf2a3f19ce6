"""A compiled yes/no check for the subset of JSON Schema that model.v1 uses.

Why: jsonschema spends ~1 ms per spec walking its generic machinery, most of `mlopsgen check`'s
budget on 1,000 specs. Valid specs are the common case, so `compile_schema` turns the schema
into plain closures once; only when they say "not valid" does jsonschema run to explain why.
It must agree with jsonschema on every instance (`oneOf` needs exact branches); unknown
keywords refuse to compile, and a property test compares both on generated data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {
    "$schema",
    "title",
    "description",
    "default",
    "examples",
    "patternErrorMessage",
    "$defs",
}
_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


class Unsupported(Exception):
    """The schema uses something this compiler does not handle: use jsonschema alone."""


def compile_schema(root: Mapping[str, Any]) -> Check:
    return _Compiler(root).compile(root)


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda _: True
        if schema is False:
            return lambda _: False
        if not isinstance(schema, Mapping):
            raise Unsupported(repr(schema))
        checks = [self._keyword(k, v, schema) for k, v in schema.items() if k not in _ANNOTATIONS]
        active = [c for c in checks if c is not None]
        return lambda value: all(c(value) for c in active)

    def _keyword(self, key: str, value: Any, schema: Mapping[str, Any]) -> Check | None:
        if key in ("properties", "additionalProperties"):
            return (
                self._object(schema) if key == "properties" or "properties" not in schema else None
            )
        handler = getattr(self, "_kw_" + key.lstrip("$"), None)
        if handler is None:
            raise Unsupported(key)
        check: Check = handler(value)
        return check

    def _object(self, schema: Mapping[str, Any]) -> Check:
        props = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        other = self.compile(extra)

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                sub = props.get(key, other)
                if not sub(item):
                    return False
            return True

        return check

    def _kw_ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/") :]:
            raise Unsupported(ref)
        name = ref[len("#/$defs/") :]
        if name not in self.refs:
            self.refs[name] = lambda _: False  # placeholder against recursion while compiling
            self.refs[name] = self.compile(self.root["$defs"][name])
        return lambda v: self.refs[name](v)

    def _kw_type(self, names: Any) -> Check:
        tests = [_TYPES[n] for n in ([names] if isinstance(names, str) else names)]
        return lambda v: any(t(v) for t in tests)

    def _kw_required(self, names: list[str]) -> Check:
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)

    def _kw_enum(self, options: list[Any]) -> Check:
        if not all(isinstance(o, str) for o in options):
            raise Unsupported("non-string enum")
        allowed = frozenset(options)
        return lambda v: isinstance(v, str) and v in allowed

    def _kw_const(self, option: Any) -> Check:
        return self._kw_enum([option])

    def _kw_pattern(self, pattern: str) -> Check:
        return lambda v: not isinstance(v, str) or _search(pattern)(v) is not None

    def _kw_minLength(self, limit: int) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= limit

    def _kw_minItems(self, limit: int) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= limit

    def _kw_uniqueItems(self, unique: bool) -> Check:
        def check(v: Any) -> bool:
            if not unique or not isinstance(v, list):
                return True
            return len({_canonical(i) for i in v}) == len(v)

        return check

    def _kw_minimum(self, limit: float) -> Check:
        return lambda v: not _TYPES["number"](v) or v >= limit

    def _kw_maximum(self, limit: float) -> Check:
        return lambda v: not _TYPES["number"](v) or v <= limit

    def _kw_items(self, schema: Any) -> Check:
        sub = self.compile(schema)
        return lambda v: not isinstance(v, list) or all(sub(i) for i in v)

    def _kw_propertyNames(self, schema: Any) -> Check:
        sub = self.compile(schema)
        return lambda v: not isinstance(v, dict) or all(sub(k) for k in v)

    def _kw_anyOf(self, schemas: list[Any]) -> Check:
        subs = [self.compile(s) for s in schemas]
        return lambda v: any(s(v) for s in subs)

    def _kw_oneOf(self, schemas: list[Any]) -> Check:
        subs = [self.compile(s) for s in schemas]
        return lambda v: sum(1 for s in subs if s(v)) == 1


@cache
def _search(pattern: str) -> Callable[[str], re.Match[str] | None]:
    """The pattern compiled when a value first meets it: a spec meets a few of the schema's
    ~15 patterns, and compiling them all cost ~1 ms of every process (issue 15)."""
    return re.compile(pattern).search


def _canonical(value: Any) -> Any:
    """A hashable stand-in with JSON Schema equality: 1 == 1.0, but True != 1."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("map", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_canonical(v) for v in value))
    return ("scalar", value)
