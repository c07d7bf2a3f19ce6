"""Apply the packs' declarative patches (issue 13) to the job settings, as data, before the
files are serialised: the JSON on disk and the body `deploy` sends are the same patched
settings. Patches apply in layer order, then in each file's order; the result depends on
nothing else (no clock, no machine), so two renders are byte-identical.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from mlopsgen.model import Layer, Patch
from mlopsgen.render.artifacts import JobFile


def patch_jobs(jobs: Iterable[JobFile], layers: tuple[Layer, ...]) -> tuple[JobFile, ...]:
    """`jobs`, each with every matching patch applied (unchanged without patches)."""
    every = [patch for layer in layers for patch in layer.patches]
    return tuple(_patched(job, every) for job in jobs)


def _patched(job: JobFile, patches: list[Patch]) -> JobFile:
    chosen = [p for p in patches if fnmatchcase(job.path, p.target)]
    if not chosen:
        return job
    settings = copy.deepcopy(dict(job.settings))
    for patch in chosen:
        apply_patch(settings, patch)
    return job._replace(settings=settings)


def apply_patch(settings: dict[str, Any], patch: Patch) -> None:
    """Change `settings` in place: set the value at the path, deep-merge a table into the
    table there, or append to the list there (items it already holds are not repeated)."""
    *parents, last = patch.path
    holder = settings
    for key in parents:
        holder = holder.setdefault(key, {})
    value = json.loads(patch.value_json)
    if patch.op == "set":
        holder[last] = value
    elif patch.op == "merge":
        holder[last] = _merge(holder.get(last, {}), value)
    else:
        items = list(holder.get(last, []))
        added = value if isinstance(value, list) else [value]
        holder[last] = items + [item for item in added if item not in items]


def _merge(base: Any, value: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base) if isinstance(base, dict) else {}
    for key, item in value.items():
        both = isinstance(item, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], item) if both else item
    return merged
