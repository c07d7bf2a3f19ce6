"""Policy as data (issue 13): a pack's `policy.toml` holds rules that every spec of the
project must follow, checked after the spec's own rules and reported like them, with the
rule's own code (P001...), its severity, `file:line:col` at the spec and the pack's name.

    [[rule]]
    code = "P001"                       # P and three digits, unique in the pack
    severity = "error"                  # or "warning" (reported, never blocking)
    message = "the last stage needs an approval or an Azure DevOps environment"
    where = "last_stage"                # "spec" (default), "every_stage" or "last_stage"
    any_of = ["approval", "environment"]  # or path = "approval.approvers"
    check = "required"                  # required, min_items, equals, not_equals
    # value = 2                         # for min_items, equals and not_equals

Rules read the spec as written plus the organisation defaults, not mlopsgen's own defaults:
a key the spec leaves out is missing (`required` fails, `not_equals` holds). No code runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen.spec.diagnostics import Diagnostic
from mlopsgen.spec.findings import DataPath, Finding
from mlopsgen.spec.toml_text import TomlFile, read_toml

BAD_POLICY = "E407"
CHECKS = ("required", "min_items", "equals", "not_equals")
WHERE = ("spec", "every_stage", "last_stage")
SEVERITIES = ("error", "warning")
_CODE = re.compile(r"P[0-9]{3}")
_KEYS = {"code", "severity", "message", "where", "path", "any_of", "check", "value"}
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")
_MISSING = object()


@dataclass(frozen=True)
class Rule:
    pack: str
    code: str
    severity: str
    message: str
    where: str
    paths: tuple[tuple[str, ...], ...]  # alternatives: the rule holds if one of them passes
    check: str
    value: Any


def read_rules(path: Path, pack: str) -> tuple[Rule, ...] | Diagnostic:
    """The pack's rules (none without a policy file), or the first problem, located."""
    if not path.is_file():
        return ()
    read = read_toml(path, BAD_POLICY)
    if isinstance(read, Diagnostic):
        return read
    items = read.data.get("rule", [])
    extra = sorted(set(read.data) - {"rule"})
    if extra or not isinstance(items, list):
        msg = f"pack {pack}: {path.name} holds [[rule]] tables only, not {extra or 'rule = ...'}"
        return read.error(BAD_POLICY, msg, read.mark("", (extra or ["rule"])[0]))
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
    for key, allowed in (("severity", SEVERITIES), ("where", WHERE), ("check", CHECKS)):
        default = {"where": "spec"}.get(key)
        if item.get(key, default) not in allowed:
            return bad(key, f"{key} must be one of {', '.join(allowed)}")
    if not isinstance(item.get("message"), str) or not item["message"].strip():
        return bad("message", "message must say what the spec must do")
    paths = item.get("any_of", [item["path"]] if "path" in item else None)
    if ("path" in item) == ("any_of" in item) or not isinstance(paths, list) or not paths:
        return bad("path", 'give path = "a.b" or any_of = ["a", "b"], not both')
    if not all(isinstance(p, str) and _PATH.fullmatch(p) for p in paths):
        return bad("any_of" if "any_of" in item else "path", "a path is keys joined by '.'")
    check, value = item["check"], item.get("value", _MISSING)
    if (check == "required") != (value is _MISSING):
        return bad("value", "required takes no value; the other checks need one")
    if check == "min_items" and (not isinstance(value, int) or isinstance(value, bool)):
        return bad("value", "min_items needs a whole number")
    return Rule(
        pack,
        code,
        item["severity"],
        item["message"].strip(),
        item.get("where", "spec"),
        tuple(tuple(p.split(".")) for p in paths),
        check,
        None if value is _MISSING else value,
    )


def evaluate(rules: tuple[Rule, ...], data: Mapping[str, Any]) -> Iterator[Finding]:
    """One finding per rule and place the rule does not hold at."""
    if not isinstance(data, Mapping):
        return  # not a spec at all: the schema says so
    for rule in rules:
        for base in _bases(rule.where, data):
            if not any(_holds(rule, _get(data, (*base, *path))) for path in rule.paths):
                yield Finding(
                    (*base, *rule.paths[0]),
                    rule.code,
                    f"{rule.pack} policy: {rule.message}",
                    at="key",
                    severity=rule.severity,
                )


def _bases(where: str, data: Mapping[str, Any]) -> list[DataPath]:
    if where == "spec":
        return [()]
    stages = data.get("stages")
    count = len(stages) if isinstance(stages, list) else 0
    if where == "last_stage":
        return [("stages", count - 1)] if count else []
    return [("stages", i) for i in range(count)]


def _get(data: Any, path: DataPath) -> Any:
    node = data
    for step in path:
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        if not in_list and not (isinstance(node, dict) and step in node):
            return _MISSING
        node = node[step]
    return node


def _holds(rule: Rule, value: Any) -> bool:
    if rule.check == "required":
        return value is not _MISSING and value not in (None, "", [], {})
    if rule.check == "min_items":
        count = len(value) if isinstance(value, (list, dict)) else 0
        return bool(count >= rule.value)
    if rule.check == "equals":
        return bool(value is not _MISSING and value == rule.value)
    return bool(value is _MISSING or value != rule.value)
