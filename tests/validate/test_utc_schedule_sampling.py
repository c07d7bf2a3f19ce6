"""The zone's offsets over the reference year, counted from a few reads (issue 15) rather than
computed at each of the ~2,900 samples: compared with that brute force, for every zone the
installed tzdata knows, so a zone whose offset changes twice within a day of samples fails
here rather than silently changing a generated schedule.
"""

from __future__ import annotations

import calendar
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from functools import cache
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlopsgen.spec import utc_schedule
from mlopsgen.spec.utc_schedule import DayShiftError, UtcSchedule

SAMPLE_HOURS = 3  # utc_schedule's sampling: every three hours from the year's first UTC instant


def _zones() -> tuple[str, ...]:
    """Every zone zoneinfo lists that it can also load (a few listed names may not be)."""
    found = []
    for name in sorted(zoneinfo.available_timezones()):
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            continue
        found.append(name)
    return tuple(found)


ZONES = _zones()


@cache
def brute_force_samples(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """(local month, UTC offset in minutes) of every sample, each computed with zoneinfo."""
    tz = zoneinfo.ZoneInfo(zone)
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    days = 366 if calendar.isleap(year) else 365
    samples = []
    for hour in range(0, days * 24, SAMPLE_HOURS):
        local = (start + timedelta(hours=hour)).astimezone(tz)
        offset = local.utcoffset()
        assert offset is not None
        samples.append((local.month, int(offset.total_seconds()) // 60))
    return tuple(samples)


def brute_force_by_month(zone: str, year: int) -> tuple[frozenset[int], ...]:
    months: list[set[int]] = [set() for _ in range(12)]
    for month, minutes in brute_force_samples(zone, year):
        months[month - 1].add(minutes)
    return tuple(frozenset(m) for m in months)


def brute_force_majority(zone: str, year: int) -> int:
    counts = Counter(minutes for _, minutes in brute_force_samples(zone, year))
    return max(counts, key=lambda offset: (counts[offset], -offset))


def _clear_caches() -> None:
    for cached in (
        utc_schedule.convert,
        utc_schedule._offsets_by_month,
        utc_schedule._majority,
        utc_schedule._runs,
    ):
        cached.cache_clear()


@contextmanager
def reference_year(year: int) -> Iterator[None]:
    """utc_schedule computing for another year (its caches hold the reference year's)."""
    _clear_caches()
    try:
        with mock.patch.object(utc_schedule, "REFERENCE_YEAR", year):
            yield
    finally:
        _clear_caches()


def test_the_example_zones_change_offset_where_the_brute_force_says() -> None:
    year = utc_schedule.REFERENCE_YEAR
    for zone in ("Europe/Berlin", "Africa/Casablanca", "Australia/Lord_Howe", "UTC"):
        assert utc_schedule._offsets_by_month(zone) == brute_force_by_month(zone, year), zone
        assert utc_schedule._majority(zone) == brute_force_majority(zone, year), zone


@pytest.mark.parametrize(
    "year",
    [
        utc_schedule.REFERENCE_YEAR,
        # a leap year, one more day of samples (the reference year may become one)
        pytest.param(2028, marks=pytest.mark.slow),
    ],
)
def test_every_zone_has_the_brute_force_offsets_by_month_and_majority(year: int) -> None:
    wrong = []
    with reference_year(year):
        for zone in ZONES:
            fast = (utc_schedule._offsets_by_month(zone), utc_schedule._majority(zone))
            if fast != (brute_force_by_month(zone, year), brute_force_majority(zone, year)):
                wrong.append(zone)
    assert not wrong, wrong


def _brute_force_convert(expression: str, zone: str) -> UtcSchedule:
    """`convert` with the offsets from every sample (its cache bypassed)."""
    year = utc_schedule.REFERENCE_YEAR
    with (
        mock.patch.object(
            utc_schedule, "_offsets_by_month", lambda z: brute_force_by_month(z, year)
        ),
        mock.patch.object(utc_schedule, "_majority", lambda z: brute_force_majority(z, year)),
    ):
        return utc_schedule.convert.__wrapped__(expression, zone)


_crons = st.sampled_from(
    [
        "0 3 * * 1",
        "0 */6 * * 1",
        "*/20 3 * * *",
        "45 0 * * *",
        "0 22 * * 5",
        "0 20-23 * * 6",
        "30 2 1 * *",
        "0 12 15 * *",
        "0 9-17 * 1,4,7,10 *",
        "15 4 * * 1-5",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_crons, st.sampled_from(ZONES))
def test_convert_equals_the_brute_force_conversion(expression: str, zone: str) -> None:
    try:
        expected: UtcSchedule | DayShiftError = _brute_force_convert(expression, zone)
    except DayShiftError as exc:
        expected = exc
    try:
        fast: UtcSchedule | DayShiftError = utc_schedule.convert(expression, zone)
    except DayShiftError as exc:
        fast = exc
    if isinstance(expected, DayShiftError):
        assert isinstance(fast, DayShiftError) and str(fast) == str(expected)
    else:
        assert fast == expected
