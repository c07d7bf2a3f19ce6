"""Declarative patches (issue 13): a pack's `patches.toml` changes the generated job
settings as data, the last step before they are written and deployed. No code runs.

    [[patch]]
    target = "databricks/*.json"          # a glob over the generated files' paths
    path = "tags.cost-center"             # or a list of keys: ["tags", "cost.center"]
    op = "set"                            # set, merge (a table, deep) or append (to a list)
    value = "CC-1234"

Only job files (`databricks/*.json`) can be patched, and only the job fields in `PATCHABLE`:
fields `deploy` compares (render/job_fields.py MANAGED; a test derives one from the other),
so a patched value is what the workspace gets and what the next `plan` compares. The
pipeline YAML is text, not data: a pack changes it through the template blocks instead
(README, "For the platform team"), which keep its comments, order and quoting.

Every problem is one diagnostic located in `patches.toml` (E408).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from mlopsgen import layout
from mlopsgen.model import Patch
from mlopsgen.spec import compute_rules
from mlopsgen.spec.diagnostics import Diagnostic
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.toml_text import TomlFile, read_tables

BAD_PATCH = "E408"
TOO_MANY_TAGS = "E409"  # the spec's tags and the packs' patched tags, at the spec's tags
PATCHES_FILE = "patches.toml"
OPS = ("set", "merge", "append")
# The job fields a patch may change, and the keys below them it may address (None: any key,
# for objects deploy compares whole). Names, tasks, clusters and schedules are the spec's;
# timeout_seconds too: the pipeline waits for the job that long and validate checks that
# against the hosted agents' limit (E351) on the spec, which a patch would bypass.
PATCHABLE: Mapping[str, frozenset[str] | None] = {
    "tags": None,
    "description": frozenset(),
    "max_concurrent_runs": frozenset(),
    "queue": frozenset({"enabled"}),
    "email_notifications": frozenset(
        {"no_alert_for_skipped_runs", "on_duration_warning_threshold_exceeded", "on_failure"}
        | {"on_start", "on_streaming_backlog_exceeded", "on_success"}
    ),
}
_KEYS = {"target", "path", "op", "value"}
_RESERVED_TAG = "mlopsgen"  # mlopsgen's own tags (its identity tag) are not a pack's


def read_patches(path: Path, pack: str) -> tuple[Patch, ...] | Diagnostic:
    """The pack's patches (none without the file), or the first problem, located."""
    if not path.is_file():
        return ()
    found = read_tables(path, "patch", BAD_PATCH, pack)
    if isinstance(found, Diagnostic):
        return found
    read, items = found
    patches: list[Patch] = []
    for index, item in enumerate(items):
        patch = _patch(read, pack, index, item)
        if isinstance(patch, Diagnostic):
            return patch
        patches.append(patch)
    return tuple(patches)


def _patch(read: TomlFile, pack: str, index: int, item: dict[str, Any]) -> Patch | Diagnostic:
    def bad(key: str, why: str) -> Diagnostic:
        msg = f"pack {pack}: patch {index + 1}: {why}"
        return read.error(BAD_PATCH, msg, read.mark("patch", key, index))

    for key in sorted(set(item) - _KEYS):
        return bad(key, f"no key {key!r} (keys: op, path, target, value)")
    for key in sorted(_KEYS - set(item)):
        return bad("target", f"needs {key} = ...")
    target, op, value = item["target"], item["op"], item["value"]
    if not isinstance(target, str) or not target.startswith(f"{layout.JOBS_DIR}/"):
        why = (
            f"target {target!r}: only job files ({layout.JOBS_DIR}/*.json) are patched; the "
            "pipeline changes through template blocks (README, 'For the platform team')"
        )
        return bad("target", why)
    if op not in OPS:
        return bad("op", f"op {op!r} is not one of {', '.join(OPS)}")
    keys = _keys(item["path"])
    if keys is None:
        return bad("path", "path is a dotted string or a list of keys, none empty")
    problem = _path_problem(keys, op, value) or _value_problem(value)
    if problem:
        return bad("value" if problem.startswith("value") else "path", problem)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Patch(target, keys, cast(Any, op), text)


def _keys(path: object) -> tuple[str, ...] | None:
    keys = path.split(".") if isinstance(path, str) else path
    if not isinstance(keys, list) or not keys:
        return None
    if not all(isinstance(k, str) and k for k in keys):
        return None
    return tuple(keys)


def _path_problem(keys: tuple[str, ...], op: str, value: object) -> str | None:
    field, below = keys[0], PATCHABLE.get(keys[0], frozenset())
    if field not in PATCHABLE:
        return f"path {'.'.join(keys)}: a pack may patch the job fields {', '.join(PATCHABLE)}"
    if len(keys) > 2 or (len(keys) == 2 and below is not None and keys[1] not in below):
        return f"path {'.'.join(keys)}: {field} has no such key here"
    if op == "merge" and not isinstance(value, dict):
        return "value: merge takes a table"
    if op == "append" and (field != "email_notifications" or not keys[-1].startswith("on_")):
        return "path: append adds to a list: email_notifications.<on_...>"
    if field != "tags":
        return None
    tags = {keys[1]: value} if len(keys) == 2 else value
    if op != ("set" if len(keys) == 2 else "merge") or not isinstance(tags, dict):
        return "value: tags: set one tag (path = tags.<key>) or merge a table of tags"
    if any(k.startswith(_RESERVED_TAG) for k in tags):
        return f"value: tags starting with {_RESERVED_TAG!r} are mlopsgen's own"
    if not all(isinstance(v, str) for v in tags.values()):
        return "value: a job tag's value is a string"
    # the spec's own tag rules (reserved keys, what Azure takes on the clusters' VMs)
    found = next(compute_rules.tag_keys_and_values({"tags": tags}), None)
    return f"value: {found.message}" if found is not None else None


def _value_problem(value: object) -> str | None:
    """JSON values only: TOML dates and times, infinities and NaN have no JSON form."""
    if isinstance(value, dict):
        return next((p for v in value.values() if (p := _value_problem(v))), None)
    if isinstance(value, list):
        return next((p for v in value if (p := _value_problem(v))), None)
    if isinstance(value, float) and not math.isfinite(value):
        return "value: infinity and nan have no JSON form"
    if value is not None and not isinstance(value, (str, int, float, bool)):
        return f"value: a {type(value).__name__} has no JSON form"
    return None


def tag_count(
    data: Mapping[str, Any], layers: Sequence[tuple[str, tuple[Patch, ...]]]
) -> Iterator[Finding]:
    """E409 when the spec's tags and the tags the packs' patches add pass what a job holds
    (compute_rules.JOB_TAGS_MAX, with mlopsgen's identity tag): deploy would fail at the
    service otherwise. Keys compare without case, as the spec's own rule does."""
    spec_tags = data.get("tags")
    keys = {k.lower() for k in spec_tags} if isinstance(spec_tags, dict) else set()
    added: list[str] = []
    for pack, patches in layers:
        for patch in patches:
            if patch.path[0] != "tags":
                continue
            value = json.loads(patch.value_json)
            new = [patch.path[1]] if len(patch.path) == 2 else list(value)
            added += [f"{k} ({pack})" for k in new if k.lower() not in keys]
            keys |= {k.lower() for k in new}
    limit = compute_rules.JOB_TAGS_MAX - 1
    if added and len(keys) > limit:
        msg = (
            f"with the tags the packs' patches add ({', '.join(added)}) every job would carry "
            f"{len(keys)} tags besides {layout.IDENTITY_TAG}; a job holds at most {limit}"
        )
        yield Finding(("tags",), TOO_MANY_TAGS, msg, at="key")
