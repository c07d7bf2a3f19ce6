"""Bump the pins of installed packs in `[tool.mlopsgen] packs` (issue 13, `mlopsgen
upgrade`), editing the TOML text minimally: only the quoted entry changes, so comments,
order and formatting stay as the team wrote them (no TOML writer round trip, no tomlkit).
The result is read back and must hold exactly the expected list, else nothing changes.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from mlopsgen.errors import UsageError
from mlopsgen.spec.toml_text import TomlFile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def bump_pins(config: TomlFile, pins: list[str]) -> str:
    """The configuration's new text with each `name==version` of `pins` in place of the
    entry that pins the same pack; a usage error for a pin the configuration does not have."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    packs = _packs(config)
    text = config.text
    for pin in pins:
        try:
            wanted = Requirement(pin)
        except InvalidRequirement as exc:
            raise UsageError(f"--pack {pin!r} is not 'name==version': {exc}") from exc
        if wanted.url or wanted.extras or wanted.marker or not wanted.specifier:
            raise UsageError(f"--pack {pin!r}: give a name and versions, e.g. contoso==1.1.0")
        index = _pinned(packs, canonicalize_name(wanted.name))
        if index is None:
            msg = f"{config.path}: [tool.mlopsgen] packs pins no pack {wanted.name}"
            raise UsageError(msg)
        old = packs[index]
        new = f"{Requirement(old).name}{wanted.specifier}"
        text = _replace_entry(config, text, old, new)
        packs[index] = new
    if _packs(TomlFile(config.path, text, tomllib.loads(text))) != packs:
        raise UsageError(f"{config.path}: cannot edit the packs list safely: edit it by hand")
    return text


def _packs(config: TomlFile) -> list[str]:
    tool: Any = config.data.get("tool", {})
    packs = tool.get("mlopsgen", {}).get("packs") if isinstance(tool, dict) else None
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        raise UsageError(f"{config.path}: no [tool.mlopsgen] packs list to upgrade")
    return list(packs)


def _pinned(packs: list[str], name: str) -> int | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    for index, entry in enumerate(packs):
        if entry.startswith((".", "/")):
            continue  # a folder pack has no version to bump
        try:
            if canonicalize_name(Requirement(entry).name) == name:
                return index
        except InvalidRequirement:
            continue
    return None


def _replace_entry(config: TomlFile, text: str, old: str, new: str) -> str:
    """`text` with the one quoted occurrence of `old` (in "..." or '...') replaced."""
    found = [m for q in ('"', "'") for m in re.finditer(re.escape(f"{q}{old}{q}"), text)]
    if len(found) != 1:
        msg = f"{config.path}: the pin {old!r} is not written once as a plain string: edit it"
        raise UsageError(msg)
    match = found[0]
    quote = match.group(0)[0]
    return f"{text[: match.start()]}{quote}{new}{quote}{text[match.end() :]}"
