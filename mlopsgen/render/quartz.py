"""5-field Unix cron -> Databricks' Quartz cron (seconds first, weekdays 1=SUN..7=SAT, `?`).

croniter parses the expression (names, ranges, lists, steps) and expands each field into the
set of values it matches; we emit each field as a canonical comma list, so the Quartz
expression fires at exactly the same minutes as the input. Two semantics need care:

* Unix cron numbers weekdays 0..7 with both 0 and 7 meaning Sunday; Quartz numbers 1..7 from
  Sunday. croniter already folds 7 into 0, so Quartz = Unix + 1.
* Quartz needs `?` in exactly one day field. When Unix cron restricts both day-of-month and
  day-of-week it fires when *either* matches, which no single Quartz expression can say:
  `validate` rejects it (see `unsupported_reason`), and `to_quartz` raises.

A day field that lists every possible value (e.g. `1-31`, `0-6`) matches every day; with the
"either" rule that makes the whole day condition "every day", which is how croniter reads it.
"""

from __future__ import annotations

from functools import lru_cache

from croniter import croniter

_DOM_ALL = frozenset(range(1, 32))
_DOW_ALL = frozenset(range(7))
_FULL = {0: frozenset(range(60)), 1: frozenset(range(24)), 3: frozenset(range(1, 13))}


class QuartzConversionError(ValueError):
    """The 5-field expression has no Quartz equivalent (or is not a valid cron)."""


@lru_cache(maxsize=1024)
def to_quartz(cron: str) -> str:
    """Return the 6-field Quartz expression firing at the same minutes as `cron`."""
    fields, nth = _expand(cron)
    minute, hour, dom, month, dow = fields
    quartz_dom, quartz_dow = _day_fields(cron, dom, dow, nth)
    return " ".join(
        ["0", _plain(minute, 0), _plain(hour, 1), quartz_dom, _plain(month, 3), quartz_dow]
    )


def unsupported_reason(cron: str) -> str | None:
    """Why `cron` cannot become a Databricks schedule, or None when it can."""
    try:
        to_quartz(cron)
    except QuartzConversionError as exc:
        return str(exc)
    return None


Expanded = tuple[list[list[int | str]], dict[int, set[int | str]]]


def _expand(cron: str) -> Expanded:
    parts = cron.split()
    if len(parts) != 5:
        raise QuartzConversionError(f"expected 5 fields (minute hour day month weekday): {cron!r}")
    if "w" in parts[2].lower():
        raise QuartzConversionError("the 'W' (nearest weekday) form has no exact equivalent here")
    try:
        fields, nth = croniter.expand(cron)
    except Exception as exc:  # croniter raises several unrelated types for bad input
        raise QuartzConversionError(f"invalid cron expression {cron!r}: {exc}") from exc
    expanded: list[list[int | str]] = [list(field) for field in fields]
    return expanded, {int(day): set(which) for day, which in nth.items()}


def _values(field: list[int | str]) -> frozenset[int] | None:
    """The field's values, or None when unrestricted (`*`)."""
    if field == ["*"]:
        return None
    return frozenset(int(v) for v in field)


def _plain(field: list[int | str], index: int) -> str:
    values = _values(field)
    if values is None or values == _FULL[index]:
        return "*"
    return ",".join(str(v) for v in sorted(values))


def _day_fields(
    cron: str, dom: list[int | str], dow: list[int | str], nth: dict[int, set[int | str]]
) -> tuple[str, str]:
    """Quartz (day-of-month, day-of-week) with `?` in the unrestricted one."""
    last_dom = dom == ["l"]
    dom_values = None if last_dom else _values(dom)
    dow_values = _values(dow)
    dom_restricted = last_dom or (dom_values is not None and dom_values != _DOM_ALL)
    dow_restricted = bool(nth) or (dow_values is not None and dow_values != _DOW_ALL)
    if dom_values == _DOM_ALL or (dow_values == _DOW_ALL and not nth):
        return "*", "?"  # "either" with a field that matches every day: every day
    if dom_restricted and dow_restricted:
        raise QuartzConversionError(
            f"{cron!r} restricts both day-of-month and day-of-week (cron fires when either "
            "matches); Databricks' Quartz schedules cannot express that: restrict only one"
        )
    if dom_restricted:
        return ("L" if last_dom else _plain_list(dom_values)), "?"
    if dow_restricted:
        return "?", _quartz_dow(cron, dow_values, nth)
    return "*", "?"


def _plain_list(values: frozenset[int] | None) -> str:
    assert values is not None
    return ",".join(str(v) for v in sorted(values))


def _quartz_dow(cron: str, values: frozenset[int] | None, nth: dict[int, set[int | str]]) -> str:
    if not nth:
        assert values is not None
        return ",".join(str(v + 1) for v in sorted(values))
    # Quartz allows exactly one "d#n" or "dL" term in the day-of-week field.
    (day, which), *rest = ((d, w) for d, ws in nth.items() for w in ws)
    if rest or (values is not None and values != frozenset({day})):
        raise QuartzConversionError(
            f"{cron!r}: Quartz allows only one 'weekday#n' or last-weekday term"
        )
    return f"{int(day) + 1}L" if which == "l" else f"{int(day) + 1}#{which}"
