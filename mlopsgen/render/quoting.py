"""One quoting filter per output syntax: no user string is ever spliced into output raw.

Each function returns a complete literal that the target's own parser reads back as exactly
the input string (tests prove it with yaml.safe_load, json.loads and ast.literal_eval).
"""

from __future__ import annotations

import json
import re
from typing import Any

# YAML double-quoted scalars may hold any printable character; everything else (C0/C1
# controls, DEL, line/paragraph separators, BOM, surrogates, non-characters) is escaped, so
# no YAML parser folds or rejects it. Quotes and backslashes are escaped too.
_YAML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
}
_YAML_UNSAFE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')


def _yaml_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _YAML_ESCAPES:
        return _YAML_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def yaml_str(value: object) -> str:
    """A YAML double-quoted scalar: always a string, never a bool/number/null/comment/key."""
    if not isinstance(value, str):
        raise TypeError(f"yaml_str expects a str, got {type(value).__name__}")
    return '"' + _YAML_UNSAFE.sub(_yaml_escape, value) + '"'


def json_value(value: Any) -> str:
    """A JSON literal (any JSON-able value) with sorted keys, on one line."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def py_str(value: object) -> str:
    """A Python string literal; `repr` of a str always reads back with ast.literal_eval."""
    if not isinstance(value, str):
        raise TypeError(f"py_str expects a str, got {type(value).__name__}")
    return repr(value)


_COMMENT_SAFE = re.compile(r"[^\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd]")


def comment_text(value: object) -> str:
    """Text safe inside a one-line comment in any of our outputs: no line breaks or controls.

    Anything outside the safe range is written as a JSON-style escape, so the comment stays
    on one line and still names the value unambiguously.
    """
    text = str(value)
    if not _COMMENT_SAFE.search(text):
        return text
    return _COMMENT_SAFE.sub(lambda m: json.dumps(m.group())[1:-1], text)
