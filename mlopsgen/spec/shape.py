"""Reading data of unknown shape: the semantic rules run even where the schema failed."""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeGuard


def as_map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def dict_items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]
        if isinstance(value, list)
        else []
    )


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_guid(value: str) -> bool:
    """An Entra ID application (client) ID: a GUID, as service principals are named."""
    return _guid().fullmatch(value) is not None


@cache  # compiled on first use: only a spec that names a service principal meets it
def _guid() -> re.Pattern[str]:
    return re.compile(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    )
