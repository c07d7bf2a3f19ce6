"""A strict evaluator of the Azure Pipelines condition expressions the generated pipeline uses.

Semantics from Microsoft Learn, "Expressions" (Azure Pipelines):
- `eq`, `ne`, `in`, `notIn` compare strings ordinally **ignoring case**;
- `and`, `or` take two or more arguments, `not` one;
- `succeeded()` in a stage condition: every dependency ended Succeeded or SucceededWithIssues
  (and the run is not being canceled); `failed()`, `canceled()`, `always()`,
  `succeededOrFailed()` likewise;
- `variables['Name']` and `variables.Name` read a variable (an unknown one is the empty
  string), `dependencies.<stage>.result` a dependency's result.
Anything else (an unknown function, a wrong number of arguments, a malformed literal) raises,
so a condition this evaluator accepts is one the service parses too; used to evaluate the
generated conditions rather than grep them (issue 12).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),.\[\]]))"
)
OK_RESULTS = ("succeeded", "succeededwithissues")


@dataclass(frozen=True)
class Context:
    variables: Mapping[str, str] = field(default_factory=dict)
    dependencies: Mapping[str, str] = field(default_factory=dict)  # stage -> result
    canceled: bool = False


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _equal(left: Any, right: Any) -> bool:
    return _text(left).casefold() == _text(right).casefold()


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return value not in ("", None, 0)


class _Parser:
    def __init__(self, text: str, context: Context) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.context = context

    def parse(self) -> Any:
        value = self._value()
        if self.at != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.at][1]!r}")
        return value

    def _next(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise ExpressionError("unexpected end of expression")
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _expect(self, punct: str) -> None:
        kind, value = self._next()
        if (kind, value) != ("punct", punct):
            raise ExpressionError(f"expected {punct!r}, got {value!r}")

    def _peek(self, punct: str) -> bool:
        return self.at < len(self.tokens) and self.tokens[self.at] == ("punct", punct)

    def _value(self) -> Any:
        kind, value = self._next()
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value)
        if kind != "name":
            raise ExpressionError(f"unexpected {value!r}")
        if value in ("true", "True"):
            return True
        if value in ("false", "False"):
            return False
        if self._peek("("):
            return self._call(value)
        return self._property(value)

    def _property(self, root: str) -> Any:
        path: list[str] = []
        while self._peek(".") or self._peek("["):
            if self._peek("."):
                self._expect(".")
                kind, name = self._next()
                if kind != "name":
                    raise ExpressionError(f"expected a name after '.', got {name!r}")
                path.append(name)
            else:
                self._expect("[")
                key = self._value()
                self._expect("]")
                path.append(_text(key))
        if root == "variables" and len(path) == 1:
            return self.context.variables.get(path[0], "")
        if root == "dependencies" and len(path) == 2 and path[1] == "result":
            return self.context.dependencies.get(path[0], "")
        raise ExpressionError(f"unsupported property {root}.{'.'.join(path)}")

    def _call(self, name: str) -> Any:
        self._expect("(")
        args: list[Any] = []
        if not self._peek(")"):
            args.append(self._value())
            while self._peek(","):
                self._expect(",")
                args.append(self._value())
        self._expect(")")
        function = _FUNCTIONS.get(name.lower())
        if function is None:
            raise ExpressionError(f"unknown function {name}")
        low, high, call = function
        if not low <= len(args) <= high:
            raise ExpressionError(f"{name} takes {low} to {high} arguments, got {len(args)}")
        return call(self.context, args)


def _results(context: Context) -> list[str]:
    return [r.casefold() for r in context.dependencies.values()]


MANY = 1 << 16
_FUNCTIONS: dict[str, tuple[int, int, Callable[[Context, list[Any]], Any]]] = {
    "and": (2, MANY, lambda _c, a: all(_truthy(x) for x in a)),
    "or": (2, MANY, lambda _c, a: any(_truthy(x) for x in a)),
    "not": (1, 1, lambda _c, a: not _truthy(a[0])),
    "eq": (2, 2, lambda _c, a: _equal(a[0], a[1])),
    "ne": (2, 2, lambda _c, a: not _equal(a[0], a[1])),
    "in": (2, MANY, lambda _c, a: any(_equal(a[0], x) for x in a[1:])),
    "notin": (2, MANY, lambda _c, a: not any(_equal(a[0], x) for x in a[1:])),
    "succeeded": (
        0,
        0,
        lambda c, _a: not c.canceled and all(r in OK_RESULTS for r in _results(c)),
    ),
    "failed": (0, 0, lambda c, _a: any(r == "failed" for r in _results(c))),
    "canceled": (0, 0, lambda c, _a: c.canceled),
    "always": (0, 0, lambda _c, _a: True),
    "succeededorfailed": (
        0,
        0,
        lambda c, _a: not c.canceled and all(r != "canceled" for r in _results(c)),
    ),
}


def evaluate(expression: str, context: Context) -> bool:
    """The condition's value in `context`."""
    return _truthy(_Parser(expression, context).parse())
