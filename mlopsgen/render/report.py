"""Text output of render plans and check diffs, readable in a CI log."""

from __future__ import annotations

import difflib
from pathlib import Path

from mlopsgen.writer import Change, Plan

_CHECK_LABEL = {"create": "missing", "update": "stale", "delete": "extra"}


def _display(root: Path, path: str) -> str:
    return (root / path).as_posix()


def plan_lines(plan: Plan) -> str:
    """One line per file: `create|update|unchanged|delete  path`."""
    return "".join(f"{c.action:<9}  {_display(plan.root, c.path)}\n" for c in plan.changes)


def conflict_lines(plan: Plan) -> str:
    return "".join(f"error: {_display(plan.root, c.path)}: {c.reason}\n" for c in plan.conflicts)


def summary(plan: Plan) -> str:
    counts = {a: 0 for a in ("create", "update", "unchanged", "delete")}
    for change in plan.changes:
        counts[change.action] += 1
    parts = ", ".join(f"{n} {a}" for a, n in counts.items())
    return f"{plan.root.as_posix()}: {parts}\n"


def _text(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def diff(plan: Plan, change: Change) -> str:
    """A unified diff from what is on disk to what mlopsgen generates."""
    shown = _display(plan.root, change.path)
    label = _CHECK_LABEL.get(change.action, change.action)
    lines = difflib.unified_diff(
        _text(change.old),
        _text(change.new),
        fromfile=f"{shown} (on disk)" if change.old is not None else "/dev/null",
        tofile=f"{shown} (generated)" if change.new is not None else "/dev/null",
    )
    body = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return f"{label}: {shown}\n{body}"
