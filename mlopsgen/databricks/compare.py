"""Does a deployed job already have the settings we want? (pure)

`jobs/get` answers with our settings plus defaults the service fills in itself
(`format: MULTI_TASK`, `email_notifications: {}`, `webhook_notifications: {}`,
`timeout_seconds: 0`, `max_concurrent_runs: 1`, `run_as`, `queue`, per task `run_if:
ALL_SUCCESS`, `notebook_task.source: WORKSPACE`, cluster attributes such as
`azure_attributes` ...), and may list tasks in another order. Those are not changes.

A real difference is a value we set that differs, or a field we manage (declared once, in
`mlopsgen.render.job_fields`, which render builds every body through) that the workspace
still has but the spec no longer sets (a removed schedule, a removed `depends_on`, a removed
library) unless its value is the service's default. Fields we never write are ignored;
maps of user values (base_parameters, tags, spark_conf, ...) are compared whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlopsgen.render.job_fields import CHILD_KIND, KEYED_LISTS, MANAGED

# Values the service reports for a managed field nobody set (besides empty ones).
SERVICE_DEFAULTS: dict[tuple[str, str], Any] = {
    ("job", "max_concurrent_runs"): 1,
    ("job", "timeout_seconds"): 0,
    ("task", "disabled"): False,
    ("task", "max_retries"): 0,
    ("task", "min_retry_interval_millis"): 0,
    ("task", "retry_on_timeout"): False,
    ("task", "run_if"): "ALL_SUCCESS",
    ("task", "timeout_seconds"): 0,
    ("notebook_task", "source"): "WORKSPACE",
    ("schedule", "pause_status"): "UNPAUSED",
    ("email_notifications", "no_alert_for_skipped_runs"): False,
    ("depends_on", "outcome"): None,
}
# Managed fields the service fills in with a value of its own when the spec sets none:
# `run_as` becomes the job's creator ("If not specified, the job runs as the user who created
# the job", Jobs API JobRunAs). Any value there is not a change. A run_as the spec sets is
# compared like any other field; one the spec no longer sets is left as it is: the service
# keeps a run_as once set (databricks/cli#4873, "expected backend behavior"), so an update
# could not remove it and every deploy would report one.
SERVICE_FILLED: frozenset[tuple[str, str]] = frozenset({("job", "run_as")})
_EMPTY: tuple[Any, ...] = (None, {}, [], "")


def settings_match(desired: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """True when the workspace job (jobs/get `settings`) already has the desired settings."""
    return _same(desired, current, "job")


def _same(desired: Any, current: Any, kind: str) -> bool:
    if isinstance(desired, Mapping):
        return isinstance(current, Mapping) and _same_object(desired, current, kind)
    if isinstance(desired, list):
        return isinstance(current, list) and _same_list(desired, current, kind)
    if isinstance(desired, float) or isinstance(current, float):
        numbers = (int, float)
        return (
            isinstance(current, numbers)
            and not isinstance(current, bool)
            and (float(desired) == float(current))
        )
    return bool(desired == current and type(desired) is type(current))


def _same_object(desired: Mapping[str, Any], current: Mapping[str, Any], kind: str) -> bool:
    managed = MANAGED.get(kind)
    if managed is None:  # a map of user values: a key added or removed is a change
        if desired.keys() != current.keys():
            return False
    else:
        for key in (managed & current.keys()) - desired.keys():
            if not _is_default(kind, key, current[key]):
                return False
    return all(
        key in current and _same(value, current[key], CHILD_KIND.get((kind, key), ""))
        for key, value in desired.items()
    )


def _is_default(kind: str, key: str, value: Any) -> bool:
    """A value the service reports for a managed field that the spec does not set."""
    if value in _EMPTY or (kind, key) in SERVICE_FILLED:  # never 0 or False: not empty
        return True
    default = SERVICE_DEFAULTS.get((kind, key), _MISSING)
    if default is not _MISSING and type(default) is type(value) and default == value:
        return True
    child = CHILD_KIND.get((kind, key))
    if child is not None and child in MANAGED and isinstance(value, Mapping):
        return _same_object({}, value, child)  # e.g. {"no_alert_for_skipped_runs": false}
    return False


_MISSING = object()


def _same_list(desired: Sequence[Any], current: Sequence[Any], kind: str) -> bool:
    if len(desired) != len(current):
        return False
    item_key = KEYED_LISTS.get(kind)
    if item_key is None or not all(isinstance(d, Mapping) for d in [*desired, *current]):
        return all(_same(d, c, kind) for d, c in zip(desired, current, strict=True))
    by_key = {c.get(item_key): c for c in current}
    if len(by_key) != len(current):
        return False
    return all(
        d.get(item_key) in by_key and _same(d, by_key[d.get(item_key)], kind) for d in desired
    )


@dataclass(frozen=True)
class FieldChange:
    """One managed field that differs: where, what the workspace has, what the spec wants
    (None: absent on that side)."""

    path: str
    current: Any
    desired: Any


def differences(desired: Mapping[str, Any], current: Mapping[str, Any]) -> list[FieldChange]:
    """Field by field what `settings_match` finds different (`mlopsgen plan`), by the same
    rules: service defaults and fields nobody manages are not changes."""
    found: list[FieldChange] = []
    _diff_object(desired, current, "job", "", found)
    return found


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _diff(desired: Any, current: Any, kind: str, path: str, found: list[FieldChange]) -> None:
    if _same(desired, current, kind):
        return
    if isinstance(desired, Mapping) and isinstance(current, Mapping) and kind in MANAGED:
        _diff_object(desired, current, kind, path, found)
    elif isinstance(desired, Mapping) and isinstance(current, Mapping):
        # a map of user values (base_parameters, tags): key by key, compared whole
        for key in sorted(desired.keys() | current.keys()):
            where = _join(path, key)
            if key not in current or key not in desired:
                found.append(FieldChange(where, current.get(key), desired.get(key)))
            else:
                _diff(desired[key], current[key], "", where, found)
    elif isinstance(desired, list) and isinstance(current, list) and kind in KEYED_LISTS:
        _diff_list(desired, current, kind, path, found)
    else:
        found.append(FieldChange(path, current, desired))


def _diff_object(
    desired: Mapping[str, Any],
    current: Mapping[str, Any],
    kind: str,
    path: str,
    found: list[FieldChange],
) -> None:
    managed = MANAGED.get(kind, frozenset())
    for key in sorted((managed & current.keys()) - desired.keys()):
        if not _is_default(kind, key, current[key]):
            found.append(FieldChange(_join(path, key), current[key], None))
    for key in sorted(desired):
        where = _join(path, key)
        if key not in current:
            found.append(FieldChange(where, None, desired[key]))
        else:
            _diff(desired[key], current[key], CHILD_KIND.get((kind, key), ""), where, found)


def _diff_list(
    desired: Sequence[Any], current: Sequence[Any], kind: str, path: str, found: list[FieldChange]
) -> None:
    item_key = KEYED_LISTS[kind]
    if not all(isinstance(x, Mapping) for x in [*desired, *current]):
        found.append(FieldChange(path, current, desired))
        return
    now = {c.get(item_key): c for c in current}
    wanted = {d.get(item_key): d for d in desired}
    for name in sorted(set(now) | set(wanted), key=str):
        where = f"{path}[{name}]"
        if name not in now:
            found.append(FieldChange(where, None, wanted[name]))
        elif name not in wanted:
            found.append(FieldChange(where, now[name], None))
        else:
            _diff(wanted[name], now[name], kind, where, found)
