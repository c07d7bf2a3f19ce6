"""How a task fails: with a message the user can act on, never a traceback wall."""

from __future__ import annotations


class TaskFailed(RuntimeError):
    """A task failed for a reason the user can act on (a gate, a missing version, ...)."""


def clip(text: str, limit: int = 2000) -> str:
    """`text`, cut to `limit` characters: an endpoint's whole answer would drown the log."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
