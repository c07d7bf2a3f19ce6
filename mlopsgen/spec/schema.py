"""The packaged JSON Schema, and its errors translated into findings people can act on.

jsonschema's own messages quote Python reprs (`True is not of type 'string'`); here each
error kind gets one sentence that names what was written, what is expected and, for YAML
1.1 surprises, that quoting fixes it. Unknown keys and enum values get "did you mean".
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from mlopsgen.resources import schemas_dir
from mlopsgen.spec.findings import DataPath, Finding, Position

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "model.v1.schema.json"

_EXPECTED = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}
_RANGE = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "more than",
    "exclusiveMaximum": "less than",
}


@cache
def schema_text() -> str:
    return (schemas_dir() / SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def schema_document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """`node` with its local `$ref` (`#/$defs/<name>`) replaced by the definition's keys."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target = root["$defs"][ref.rsplit("/", 1)[1]]
    return {**resolve(root, target), **{k: v for k, v in node.items() if k != "$ref"}}


@cache
def schema_defaults() -> Mapping[str, Mapping[str, Any]]:
    """Every `default` in the schema, by the object whose key it is: `{"training":
    {"timeout_minutes": 120, ...}, "stages[].approval": {...}, "": {"owners": []}, ...}`.

    The schema is where defaults are declared; `mlopsgen.model` applies them (and the spec
    reference shows them). Read-only: the values are the parsed schema's own objects.
    """
    found: dict[str, dict[str, Any]] = {}
    _collect_defaults(schema_document(), schema_document(), "", found)
    return found


def _collect_defaults(
    root: Mapping[str, Any], node: Mapping[str, Any], where: str, found: dict[str, dict[str, Any]]
) -> None:
    node = resolve(root, node)
    for variant in (*node.get("oneOf", ()), *node.get("anyOf", ()), *node.get("allOf", ())):
        _collect_defaults(root, variant, where, found)  # alternatives of one object
    for key, sub in node.get("properties", {}).items():
        sub = resolve(root, sub)
        if "default" in sub:
            known = found.setdefault(where, {})
            if known.get(key, sub["default"]) != sub["default"]:
                raise ValueError(f"the schema gives {where}.{key} two different defaults")
            known[key] = sub["default"]
        _collect_defaults(root, sub, f"{where}.{key}" if where else key, found)
    if isinstance(node.get("items"), Mapping):
        _collect_defaults(root, node["items"], f"{where}[]", found)


@cache
def _validator() -> Draft202012Validator:
    # Built once per process: compiling the schema's references costs more than validating.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema_document())


@cache
def _fast_check() -> Callable[[Any], bool]:
    from mlopsgen.spec.fastcheck import Unsupported, compile_schema

    try:
        return compile_schema(schema_document())
    except Unsupported:  # a keyword the fast path lacks: always ask jsonschema
        return lambda _: False


def validate(data: Any, positions: Mapping[DataPath, Position]) -> list[Finding]:
    """Every schema violation in `data`, each pointed at the key or value that causes it."""
    if _fast_check()(data):
        return []
    return _unique(f for e in _validator().iter_errors(data) for f in _convert(e, positions))


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _schema(error: ValidationError) -> Mapping[str, Any]:
    return error.schema if isinstance(error.schema, Mapping) else {}


def _wanted(error: ValidationError) -> Any:
    """The schema keyword's value (jsonschema types it as possibly unset)."""
    return error.validator_value


def _convert(error: ValidationError, positions: Mapping[DataPath, Position]) -> list[Finding]:
    path: DataPath = tuple(error.absolute_path)
    kind = error.validator
    if "propertyNames" in error.relative_schema_path:
        return [_bad_property_name(error, path)]
    if kind == "additionalProperties":
        return _unknown_keys(error, path)
    if kind == "required":
        return _missing_keys(error, path)
    if kind in ("oneOf", "anyOf"):
        return _alternatives(error, path, positions)
    if kind == "type":
        return [Finding(path, "E203", _type_message(error, positions.get(path)))]
    if kind in ("enum", "const"):
        return [Finding(path, "E204", _choice_message(error, positions.get(path)))]
    if kind == "pattern":
        return [Finding(path, "E205", _pattern_message(error))]
    return [Finding(path, "E206", _limit_message(error))]


def _unknown_keys(error: ValidationError, path: DataPath) -> list[Finding]:
    allowed = sorted(_schema(error).get("properties", {}))
    findings = []
    instance: Any = error.instance
    for key in instance:
        if key in allowed:
            continue
        import difflib  # only to suggest a name for an unknown one

        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        findings.append(Finding((*path, key), "E201", f"unknown key '{key}'; {hint}", at="key"))
    return findings


def _missing_keys(error: ValidationError, path: DataPath) -> list[Finding]:
    present = error.instance if isinstance(error.instance, dict) else {}
    return [
        Finding(path, "E202", f"missing required key '{key}'", at="key")
        for key in _wanted(error)
        if key not in present
    ]


def _bad_property_name(error: ValidationError, path: DataPath) -> Finding:
    message = _schema(error).get("patternErrorMessage") or error.message
    return Finding((*path, str(error.instance)), "E205", message, at="key")


def _alternatives(
    error: ValidationError, path: DataPath, positions: Mapping[DataPath, Position]
) -> list[Finding]:
    """Report the alternative that came closest, not a wall of every branch's complaints."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if not branches:  # oneOf matched more than one branch: the schema's alternatives overlap
        return [Finding(path, "E207", "matches more than one alternative; remove keys")]
    if all(s.validator == "required" for errs in branches.values() for s in errs):
        names = " or ".join(f"'{k}'" for s in _wanted(error) for k in s["required"])
        return [Finding(path, "E202", f"missing required key: set {names}", at="key")]
    converted = [
        _unique(f for e in errs for f in _convert(e, positions)) for errs in branches.values()
    ]
    return min(converted, key=len)


def _type_message(error: ValidationError, pos: Position | None) -> str:
    wanted = _wanted(error)
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    expected = " or ".join(_EXPECTED.get(n, n) for n in names)
    message = f"expected {expected}, got {describe(error.instance, pos)}"
    surprising = isinstance(error.instance, (bool, int, float, datetime.date))
    if "string" in names and surprising and pos is not None and pos.source is not None:
        message += f'{_yaml_reading(error.instance)}; quote it: "{pos.source}"'
    return message


def _yaml_reading(value: Any) -> str:
    """Why YAML turned what looks like text into something else."""
    if isinstance(value, bool):
        return " (YAML 1.1 reads unquoted yes/no/on/off/true/false as booleans)"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return " (YAML reads unquoted dates and times as timestamps)"
    return ""


def describe(value: Any, pos: Position | None) -> str:
    """What the user wrote, as they wrote it: `boolean 'on'`, not Python's `True`."""
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = pos.source if pos is not None and pos.source is not None else str(value)
    if isinstance(value, bool):
        return f"boolean '{shown}'"
    if isinstance(value, (int, float)):
        return f"number {shown}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"date/time {shown}"
    if isinstance(value, str):
        return f"'{shown}'"
    return f"{type(value).__name__} '{shown}'"


def _choice_message(error: ValidationError, pos: Position | None) -> str:
    options = _wanted(error) if error.validator == "enum" else [_wanted(error)]
    texts = [str(o) for o in options]
    got = describe(error.instance, pos)
    if len(texts) == 1:
        return f"must be '{texts[0]}', got {got}"
    message = f"must be one of {', '.join(texts)}; got {got}"
    if isinstance(error.instance, str):
        import difflib

        close = difflib.get_close_matches(error.instance, texts, n=1, cutoff=0.6)
        message += f"; did you mean '{close[0]}'?" if close else ""
    return message


def _pattern_message(error: ValidationError) -> str:
    explained = _schema(error).get("patternErrorMessage")
    reason = explained or f"must match the pattern {_wanted(error)}"
    return f"'{error.instance}' {reason}"


def _short_number(value: object) -> str:
    """A 300-digit number is shown by its ends and length, not in full (issue 11)."""
    text = str(value)
    digits = text.lstrip("-")
    if len(text) <= 40 or not digits.isdigit():
        return text
    return f"{text[:12]}...{text[-4:]} ({len(digits)} digits)"


def _limit_message(error: ValidationError) -> str:
    kind, limit = error.validator, _wanted(error)
    if kind in _RANGE:
        return f"must be {_RANGE[kind]} {limit}, got {_short_number(error.instance)}"
    if kind == "minItems":
        return "must not be empty" if limit == 1 else f"must have at least {limit} items"
    if kind == "minLength":
        return "must not be empty"
    if kind == "uniqueItems":
        return "must not list the same item twice"
    return str(error.message)
