"""Strict request-body checks derived from databricks-sdk's own type hints.

The real service answers 400 INVALID_PARAMETER_VALUE for unknown fields, wrong JSON types and
unknown enum values. The SDK's `from_dict` silently drops unknown keys, so a round trip alone
does not catch them; this walker checks every key and value against the annotated types of
the SDK dataclasses (and of API method signatures for request bodies that have no class).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any


@cache
def _hints(obj: Any) -> dict[str, Any]:
    return typing.get_type_hints(obj)


def method_fields(method: Callable[..., Any], *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body fields of an SDK API method: its parameters (minus path parameters) and types."""
    params = inspect.signature(method).parameters
    hints = _hints(method)
    return {n: hints[n] for n in params if n not in ("self", *exclude) and n in hints}


def dataclass_fields(cls: type) -> dict[str, Any]:
    hints = _hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def check_fields(fields: Mapping[str, Any], data: Any, path: str = "") -> list[str]:
    """Problems with `data` as an object whose keys are `fields`; empty when it is valid."""
    if not isinstance(data, dict):
        return [f"{path or '<body>'}: expected an object, got {type(data).__name__}"]
    problems: list[str] = []
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in fields:
            problems.append(f"{where}: unknown field")
            continue
        problems.extend(check_value(fields[key], value, where))
    return problems


def check_value(annotation: Any, value: Any, path: str) -> list[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if value is None:
            return []
        return check_value(inner[0], value, path) if len(inner) == 1 else []
    if origin in (list, typing.List):  # noqa: UP006 - the SDK annotates with typing.List
        if not isinstance(value, list):
            return [f"{path}: expected an array"]
        return [p for i, v in enumerate(value) for p in check_value(args[0], v, f"{path}[{i}]")]
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        return [p for k, v in value.items() for p in check_value(args[1], v, f"{path}.{k}")]
    return _check_leaf(annotation, value, path)


def _check_leaf(annotation: Any, value: Any, path: str) -> list[str]:
    if annotation is Any:
        return []
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return check_fields(dataclass_fields(annotation), value, path)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        allowed = [e.value for e in annotation]
        return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed}"]
    expected: dict[Any, tuple[type, ...]] = {
        str: (str,),
        int: (int,),
        float: (int, float),
        bool: (bool,),
    }
    kinds = expected.get(annotation)
    if kinds is None:
        return []  # an SDK type we do not model (treated like Any)
    if isinstance(value, bool) and annotation is not bool:
        return [f"{path}: expected {annotation.__name__}, got a boolean"]
    if not isinstance(value, kinds):
        return [f"{path}: expected {annotation.__name__}, got {type(value).__name__}"]
    return []
