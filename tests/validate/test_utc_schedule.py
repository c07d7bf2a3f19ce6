"""The spec's schedule in UTC for Azure Pipelines (spec/utc_schedule.py; issue 10, item 9).

Platform facts checked here, from Microsoft Learn, "Configure schedules for pipelines":
- "Cron syntax": five fields, minutes 0-59, hours 0-23, days 1-31, months 1-12, days of week
  0-6 starting with Sunday; values as `*`, single values, comma lists, inclusive ranges `1-3`
  and intervals. mlopsgen writes numbers, `*`, `,` and `-` only (`AZURE_FIELD` below).
- Schedules are UTC, and "The UTC time zones in YAML scheduled triggers don't account for
  daylight savings time": the property tests compare with the local schedule's real instants
  (croniter for the wall-clock times, zoneinfo for their offsets).
- "Limits on the number of scheduled runs": "around 1000 runs per pipeline per week" (E353).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlopsgen.spec import utc_schedule
from mlopsgen.spec.schedule_rules import pipeline_schedule
from mlopsgen.spec.utc_schedule import REFERENCE_YEAR, DayShiftError, convert

# One field as Azure Pipelines documents it, restricted to what mlopsgen writes.
AZURE_FIELD = {
    "minute": (0, 59),
    "hour": (0, 23),
    "day": (1, 31),
    "month": (1, 12),
    "day-of-week": (0, 6),
}
_ITEM = re.compile(r"(\d+)(?:-(\d+))?")

FIXED_ZONES = (
    "UTC",
    "Asia/Tokyo",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Asia/Kabul",  # +04:30
    "America/Phoenix",  # -07:00, no daylight saving
    "Pacific/Marquesas",  # -09:30
    "Pacific/Kiritimati",  # +14:00
    "Pacific/Pago_Pago",  # -11:00
)
DST_ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # winter time is the negative DST in tzdata
    "America/New_York",
    "America/Santiago",  # southern hemisphere
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute change
    "Pacific/Chatham",  # +12:45 / +13:45
)


def assert_azure_syntax(line: str) -> None:
    fields = line.split(" ")
    assert len(fields) == 5, line
    for text, (low, high) in zip(fields, AZURE_FIELD.values(), strict=True):
        if text == "*":
            continue
        for item in text.split(","):
            match = _ITEM.fullmatch(item)
            assert match, line
            first, last = int(match[1]), int(match[2] or match[1])
            assert low <= first <= last <= high, line
            assert match[2] is None or first < last, line
    assert "*" in (fields[2], fields[4]), line  # never both day fields restricted


def test_the_example_berlin_weekly_run() -> None:
    converted = convert("0 3 * * 1", "Europe/Berlin")
    assert converted.lines == ("0 1 * * 1",)
    assert converted.offset == 120  # summer time: from late March to late October
    (drift,) = converted.drifts
    assert (drift.offset, drift.shift) == (60, -60)
    assert (drift.months, drift.partly) == ((1, 2, 11, 12), (3, 10))
    assert utc_schedule.drift_text(converted) == (
        "Europe/Berlin is at UTC+01:00 in Jan, Feb, Nov and Dec and part of Mar and Oct: "
        "runs then start 1 hour earlier in local time"
    )


@pytest.mark.parametrize(
    ("expression", "zone", "lines"),
    [
        ("15 4 * * 1-5", "Europe/London", ("15 3 * * 1-5",)),
        ("0 3 * * *", "UTC", ("0 3 * * *",)),
        # midnight crossed by some hours only: two lines, each with its own day of week
        ("0 */6 * * 1", "Europe/Berlin", ("0 22 * * 0", "0 4,10,16 * * 1")),
        # :30 offsets move the minutes, and carry into different hours
        ("*/20 3 * * *", "Asia/Kolkata", ("30,50 21 * * *", "10 22 * * *")),
        ("45 0 * * *", "Asia/Kathmandu", ("0 19 * * *",)),
        # west of UTC the day moves forward: Friday 22:00 in New York is Saturday in UTC
        ("0 22 * * 5", "America/New_York", ("0 2 * * 6",)),
        ("0 20-23 * * 6", "America/New_York", ("0 0-3 * * 0",)),
        ("0 12 1 * *", "Asia/Tokyo", ("0 3 1 * *",)),
        ("30 2 1 * *", "America/New_York", ("30 6 1 * *",)),
        ("0 9-17 * 1,4,7,10 *", "Europe/Berlin", ("0 7-15 * 1,4,7,10 *",)),
    ],
)
def test_conversions(expression: str, zone: str, lines: tuple[str, ...]) -> None:
    assert convert(expression, zone).lines == lines
    for line in lines:
        assert_azure_syntax(line)


def test_zones_without_daylight_saving_have_no_drift() -> None:
    for zone in FIXED_ZONES:
        assert convert("0 12 * * *", zone).drifts == (), zone


@pytest.mark.parametrize(
    ("expression", "zone", "words"),
    [
        ("30 1 1 * *", "Asia/Tokyo", "Schedule between 09:00 and 23:59 local time"),
        ("0 22 * 6 *", "America/New_York", "Schedule between 00:00 and 19:59 local time"),
        ("0 1 15 * *", "Europe/Berlin", "between 02:00 and 23:59"),
    ],
)
def test_a_restricted_day_that_moves_is_refused(expression: str, zone: str, words: str) -> None:
    with pytest.raises(DayShiftError) as raised:
        convert(expression, zone)
    assert words in str(raised.value)
    assert "timezone: UTC" in str(raised.value)


def test_runs_per_week() -> None:
    assert utc_schedule.runs_per_week("0 3 * * 1") == 1
    assert utc_schedule.runs_per_week("*/5 * * * *") == 7 * 24 * 12
    assert utc_schedule.runs_per_week("0 * 1-3 * *") == 3 * 24  # the first days of a month
    assert utc_schedule.runs_per_week("*/10 * * * 1-5") == 5 * 24 * 6  # 720: allowed


# --- property: the UTC lines fire at the local schedule's instants ------------------------

_minutes = st.one_of(
    st.integers(0, 59).map(str),
    st.lists(st.integers(0, 59), min_size=2, max_size=3, unique=True).map(
        lambda v: ",".join(map(str, v))
    ),
    st.sampled_from(["*/30", "15-45/15"]),
)
_hours = st.one_of(
    st.integers(0, 23).map(str),
    st.lists(st.integers(0, 23), min_size=2, max_size=4, unique=True).map(
        lambda v: ",".join(map(str, v))
    ),
    st.tuples(st.integers(0, 22), st.integers(1, 23))
    .filter(lambda t: t[0] < t[1])
    .map(lambda t: f"{t[0]}-{t[1]}"),
    st.sampled_from(["*", "*/6", "1-23/5", "*/2"]),
)
_days_of_week = st.one_of(
    st.just("*"),
    st.integers(0, 7).map(str),
    st.sampled_from(["1-5", "0,6", "2-6/2", "SUN", "mon-fri"]),
)
_days_of_month = st.sampled_from(["1", "15", "1-7", "28-31", "*/10"])
_months = st.sampled_from(["*", "1", "3,10", "4-9", "11-12"])


@st.composite
def local_crons(draw: st.DrawFn) -> str:
    minute, hour = draw(_minutes), draw(_hours)
    if draw(st.booleans()):
        return f"{minute} {hour} * {draw(_months)} {draw(_days_of_week)}"
    return f"{minute} {hour} {draw(_days_of_month)} {draw(_months)} *"


def _next(expression: str, start: datetime, count: int) -> list[datetime]:
    it = croniter(expression, start)
    return [it.get_next(datetime) for _ in range(count)]


def _utc_firings(lines: tuple[str, ...], start: datetime, count: int) -> list[datetime]:
    return sorted(t for line in lines for t in _next(line, start, count))[:count]


def _offset(zone: ZoneInfo, wall: datetime) -> int:
    offset = wall.replace(tzinfo=zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


def _check(expression: str, zone_name: str) -> None:
    try:
        converted = convert(expression, zone_name)
    except DayShiftError:
        return  # the refusal has its own test
    for line in converted.lines:
        assert_azure_syntax(line)
    zone, offset = ZoneInfo(zone_name), timedelta(minutes=converted.offset)
    drifts = {d.offset: d for d in converted.drifts}
    for month in range(1, 13):
        start = datetime(REFERENCE_YEAR, month, 1)
        local = _next(expression, start - timedelta(seconds=1), 12)  # wall-clock times
        utc = _utc_firings(converted.lines, start - offset - timedelta(seconds=1), 12)
        assert utc == [w - offset for w in local], (expression, zone_name, month)
        for wall, fired in zip(local, utc, strict=True):
            if wall.year != REFERENCE_YEAR:
                continue
            real = _offset(zone, wall)
            intended = wall - timedelta(minutes=real)  # the instant the spec asks for
            if real == converted.offset:
                assert fired == intended
                assert not any(wall.month in d.months for d in converted.drifts)
            else:  # the warning names this month and how far the run moves
                drift = drifts[real]
                assert wall.month in drift.months + drift.partly
                assert fired - intended == timedelta(minutes=drift.shift)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(local_crons(), st.sampled_from(FIXED_ZONES))
def test_in_a_zone_without_daylight_saving_the_utc_lines_fire_at_the_same_instants(
    expression: str, zone: str
) -> None:
    _check(expression, zone)


@SETTINGS
@given(local_crons(), st.sampled_from(DST_ZONES))
def test_with_daylight_saving_the_instants_differ_only_as_the_warning_says(
    expression: str, zone: str
) -> None:
    _check(expression, zone)


@SETTINGS
@given(local_crons(), st.sampled_from(FIXED_ZONES + DST_ZONES))
def test_a_refusal_is_a_restricted_day_crossing_midnight(expression: str, zone: str) -> None:
    fields = expression.split()
    try:
        convert(expression, zone)
    except DayShiftError:
        assert fields[2] != "*" or fields[3] != "*"
    else:
        if fields[2] != "*" or fields[3] != "*":  # then no time may change day in UTC
            offset = convert(expression, zone).offset
            it = croniter(f"{fields[0]} {fields[1]} * * *", datetime(REFERENCE_YEAR, 1, 1))
            for _ in range(48):
                t = it.get_next(datetime)
                assert 0 <= t.hour * 60 + t.minute - offset < 24 * 60


# --- the rules validate reports from the same conversion -----------------------------------


def _rule(schedule: dict[str, object]) -> list[tuple[str, tuple[str | int, ...], str]]:
    return [(f.code, f.path, f.message) for f in pipeline_schedule({"schedule": schedule})]


def test_w001_names_the_zone_the_utc_cron_and_the_months() -> None:
    ((code, path, message),) = _rule({"cron": "0 3 * * 1", "timezone": "Europe/Berlin"})
    assert (code, path) == ("W001", ("schedule", "timezone"))
    assert '"0 1 * * 1" (UTC)' in message
    assert "UTC+02:00 being Europe/Berlin's offset for most of the year" in message
    assert (
        "Europe/Berlin is at UTC+01:00 in Jan, Feb, Nov and Dec and part of Mar and Oct: runs "
        "then start 1 hour earlier in local time"
    ) in message


def test_no_finding_without_daylight_saving_or_for_what_other_rules_report() -> None:
    assert _rule({"cron": "0 3 * * 1", "timezone": "Asia/Kolkata"}) == []
    assert _rule({"cron": "0 3 * * 1"}) == []  # the default zone, UTC
    assert _rule({"cron": "0 3 * *", "timezone": "Europe/Berlin"}) == []  # E305's
    assert _rule({"cron": "0 3 * * 1", "timezone": "Mars/Olympus"}) == []  # E307's
    assert _rule({"cron": 3, "timezone": "Europe/Berlin"}) == []  # the schema's


def test_errors_e352_and_e353() -> None:
    assert [c for c, _, _ in _rule({"cron": "30 1 1 * *", "timezone": "Asia/Tokyo"})] == ["E352"]
    assert [c for c, _, _ in _rule({"cron": "* * * * *", "timezone": "Europe/Berlin"})] == ["E353"]
