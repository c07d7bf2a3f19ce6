"""Where the packaged templates and schemas live, for editable and wheel installs alike."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder `templates` or `schemas`.

    A wheel carries them as `mlopsgen/_data/<name>` (see pyproject.toml's force-include);
    a source checkout or editable install keeps them at the repository root.
    """
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mlopsgen's {name}/ folder is missing from this installation")


def templates_dir() -> Path:
    return data_dir("templates")


def schemas_dir() -> Path:
    return data_dir("schemas")
