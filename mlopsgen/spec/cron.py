"""Standard 5-field cron: the one grammar mlopsgen accepts, parsed once into `Cron`.

Validation reports the `CronError` that `parse` raises (E305, or E306 for `EitherDaysError`);
`mlopsgen.render.quartz` writes the parsed `Cron` as Databricks' Quartz expression. Whatever
`parse` accepts therefore converts, and fires at the minutes croniter computes for it.

Accepted per field: numbers, `*`, lists (`,`), ranges (`1-5`), steps (`*/15`, `1-30/2`, and
`5/15` meaning from 5 to the end of the field; a step larger than its range, `*/90` in the
minute field, which every reader takes for the first value alone, is refused), and
three-letter names in the month (JAN-DEC) and day-of-week (SUN-SAT) fields; day-of-week 0
and 7 are both Sunday. Not accepted:
`@daily`-style macros, `L`, `W`, `#`, `?`, `H`, a seconds field, days of month that none of
the expression's months has (`0 0 30 2 *` never fires), and two range forms that cron
readers disagree on: a range that runs backwards (`6-0`: croniter and Quartz wrap it around,
Vixie cron refuses it) and one that starts and ends at the same value (`5-5`: croniter 7
reads it as the whole field, Vixie cron as 5).

The two day fields. When both restrict (neither starts with `*`), Vixie cron and croniter run
the job on a day matching *either*; Quartz has no such form (one day field must be `?`). Only
when one of them matches every day (`1-31`, `0-6`) is "either" exact: every day, which is how
`0 3 1-31 * MON` converts. When a field starts with `*` (`*/2`) without being `*`, Vixie cron
requires *both* fields to match (crontab.guru's "cron bug") while croniter takes either:
rejected as well. Every other expression has at most one restricting day field.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELD_SYNTAX = re.compile(r"[0-9A-Za-z*,/-]+")
_WORD = re.compile(r"[A-Za-z]+")
_ITEM = re.compile(
    r"(?:(?P<star>\*)|(?P<low>[0-9]+|[A-Za-z]+)(?:-(?P<high>[0-9]+|[A-Za-z]+))?)"
    r"(?:/(?P<step>[0-9]+))?"
)

Values = frozenset[int] | None  # the values a field matches; None: every value


class _Field(NamedTuple):
    name: str
    low: int
    high: int  # the highest value written (day-of-week: 7, another Sunday)
    last: int  # where `*` and `5/n` end (day-of-week: 6)
    names: tuple[str, ...]  # names[i] stands for low + i


_FIELDS = (
    _Field("minute", 0, 59, 59, ()),
    _Field("hour", 0, 23, 23, ()),
    _Field("day-of-month", 1, 31, 31, ()),
    _Field("month", 1, 12, 12, _MONTHS),
    _Field("day-of-week", 0, 7, 6, _DAYS),
)


# A named tuple: a frozen dataclass costs ~0.4 ms to create at import (issue 15).
class Cron(NamedTuple):
    """When an accepted expression fires. At most one of the day fields restricts, so a day
    matches when its month, day of month and day of week all do."""

    minutes: Values
    hours: Values
    days_of_month: Values  # 1..31
    months: Values  # 1..12
    days_of_week: Values  # 0 (Sunday) .. 6


class CronError(ValueError):
    """Not an accepted 5-field cron expression; the message names the field and the fix."""


class EitherDaysError(CronError):
    """A valid cron whose days ("either field matches") have no Quartz form."""


class _Problem(Exception):
    """What is wrong with one field; `parse` prefixes the expression."""


class _Unreadable(Exception):
    """A malformed or out-of-range item: reported with one general sentence."""


@lru_cache(maxsize=256)  # schedules repeat across specs and are read by validate and render
def parse(expression: str) -> Cron:
    """The schedule `expression` describes; raises CronError when it is not accepted."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(
            f"'{expression}' has {len(fields)} field{'' if len(fields) == 1 else 's'}; "
            "write 5: minute hour day-of-month "
            'month day-of-week, e.g. "0 3 * * 1"'
        )
    try:
        for field, text in zip(_FIELDS, fields, strict=True):
            _check_lexical(field, text)
        values = _field_values(fields)
    except _Problem as problem:
        raise CronError(f"'{expression}': {problem}") from None
    except _Unreadable:
        msg = f"'{expression}' is not a valid cron expression (check each field's range)"
        raise CronError(msg) from None
    days_of_month, days_of_week = _days(expression, fields, values[2], values[4])
    _check_fires(expression, days_of_month, values[3])
    return Cron(values[0], values[1], days_of_month, values[3], days_of_week)


# The most days each month has (February: 29, in leap years).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_fires(expression: str, days: Values, months: Values) -> None:
    """A day of month that no month of the expression has (`0 0 30 2 *`) never fires: cron
    accepts it and waits forever."""
    if days is None:
        return
    for month in months if months is not None else range(1, 13):
        if min(days) <= _MONTH_DAYS[month - 1]:
            return
    names = [_MONTHS[m - 1] for m in sorted(months or ())]
    day = f"{min(days)}{' or later' if len(days) > 1 else ''}"
    which = f"{names[0]} has no day" if len(names) == 1 else f"none of {', '.join(names)} has a day"
    raise CronError(f"'{expression}' never fires: {which} {day}; pick days its months have")


def _check_lexical(field: _Field, text: str) -> None:
    if not _FIELD_SYNTAX.fullmatch(text):
        raise _Problem(
            f"{field.name} field '{text}' may only use digits, names, '*', ',', '-' and '/'"
        )
    for word in _WORD.findall(text):
        if word.upper() not in field.names:
            raise _Problem(f"{field.name} field '{text}': '{word}' is not allowed here")


def _field_values(fields: list[str]) -> list[Values]:
    """Each field's values. A range that runs backwards or names one value is reported as
    such, before any malformed or out-of-range item elsewhere."""
    values: list[Values] = []
    unreadable = False
    for field, text in zip(_FIELDS, fields, strict=True):
        try:
            values.append(_values(field, text))
        except _Unreadable:
            unreadable = True
            values.append(None)
    if unreadable:
        raise _Unreadable
    return values


def _values(field: _Field, text: str) -> Values:
    found: set[int] = set()
    unreadable = False
    for item in text.split(","):
        try:
            found.update(_item(field, item, text))
        except _Unreadable:
            unreadable = True  # read on: a backwards range later in the field says more
    if unreadable:
        raise _Unreadable
    if field.high == 7:  # day-of-week: 7 is another Sunday
        found = {0 if v == 7 else v for v in found}
    return None if found == set(range(field.low, field.last + 1)) else frozenset(found)


def _item(field: _Field, item: str, text: str) -> range:
    match = _ITEM.fullmatch(item)
    if match is None:
        raise _Unreadable
    if match["star"]:
        low, high = field.low, field.last
    else:
        low = _number(field, match["low"])
        if match["high"] is not None:
            high = _number(field, match["high"])
            _check_range(field, text, match["low"], match["high"], low, high)
        elif match["step"] is not None:  # `5/15`: from 5 to the end of the field
            low, high = (0 if low == 7 == field.high else low), field.last
        else:
            high = low
    step = _int(match["step"] or "1")
    if step == 0 or not field.low <= low <= high <= field.high:
        raise _Unreadable
    if step > 1 and step > high - low:
        # `*/90` in the minute field is "minute 0" to every cron reader: never what was meant
        fits = f", or a step that fits (at most {high - low})" if high > low else ""
        raise _Problem(
            f"{field.name} field '{text}': a step of {step} is larger than {low}-{high}, so "
            f"'{item}' means {low} alone; write {low}{fits}"
        )
    return range(low, high + 1, step)


def _number(field: _Field, token: str) -> int:
    return field.low + field.names.index(token.upper()) if token.isalpha() else _int(token)


def _int(digits: str) -> int:
    if len(digits) > 4:  # past every field and step; int() refuses thousands of digits
        raise _Unreadable
    return int(digits)


def _check_range(field: _Field, text: str, first: str, last: str, low: int, high: int) -> None:
    where = f"{field.name} field '{text}': the range {first}-{last}"
    if low > high:  # croniter wraps around; Vixie cron refuses it
        hint = f"; Sunday is also 7: write {low}-7" if field.high == 7 and high == 0 else ""
        raise _Problem(f"{where} runs backwards{hint}")
    if low == high:  # croniter 7 reads `5-5` as the whole field; Vixie cron as 5
        raise _Problem(f"{where} starts and ends at the same value; write {first} alone")


def _days(expression: str, fields: list[str], dom: Values, dow: Values) -> tuple[Values, Values]:
    """(days of month, days of week) with at most one of them restricting; see the module."""
    dom_text, dow_text = fields[2], fields[4]
    if dom_text == "*" or dow_text == "*":
        return dom, dow  # the `*` field is None: the other one alone decides
    if "*" not in dom_text + dow_text and (dom is None or dow is None):
        return None, None  # either field matches, and one of them matches every day
    raise EitherDaysError(
        f"'{expression}' restricts both day-of-month and day-of-week, which cron reads "
        "as 'either', a form mlopsgen does not convert (Databricks' Quartz has none); "
        "set one of them to '*'"
    )
