"""Canonical JSON text: sorted keys, two-space indent, LF, trailing newline.

Byte-identical to `json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\\n"`
(a test asserts it), but several times faster: the standard library falls back to its
pure-Python generator encoder whenever `indent` is set, and `check` renders every job.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any


def canonical_json(data: Any) -> str:
    out: list[str] = []
    _emit(data, "\n", out)
    out.append("\n")
    return "".join(out)


def _emit(value: Any, newline: str, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, dict):
        _emit_dict(value, newline, out)
    elif isinstance(value, list | tuple):
        _emit_list(value, newline, out)
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(float.__repr__(value))
    else:
        raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _emit_dict(value: dict[str, Any], newline: str, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = newline + "  "
    separator = "{" + inner
    for key in sorted(value):
        out.append(separator)
        out.append(encode_basestring(key))
        out.append(": ")
        _emit(value[key], inner, out)
        separator = "," + inner
    out.append(newline + "}")


def _emit_list(value: list[Any] | tuple[Any, ...], newline: str, out: list[str]) -> None:
    if not value:
        out.append("[]")
        return
    inner = newline + "  "
    separator = "[" + inner
    for item in value:
        out.append(separator)
        _emit(item, inner, out)
        separator = "," + inner
    out.append(newline + "]")
