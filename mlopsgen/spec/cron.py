"""Standard 5-field cron expressions: the subset mlopsgen accepts and can convert to Quartz.

Accepted per field: numbers, `*`, lists (`,`), ranges (`-`), steps (`/`), and three-letter
names in the month (JAN-DEC) and day-of-week (SUN-SAT) fields; day-of-week 0 and 7 are both
Sunday. Not accepted: `@daily`-style macros, `L`, `W`, `#`, `?`, `H`, a seconds field, and
an expression that restricts both day-of-month and day-of-week (Unix cron runs when *either*
matches; Quartz has no such form). `croniter` checks the ranges.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
_DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
_FIELD_SYNTAX = re.compile(r"[0-9A-Za-z*,/-]+")
_WORD = re.compile(r"[A-Za-z]+")
_RANGE = re.compile(r"([0-9]+)-([0-9]+)")


class CronFields(NamedTuple):
    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str


def split(expression: str) -> CronFields:
    """The five fields of an expression that `problem` accepted."""
    fields = expression.split()
    return CronFields(*fields)


@lru_cache(maxsize=256)  # schedules repeat across specs; croniter's parse costs ~0.2 ms
def problem(expression: str) -> str | None:
    """Why `expression` is not an accepted 5-field cron, or None when it is."""
    fields = expression.split()
    if len(fields) != 5:
        return (
            f"'{expression}' has {len(fields)} field{'' if len(fields) == 1 else 's'}; "
            "write 5: minute hour day-of-month "
            'month day-of-week, e.g. "0 3 * * 1"'
        )
    for name, field in zip(FIELD_NAMES, fields, strict=True):
        reason = _field_problem(name, field)
        if reason:
            return f"'{expression}': {reason}"
    from croniter import croniter  # 50 ms to import: only when a spec has a cron

    if not croniter.is_valid(expression):
        return f"'{expression}' is not a valid cron expression (check each field's range)"
    return None


def restricts_both_days(expression: str) -> bool:
    """True for `0 3 1 * MON`: Unix cron fires on either day; Quartz cannot express that."""
    fields = split(expression)
    return fields.day_of_month != "*" and fields.day_of_week != "*"


def _field_problem(name: str, field: str) -> str | None:
    if not _FIELD_SYNTAX.fullmatch(field):
        return f"{name} field '{field}' may only use digits, names, '*', ',', '-' and '/'"
    allowed = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else set()
    for word in _WORD.findall(field):
        if word.upper() not in allowed:
            return f"{name} field '{field}': '{word}' is not allowed here"
    for low, high in _RANGE.findall(field):
        if int(low) > int(high):  # croniter wraps around; Quartz and most readers do not
            return f"{name} field '{field}': the range {low}-{high} runs backwards"
    return None
