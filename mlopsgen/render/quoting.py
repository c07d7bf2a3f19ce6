"""One quoting filter per output syntax: no user string is ever spliced into output raw.

Each function returns a complete literal that the target's own parser reads back as exactly
the input string (tests prove it with yaml.safe_load, json.loads and ast.literal_eval).
"""

from __future__ import annotations

import json
import re
from functools import cache
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


# The patterns with characters beyond Latin-1 cost ~0.2-0.6 ms each to compile: compiled on
# first use, and not at all while every value is printable ASCII, which needs no escape there
# (issue 15). Printable ASCII is U+0020 to U+007E: none of it is a control, a separator or
# beyond Latin-1.
def _plain_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


@cache
def _yaml_unsafe() -> re.Pattern[str]:
    return re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')


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
    if _plain_ascii(value) and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return '"' + _yaml_unsafe().sub(_yaml_escape, value) + '"'


def json_value(value: Any) -> str:
    """A JSON literal (any JSON-able value) with sorted keys, on one line."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def py_str(value: object) -> str:
    """A Python string literal; `repr` of a str always reads back with ast.literal_eval."""
    if not isinstance(value, str):
        raise TypeError(f"py_str expects a str, got {type(value).__name__}")
    return repr(value)


# What is not safe, spelled out rather than as `[^<safe ranges>]`: the same set (a test
# compares them over every code point), but compiling the negated form walks the ~63,000 safe
# BMP code points in Python, 3 ms of every render's start (issue 15).
@cache
def _comment_unsafe() -> re.Pattern[str]:
    return re.compile(
        "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
    )


def comment_text(value: object) -> str:
    """Text safe inside a one-line comment in any of our outputs: no line breaks or controls.

    Anything outside the safe range is written as a JSON-style escape, so the comment stays
    on one line and still names the value unambiguously.
    """
    text = str(value)
    if _plain_ascii(text) or not _comment_unsafe().search(text):
        return text
    return _comment_unsafe().sub(lambda m: json.dumps(m.group())[1:-1], text)


# Mermaid labels: a double-quoted string, in which Mermaid decodes `#<decimal>;` entity codes
# (mermaid.js.org, "Flowcharts", "Entity codes to escape characters"). Escaped: the quote that
# would end the string; `#` and `;` that would start or end an entity code; `<`, `>` and `&`
# that an HTML label would read as markup; `%` (a `%%{...}%%` directive is honoured anywhere
# in the text), the backtick (a "`...`" string is Markdown), `*` and `_` (Mermaid 11 draws
# them as emphasis even in a plain string), `|` (an edge label's delimiter),
# brackets and braces (shape delimiters) and every control or line-breaking character.
# Printable ASCII meets the punctuation alone: the whole set compiles on first other text.
_MERMAID_PUNCTUATION = re.compile('["#;<>&%`*_|\\[\\]{}()\\\\]')


@cache
def _mermaid_unsafe() -> re.Pattern[str]:
    return re.compile(
        '["#;<>&%`*_|\\[\\]{}()\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]'
    )


def mermaid_text(value: object) -> str:
    """The inside of a Mermaid label: every unsafe character as a `#<decimal>;` entity code."""
    if not isinstance(value, str):
        raise TypeError(f"mermaid_text expects a str, got {type(value).__name__}")
    unsafe = _MERMAID_PUNCTUATION if _plain_ascii(value) else _mermaid_unsafe()
    return unsafe.sub(lambda m: f"#{ord(m.group())};", value)


def mermaid_str(value: object) -> str:
    """A complete, quoted Mermaid label that shows exactly `value`."""
    return f'"{mermaid_text(value)}"'


# CommonMark lets a backslash escape any ASCII punctuation character. Escaped: what starts
# emphasis, code, links, images, HTML, entities, tables, strikethrough, headings and math
# inside a line (values never start a line: the paragraph's own words come first). Line
# breaks and other controls become numeric character references, so a value stays inside its
# paragraph and still reads back as itself.
_MARKDOWN_UNSAFE = re.compile(r"[\\`*_\[\]<>&!|~#$]")


@cache
def _markdown_controls() -> re.Pattern[str]:
    return re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def markdown_text(value: object) -> str:
    """Text shown literally in a Markdown paragraph: no emphasis, links, HTML or headings."""
    if not isinstance(value, str):
        raise TypeError(f"markdown_text expects a str, got {type(value).__name__}")
    escaped = _MARKDOWN_UNSAFE.sub(lambda m: "\\" + m.group(), value)
    if _plain_ascii(escaped):
        return escaped
    return _markdown_controls().sub(lambda m: f"&#{ord(m.group())};", escaped)
