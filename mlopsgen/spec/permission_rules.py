"""Rules for `permissions:` (issue 12): the principals the generated jobs are shared with.

Each item names exactly one principal, in the form the Permissions API takes: a group's
name, a user's user name (their e-mail address), or a service principal's application ID
(Databricks, "Jobs access control"; REST API, Permissions, jobs). A name that could never
match a principal would only fail in the middle of a deploy, so it is refused here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from mlopsgen.azure_devops import MACRO_SYNTAX
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import as_map, is_guid, text

LEVELS = ("can_view", "can_manage_run")
KINDS = ("group", "user", "service_principal")
# Group names: printable, no leading or trailing space; Azure Pipelines macro syntax is refused
# as in every other name mlopsgen writes (a name with `$(` is a mistake, never a group).
_GROUP = re.compile(r"\S(?:[^\x00-\x1f\x7f]{0,254}\S)?")


# Compiled on first use: only a spec that names a user meets it (issue 15).
@cache
def _email() -> re.Pattern[str]:
    return re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _items(data: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    permissions = as_map(data.get("permissions"))
    for level in LEVELS:
        items = permissions.get(level)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield level, i, item


def one_principal(data: dict[str, Any]) -> Iterator[Finding]:
    for level, i, item in _items(data):
        given = [k for k in KINDS if k in item]
        if len(given) != 1:
            what = " and ".join(given) if given else "none"
            msg = f"name exactly one of group, user or service_principal, not {what}"
            yield Finding(("permissions", level, i), "E371", msg)


def _problem(kind: str, name: str) -> str | None:
    macro = MACRO_SYNTAX.search(name)
    if macro:
        return f"contains '{macro.group()}', Azure Pipelines macro syntax; no principal is named so"
    if kind == "user" and not _email().fullmatch(name):
        return "must be the user's e-mail address (their workspace user name)"
    if kind == "service_principal" and not is_guid(name):
        return "must be the service principal's application ID, a GUID"
    if kind == "group" and not _GROUP.fullmatch(name):
        return "must be a group's name: printable, without leading or trailing spaces"
    return None


def principal_names(data: dict[str, Any]) -> Iterator[Finding]:
    seen: dict[tuple[str, str], str] = {}
    for level, i, item in _items(data):
        for kind in KINDS:
            name = text(item.get(kind))
            if name is None:
                continue
            why = _problem(kind, name)
            if why:
                yield Finding(("permissions", level, i, kind), "E372", f"'{name}' {why}")
                continue
            # e-mail addresses match without case; group names are taken as written
            key = (kind, name.casefold() if kind == "user" else name)
            if key in seen:
                msg = (
                    f"{kind} '{name}' is already listed under {seen[key]}: a principal gets "
                    "one permission level (can_manage_run includes can_view)"
                )
                yield Finding(("permissions", level, i, kind), "E373", msg)
            else:
                seen[key] = level


RULES = (one_principal, principal_names)
