"""The spec's `schedule:` (local time in an IANA zone) as Azure Pipelines cron lines in UTC.

Issue 10, item 9: the schedule retrains through the whole pipeline, so every retrained version
passes the gates, approvals and deploy stages. Azure Pipelines runs `schedules:` in UTC only
and its UTC times "don't account for daylight savings time" (Microsoft Learn, "Configure
schedules for pipelines", Cron syntax). Computed once here; `schedule_rules` reports what it
finds (E352, E353, W001) and the pipeline renderer writes the same lines and comment.

**The rule: one fixed offset, the one the zone is at for most of the year.** The zone's offsets
are sampled every three hours over `REFERENCE_YEAR` (a fixed year, not the clock's: generated files
depend on nothing but the spec and the installed tzdata); the samples are counted, not each
computed (`_runs`). The majority offset keeps most runs
at the local time asked for; the "standard time" of a zone is not used because it is not
well defined from offsets alone (Europe/Dublin's winter time is its negative DST). In the
other months the runs start as much earlier or later in local time as the offsets differ
(`Drift`), which `validate` warns about (W001) and the pipeline says in a comment.

**Conversion.** The parsed `Cron` (`mlopsgen.spec.cron`, the one grammar) fires at
minutes x hours of its days; each local (hour, minute) moves by the offset, minutes too for
:30 and :45 zones. Times that cross midnight move their day of week by one. Where some times
cross midnight and others do not, or minutes carry into different hours, the UTC schedule is
several cron lines (at most a few), each exact. A day-of-month or month restriction cannot
move by a day (day 1 minus one day is the 28th to the 31st): that is E352
(`DayShiftError`), with the local times that would stay on the same day.

**Written syntax.** Only what Microsoft documents for Azure Pipelines cron: five fields,
numbers (minutes 0-59, hours 0-23, days 1-31, months 1-12, days of week 0-6 from Sunday),
`*`, comma lists and inclusive ranges `a-b` (Microsoft Learn, "Configure schedules for
pipelines", Cron syntax: wildcard, single value, comma delimited, ranges, intervals). No
names, no steps, no 7 for Sunday, and never both day fields restricted.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

from mlopsgen.spec import cron

REFERENCE_YEAR = 2027
# "This limit is around 1000 runs per pipeline per week" (Microsoft Learn, "Configure
# schedules for pipelines", Limits on the number of scheduled runs).
MAX_RUNS_PER_WEEK = 1000
_DAY = 24 * 60
_SAMPLE = 3  # hours between two samples of the zone's offset: every month sees its changes
# Samples between two reads of the zone's offset (a day); `_runs` bisects where two reads
# differ. Exact while the zone's offset changes at most once a day: the closest two changes
# in the reference year (tzdata 2026) are Africa/Casablanca's around Ramadan, 35 days apart,
# and a test compares with every sample computed, for every zone.
_PROBE = 24 // _SAMPLE


# Named tuples rather than frozen dataclasses: creating each of those costs ~0.4 ms at import,
# a named tuple a sixth of that (issue 15).
class Drift(NamedTuple):
    """A part of the year when the zone is at another offset than the one the UTC lines use."""

    offset: int  # the zone's UTC offset then, in minutes
    shift: int  # runs start this many minutes later in local time (negative: earlier)
    months: tuple[int, ...]  # months wholly at this offset
    partly: tuple[int, ...]  # months that change to or from it


class UtcSchedule(NamedTuple):
    cron: str  # the spec's expression, local time
    zone: str
    offset: int  # the UTC offset (minutes) the lines are computed for
    lines: tuple[str, ...]  # Azure Pipelines cron expressions in UTC, together exact
    drifts: tuple[Drift, ...]  # empty when the zone keeps one offset all year


class DayShiftError(ValueError):
    """Times that change day in UTC, with a day-of-month or month restriction (E352)."""


def offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@lru_cache(maxsize=256)
def convert(expression: str, zone: str) -> UtcSchedule:
    """The UTC lines for a valid expression in a known zone; raises DayShiftError (E352)."""
    fires = cron.parse(expression)
    by_month = _offsets_by_month(zone)
    offset = _majority(zone)
    groups = _shifted(fires, -offset)
    if any(carry for carry in groups) and (
        fires.days_of_month is not None or fires.months is not None
    ):
        raise DayShiftError(_day_shift_message(expression, zone, offset, fires))
    lines = tuple(line for carry in sorted(groups) for line in _lines(fires, carry, groups[carry]))
    return UtcSchedule(expression, zone, offset, lines, _drifts(by_month, offset))


@lru_cache(maxsize=64)
def _offsets_by_month(zone: str) -> tuple[frozenset[int], ...]:
    """For each month of the reference year (local calendar), the offsets it has."""
    months: list[set[int]] = [set() for _ in range(12)]
    for first, end, offset in _runs(zone):
        # local time as astimezone computes it, from the offset itself (not rounded to minutes)
        local = datetime(REFERENCE_YEAR, 1, 1) + offset  # of sample 0, at this offset
        low = local + timedelta(hours=first * _SAMPLE)
        high = local + timedelta(hours=(end - 1) * _SAMPLE)
        # Samples are hours apart, months weeks long: the run has a sample in every month
        # from its first sample's to its last's (December of the year before included).
        minutes = _minutes(offset)
        for month in range(low.year * 12 + low.month - 1, high.year * 12 + high.month):
            months[month % 12].add(minutes)
    return tuple(frozenset(m) for m in months)


@lru_cache(maxsize=64)
def _majority(zone: str) -> int:
    """The offset (minutes) in force for most of the reference year; ties: the lower."""
    counts: Counter[int] = Counter()
    for first, end, offset in _runs(zone):
        counts[_minutes(offset)] += end - first
    return max(counts, key=lambda offset: (counts[offset], -offset))


def _minutes(offset: timedelta) -> int:
    return int(offset.total_seconds()) // 60


def _sample_count() -> int:
    days = 366 if calendar.isleap(REFERENCE_YEAR) else 365
    return days * 24 // _SAMPLE


@lru_cache(maxsize=8)  # shared by the two functions above, for the zone being converted
def _runs(zone: str) -> tuple[tuple[int, int, timedelta], ...]:
    """The samples (every _SAMPLE hours of the reference year, from its first UTC instant) as
    runs at one UTC offset: (first sample, end sample, offset). The same as computing each of
    the ~2,900 samples, which took 4-5 ms a spec (issue 15): the offset is read once a day
    (_PROBE samples) and, where two reads differ, bisected to the first sample at the new one.
    """
    # zoneinfo (~3 ms with its tzpath lookup) only for a spec whose schedule has a zone
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    start = datetime(REFERENCE_YEAR, 1, 1, tzinfo=timezone.utc)

    def offset_at(sample: int) -> timedelta:
        offset = (start + timedelta(hours=sample * _SAMPLE)).astimezone(tz).utcoffset()
        assert offset is not None  # an aware datetime
        return offset

    count = _sample_count()
    runs: list[tuple[int, int, timedelta]] = []
    first, current = 0, offset_at(0)
    previous = 0
    for probe in [*range(_PROBE, count - 1, _PROBE), count - 1]:
        offset = offset_at(probe)
        if offset != current:
            change = _first_change(offset_at, previous, probe, current)
            runs.append((first, change, current))
            first, current = change, offset
        previous = probe
    runs.append((first, count, current))
    return tuple(runs)


def _first_change(
    offset_at: Callable[[int], timedelta], low: int, high: int, before: timedelta
) -> int:
    """The first sample after `low` (at `before`) and up to `high` (not) at another offset."""
    while high - low > 1:
        middle = (low + high) // 2
        if offset_at(middle) == before:
            low = middle
        else:
            high = middle
    return high


def _shifted(fires: cron.Cron, delta: int) -> dict[int, dict[int, frozenset[int]]]:
    """day carry (-1, 0, 1) -> UTC hour -> UTC minutes, for every local time of `fires`."""
    found: dict[int, dict[int, set[int]]] = {}
    for hour in fires.hours or range(24):
        for minute in fires.minutes or range(60):
            carry, moment = divmod(hour * 60 + minute + delta, _DAY)
            found.setdefault(carry, {}).setdefault(moment // 60, set()).add(moment % 60)
    return {c: {h: frozenset(m) for h, m in hours.items()} for c, hours in found.items()}


def _lines(fires: cron.Cron, carry: int, hours: dict[int, frozenset[int]]) -> list[str]:
    """One line per set of minutes (hours sharing it go together), days moved by `carry`."""
    by_minutes: dict[frozenset[int], set[int]] = {}
    for hour, minutes in hours.items():
        by_minutes.setdefault(minutes, set()).add(hour)
    days_of_week = fires.days_of_week
    if days_of_week is not None:
        days_of_week = frozenset((d + carry) % 7 for d in days_of_week)
    days = " ".join(
        _field(v, low, high)
        for v, low, high in ((fires.days_of_month, 1, 31), (fires.months, 1, 12))
    )
    ordered = sorted(by_minutes.items(), key=lambda item: min(item[1]))
    return [
        f"{_field(m, 0, 59)} {_field(frozenset(h), 0, 23)} {days} {_field(days_of_week, 0, 6)}"
        for m, h in ordered
    ]


def _field(values: frozenset[int] | None, low: int, high: int) -> str:
    """`*`, or the values as a comma list with runs of three or more written `a-b`."""
    if values is None or values == frozenset(range(low, high + 1)):
        return "*"
    items: list[str] = []
    run: list[int] = []
    for value in sorted(values):
        if run and value != run[-1] + 1:
            items.append(_run(run))
            run = []
        run.append(value)
    items.append(_run(run))
    return ",".join(items)


def _run(run: list[int]) -> str:
    if len(run) >= 3:
        return f"{run[0]}-{run[-1]}"
    return ",".join(str(v) for v in run)


def _drifts(by_month: tuple[frozenset[int], ...], offset: int) -> tuple[Drift, ...]:
    others = sorted({o for month in by_month for o in month} - {offset})
    return tuple(
        Drift(
            offset=other,
            shift=other - offset,
            months=tuple(i + 1 for i, m in enumerate(by_month) if m == {other}),
            partly=tuple(i + 1 for i, m in enumerate(by_month) if other in m and len(m) > 1),
        )
        for other in others
    )


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_shift_message(expression: str, zone: str, offset: int, fires: cron.Cron) -> str:
    restricted = " and ".join(
        name
        for name, values in (("day-of-month", fires.days_of_month), ("month", fires.months))
        if values is not None
    )
    first = min(
        h * 60 + m
        for h in fires.hours or range(24)
        for m in fires.minutes or range(60)
        if not 0 <= h * 60 + m - offset < _DAY
    )
    moved = (first - offset) % _DAY
    side = "the day before" if first - offset < 0 else "the next day"
    low, high = max(0, offset), min(_DAY, _DAY + offset)
    return (
        f"'{expression}' in {zone} ({offset_text(offset)}) runs at {_clock(first)}, which is "
        f"{_clock(moved)} UTC {side}; Azure Pipelines schedules are in UTC and a "
        f"{restricted} restriction cannot move by a day. Schedule between {_clock(low)} and "
        f"{_clock(high - 1)} local time, drop the {restricted} restriction, or write the "
        "schedule in UTC (timezone: UTC)"
    )


def runs_per_week(expression: str) -> int:
    """The most runs in any 7 days of the reference year (days in the local calendar)."""
    fires = cron.parse(expression)
    per_day = len(fires.minutes or range(60)) * len(fires.hours or range(24))
    if fires.days_of_month is None and fires.months is None:  # the same every week
        return per_day * len(fires.days_of_week or range(7))
    start = date(REFERENCE_YEAR, 1, 1)
    runs = [per_day if _matches(fires, start + timedelta(days=d)) else 0 for d in range(372)]
    return max(sum(runs[d : d + 7]) for d in range(len(runs) - 6))


def _matches(fires: cron.Cron, day: date) -> bool:
    return (
        (fires.days_of_month is None or day.day in fires.days_of_month)
        and (fires.months is None or day.month in fires.months)
        and (fires.days_of_week is None or (day.weekday() + 1) % 7 in fires.days_of_week)
    )


# --- the words shared by the W001 warning and the pipeline's comment -----------------------


def _month_names(months: tuple[int, ...]) -> str:
    names = [calendar.month_abbr[m] for m in months]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _minutes_text(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    parts += [f"{rest} minutes"] if rest else []
    return " ".join(parts)


def drift_text(schedule: UtcSchedule) -> str:
    """When and how far the runs move in local time, e.g. for Europe/Berlin at UTC+02:00:
    'Europe/Berlin is at UTC+01:00 in Jan, Feb, Nov and Dec and part of Mar and Oct: runs then
    start 1 hour earlier in local time'."""
    parts = []
    for drift in schedule.drifts:
        when = []
        if drift.months:
            when.append(f"in {_month_names(drift.months)}")
        if drift.partly:
            when.append(f"part of {_month_names(drift.partly)}")
        direction = "later" if drift.shift > 0 else "earlier"
        parts.append(
            f"{schedule.zone} is at {offset_text(drift.offset)} {' and '.join(when)}: runs "
            f"then start {_minutes_text(drift.shift)} {direction} in local time"
        )
    return "; ".join(parts)


def comment_lines(schedule: UtcSchedule, width: int = 92) -> tuple[str, ...]:
    """The pipeline's comment above `schedules:` (without the leading '# ')."""
    text = (
        f"Scheduled retraining: the spec's schedule '{schedule.cron}' in {schedule.zone}, "
        "written in UTC (Azure Pipelines schedules are UTC only) for "
        f"{offset_text(schedule.offset)}"
    )
    if schedule.drifts:
        text += f", the zone's offset for most of the year. {drift_text(schedule)}."
    else:
        text += "."
    import textwrap  # render's only (validate imports this module too)

    return tuple(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))
