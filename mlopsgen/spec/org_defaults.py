"""Organisation defaults (issue 13): each pack's `[defaults]`, a partial spec, merged under
the spec before it is validated. Mappings merge key by key; anything else (a list, a
string) is taken whole from the most specific layer that sets it: the spec, then the packs
from the last declared to the first.

A value that only a pack supplies is located at that pack's file: a default that makes the
spec invalid is reported there, not at an unrelated line of the spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from mlopsgen.spec.diagnostics import Location
from mlopsgen.spec.findings import DataPath
from mlopsgen.spec.toml_text import TomlFile


class HasDefaults(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def file(self) -> TomlFile: ...
    @property
    def defaults(self) -> Mapping[str, Any]: ...


def merge(
    data: Any, packs: Sequence[HasDefaults]
) -> tuple[Any, dict[DataPath, tuple[str, Location]]]:
    """The spec's data with the packs' defaults under it, and for every subtree that came
    from a pack only, the pack's name and where the pack sets it."""
    layered = [p for p in packs if p.defaults]
    if not layered or not isinstance(data, dict):
        return data, {}
    merged: dict[str, Any] = {}
    for pack in layered:
        merged = _merge(merged, pack.defaults)
    merged = _merge(merged, data)
    origins: dict[DataPath, tuple[str, Location]] = {}
    _provenance(merged, data, layered, (), origins)
    return merged, origins


def leaves(data: Any, path: DataPath) -> list[DataPath]:
    """The paths of the values under `path` in `data` that are not mappings (`path` itself
    when it is one)."""
    node = data
    for step in path:
        node = node[step]
    if not isinstance(node, dict) or not node:
        return [path]
    return [leaf for key in node for leaf in leaves(data, (*path, key))]


def _merge(under: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(under)
    for key, value in over.items():
        below = result.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            result[key] = _merge(below, value)
        else:
            result[key] = value
    return result


def _provenance(
    merged: Mapping[str, Any],
    spec: Any,
    packs: Sequence[HasDefaults],
    path: tuple[str, ...],
    out: dict[DataPath, tuple[str, Location]],
) -> None:
    for key, value in merged.items():
        here = (*path, key)
        if isinstance(spec, dict) and key in spec:
            if isinstance(value, dict):
                _provenance(value, spec[key], packs, here, out)
            continue
        owner = next(p for p in reversed(packs) if _has(p.defaults, here))
        out[here] = (owner.name, _mark(owner.file, here))


def _has(data: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = data
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return False
        node = node[step]
    return True


def _mark(file: TomlFile, path: tuple[str, ...]) -> Location:
    """`[defaults.a] b = ...`, else `[defaults] a = ...`, else the [defaults] header."""
    for cut in range(len(path) - 1, -1, -1):
        found = file.find(".".join(("defaults", *path[:cut])), path[cut])
        if found is not None:
            return found
    return file.mark("defaults")
