"""What every validation layer returns: a problem at a data path, located later in one place."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

Mark = tuple[int, int]  # 1-based (line, column)
DataPath = tuple[str | int, ...]

# Only names that cannot be mistaken for path syntax label a list item; others show the index.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class Position(NamedTuple):
    """Where a value sits: its key (None for list items and the root) and the value itself."""

    key: Mark | None
    value: Mark
    source: str | None  # a scalar's text as written, None for mappings and lists
    style: str | None  # None (plain), "'", '"', "|" or ">"


class Finding(NamedTuple):
    """One problem. `at` says whether to point at the key or the value of `path`;
    `mark` overrides both (YAML-level problems know their exact place). `secret_key`: the
    path's last key is itself the secret, so the printed path stops at its parent (a
    diagnostic printed in a CI log must not leak it again)."""

    path: DataPath
    code: str
    message: str
    at: Literal["key", "value"] = "value"
    mark: Mark | None = None
    secret_key: bool = False
    severity: str | None = None  # None: the code's (W: warning); policy rules say their own


def mark_of(finding: Finding, positions: Mapping[DataPath, Position]) -> Mark:
    """The finding's line and column; a path that does not exist points at its nearest parent."""
    if finding.mark is not None:
        return finding.mark
    path = finding.path
    while path not in positions and path:
        path = path[:-1]
    pos = positions.get(path)
    if pos is None:
        return (1, 1)
    if finding.at == "key" and pos.key is not None:
        return pos.key
    return pos.value


def readable_path(path: DataPath, data: Any) -> str:
    """`stages[production].gates[1]`: list items named by their `name` where they have one."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int):
            item = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            label = name if isinstance(name, str) and _PLAIN_NAME.fullmatch(name) else str(step)
            parts.append(f"[{label}]")
            node = item
        else:
            shown = step if _PLAIN_NAME.fullmatch(step) else json.dumps(step)
            parts.append(f".{shown}" if parts else shown)
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)
