"""Policy as data (issue 13): a pack's `policy.toml` holds rules that every spec of the
project must follow, checked after the spec's own rules and reported like them, with the
rule's own code (P001...), its severity, `file:line:col` at the spec and the pack's name.

    [[rule]]
    code = "P001"                       # P and three digits, unique in the pack
    severity = "error"                  # or "warning" (reported, never blocking)
    message = "the last stage needs an approval or an Azure DevOps environment"
    where = "last_stage"                # spec (default), every_stage, last_stage,
                                        # every_new_cluster
    any_of = ["approval", "environment"]  # or path = "approval.approvers"
    check = "required"                  # see CHECKS
    # value = 2                         # for every check but required
    # when = { path = "name", check = "one_of", value = ["prod", "production"] }

`where` picks the places a rule is checked at; its paths are relative to each place.
`every_new_cluster` is each compute block from which mlopsgen creates a new cluster:
`training.compute` (written or not) and `runtime_compute` (written or not) unless they say
`serverless: true` or name an `existing_cluster_id`, and `serving.compute` when written as
a new cluster. `when` (a path, a check and its value, at the same place) limits the rule to
the places where it holds, e.g. the stages named prod.

Rules read the spec as written plus the organisation defaults, not mlopsgen's own defaults:
a key the spec leaves out is missing (`required` fails, `not_equals` holds, the other
checks fail). No code runs: `matches` is a regular expression, matched in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.spec.diagnostics import Diagnostic
from mlopsgen.spec.findings import DataPath, Finding
from mlopsgen.spec.toml_text import TomlFile, read_tables

BAD_POLICY = "E407"
CHECKS = (
    "required",
    "min_items",
    "max_items",
    "equals",
    "not_equals",
    "one_of",
    "matches",
    "at_least",
    "at_most",
)
WHERE = ("spec", "every_stage", "last_stage", "every_new_cluster")
SEVERITIES = ("error", "warning")
_CODE = re.compile(r"P[0-9]{3}")
_KEYS = {"code", "severity", "message", "where", "path", "any_of", "check", "value", "when"}
_WHEN_KEYS = {"path", "check", "value"}
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")
_MISSING = object()
# every_new_cluster: the compute blocks, and whether an absent one still makes a cluster
_CLUSTER_BLOCKS: tuple[tuple[DataPath, bool], ...] = (
    (("training", "compute"), True),  # absent: the default job cluster
    (("runtime_compute",), True),  # absent: a single-node cluster (or serverless, below)
    (("serving", "compute"), False),  # absent: the training compute, checked above
)


@dataclass(frozen=True)
class Test:
    """A check of the value at one of `paths` (alternatives: one passing is enough)."""

    paths: tuple[tuple[str, ...], ...]
    check: str
    value: Any


@dataclass(frozen=True)
class Rule:
    pack: str
    code: str
    severity: str
    message: str
    where: str
    test: Test
    when: Test | None  # the rule applies only where this holds


def read_rules(path: Path, pack: str) -> tuple[Rule, ...] | Diagnostic:
    """The pack's rules (none without a policy file), or the first problem, located."""
    if not path.is_file():
        return ()
    found = read_tables(path, "rule", BAD_POLICY, pack)
    if isinstance(found, Diagnostic):
        return found
    read, items = found
    rules: list[Rule] = []
    for index, item in enumerate(items):
        rule = _rule(read, pack, index, item)
        if isinstance(rule, Diagnostic):
            return rule
        if any(r.code == rule.code for r in rules):
            msg = f"pack {pack}: two rules have code {rule.code}"
            return read.error(BAD_POLICY, msg, read.mark("rule", "code", index))
        rules.append(rule)
    return tuple(rules)


def _rule(read: TomlFile, pack: str, index: int, item: dict[str, Any]) -> Rule | Diagnostic:
    def bad(key: str, why: str) -> Diagnostic:
        msg = f"pack {pack}: rule {index + 1}: {why}"
        return read.error(BAD_POLICY, msg, read.mark("rule", key, index))

    for key in sorted(set(item) - _KEYS):
        return bad(key, f"unknown key {key!r} (keys: {', '.join(sorted(_KEYS))})")
    code = item.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return bad("code", "code must be 'P' and three digits, e.g. \"P001\"")
    for key, allowed in (("severity", SEVERITIES), ("where", WHERE)):
        default = {"where": "spec"}.get(key)
        if item.get(key, default) not in allowed:
            return bad(key, f"{key} must be one of {', '.join(allowed)}")
    if not isinstance(item.get("message"), str) or not item["message"].strip():
        return bad("message", "message must say what the spec must do")
    test = _test(item, allow_any_of=True)
    if isinstance(test, tuple):
        return bad(*test)
    when: Test | None = None
    if "when" in item:
        raw = item["when"]
        if not isinstance(raw, dict) or set(raw) - _WHEN_KEYS:
            form = '{ path = "a.b", check = "equals", value = ... }'
            return bad("when", f"when is an inline table: {form}")
        limit = _test(raw, allow_any_of=False)
        if isinstance(limit, tuple):
            return bad("when", f"when: {limit[1]}")
        when = limit
    return Rule(
        pack,
        code,
        item["severity"],
        item["message"].strip(),
        item.get("where", "spec"),
        test,
        when,
    )


def _test(item: dict[str, Any], *, allow_any_of: bool) -> Test | tuple[str, str]:
    """The paths, check and value of a rule (or its `when`), or (key, why) it is invalid."""
    if item.get("check") not in CHECKS:
        return "check", f"check must be one of {', '.join(CHECKS)}"
    paths = item.get("any_of", [item["path"]] if "path" in item else None)
    given = "path" in item, "any_of" in item
    if given[0] == given[1] or not isinstance(paths, list) or not paths:
        form = 'path = "a.b" or any_of = ["a", "b"], not both' if allow_any_of else 'path = "a.b"'
        return "path", f"give {form}"
    if not all(isinstance(p, str) and _PATH.fullmatch(p) for p in paths):
        return "any_of" if given[1] else "path", "a path is keys joined by '.'"
    check, value = item["check"], item.get("value", _MISSING)
    if (check == "required") != (value is _MISSING):
        return "value", "required takes no value; the other checks need one"
    why = _bad_value(check, value)
    if why:
        return "value", why
    return Test(
        tuple(tuple(p.split(".")) for p in paths), check, None if value is _MISSING else value
    )


def _bad_value(check: str, value: Any) -> str | None:
    whole = isinstance(value, int) and not isinstance(value, bool)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if check in ("min_items", "max_items") and not whole:
        return f"{check} needs a whole number"
    if check in ("at_least", "at_most") and not number:
        return f"{check} needs a number"
    if check == "one_of" and (not isinstance(value, list) or not value):
        return "one_of needs a list of the values allowed"
    if check == "matches":
        if not isinstance(value, str):
            return "matches needs a regular expression (a string)"
        try:
            re.compile(value)
        except re.error as exc:
            return f"matches: not a regular expression: {exc}"
    return None


def evaluate(rules: tuple[Rule, ...], data: Mapping[str, Any]) -> Iterator[Finding]:
    """One finding per rule and place the rule does not hold at."""
    if not isinstance(data, Mapping):
        return  # not a spec at all: the schema says so
    for rule in rules:
        for base in _bases(rule.where, data):
            if rule.when is not None and not _passes(rule.when, data, base):
                continue
            if not _passes(rule.test, data, base):
                yield Finding(
                    (*base, *rule.test.paths[0]),
                    rule.code,
                    f"{rule.pack} policy: {rule.message}",
                    at="key",
                    severity=rule.severity,
                )


def _passes(test: Test, data: Mapping[str, Any], base: DataPath) -> bool:
    return any(_holds(test, _get(data, (*base, *path))) for path in test.paths)


def _bases(where: str, data: Mapping[str, Any]) -> list[DataPath]:
    if where == "spec":
        return [()]
    if where == "every_new_cluster":
        return [path for path, implied in _CLUSTER_BLOCKS if _new_cluster(data, path, implied)]
    stages = data.get("stages")
    count = len(stages) if isinstance(stages, list) else 0
    if where == "last_stage":
        return [("stages", count - 1)] if count else []
    return [("stages", i) for i in range(count)]


def _new_cluster(data: Mapping[str, Any], path: DataPath, implied: bool) -> bool:
    """Whether mlopsgen creates a new cluster from the compute block at `path`."""
    block = _get(data, path)
    if block is _MISSING:
        if path == ("runtime_compute",):  # beside serverless training it is serverless too
            return _get(data, ("training", "compute", "serverless")) is not True
        return implied
    if not isinstance(block, Mapping):
        return False  # the schema reports it
    return block.get("serverless") is not True and "existing_cluster_id" not in block


def _get(data: Any, path: DataPath) -> Any:
    node = data
    for step in path:
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        if not in_list and not (isinstance(node, dict) and step in node):
            return _MISSING
        node = node[step]
    return node


def _holds(test: Test, value: Any) -> bool:
    check, wanted = test.check, test.value
    if check == "not_equals":
        return bool(value is _MISSING or value != wanted)
    if value is _MISSING:
        return False
    if check == "required":
        return value not in (None, "", [], {})
    if check in ("min_items", "max_items"):
        count = len(value) if isinstance(value, (list, dict)) else 0
        return bool(count >= wanted if check == "min_items" else count <= wanted)
    if check == "equals":
        return bool(value == wanted)
    if check == "one_of":
        return any(value == allowed for allowed in wanted)
    if check == "matches":
        return isinstance(value, str) and re.fullmatch(wanted, value) is not None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if check == "at_least":
        return number and value >= wanted
    return number and value <= wanted  # at_most
