"""5-field cron -> Quartz: the Quartz output fires at exactly the croniter times of the input.

The Quartz side is evaluated by a small evaluator written here from the Quartz syntax
(seconds first, weekdays 1=SUN..7=SAT, `?`, `L`, `d#n`, `dL`), independent of the converter.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

import pytest
from croniter import croniter
from quartz_cron_checker import QuartzCronChecker

from mlopsgen.render.quartz import QuartzConversionError, to_quartz, unsupported_reason

FIRES = 200
START = datetime(2025, 1, 1, 0, 0)

CRONS = [
    "0 3 * * 1",  # the wine-quality schedule: Mondays 03:00
    "*/15 * * * *",
    "0 0 * * 0",  # Sunday as 0
    "0 0 * * 7",  # Sunday as 7
    "0 0 * * 0,7",
    "30 6 * * sun",
    "30 6 * * SUN",
    "0 12 * * mon-fri",
    "0 12 * * 1-5",
    "0 12 * * sat,sun",
    "0 12 * * 6,0",
    "0 12 * * 5-7",  # Friday to Sunday through 7
    "0 12 * * */2",
    "0 12 * * 1-5/2",
    "0 12 * * tue,thu",
    "0 0 1 * *",
    "0 0 1,15 * *",
    "0 0 1-7 * *",
    "0 0 */10 * *",
    "0 0 31 * *",
    "0 0 29 2 *",  # leap days only
    "0 0 L * *",  # last day of the month
    "0 8 * jan *",
    "0 8 1 jan,jul *",
    "0 8 * JAN-MAR mon",
    "0 8 15 */3 *",
    "0 8 * 6-8 sat",
    "0 8 1 dec *",
    "5,35 * * * *",
    "0-10/5 2 * * *",
    "59 23 * * *",
    "0 */6 * * *",
    "0 9-17 * * mon-fri",
    "0 9-17/4 * * 1-5",
    "*/7 * * * *",
    "1-59/13 0 1 * *",
    "0 0 * * *",
    "* * * * *",
    "0 0 1-31 * 1",  # day-of-month lists every day: cron's "either" rule means every day
    "0 0 * * 0-6",
    "0 0 * * 1-7",
    "0 0 * * 5#2",  # second Friday
    "0 0 * * fri#3",
    "0 0 * * L5",  # last Friday
    "45 4 * feb-nov/3 wed",
    "0 0 ? * 3",
]


# --- an independent Quartz evaluator -------------------------------------------------------

_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _numbers(field: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        part, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            start, end = (int(x) for x in part.split("-"))
        else:
            start = int(part)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values


def _quartz_dow(day: datetime) -> int:
    return (day.weekday() + 1) % 7 + 1  # Python Monday=0 -> Quartz SUN=1 .. SAT=7


def _day_matches(dom: str, dow: str, day: datetime) -> bool:
    assert (dom == "?") != (dow == "?"), "Quartz needs ? in exactly one day field"
    last = calendar.monthrange(day.year, day.month)[1]
    if dow == "?":
        return day.day == last if dom == "L" else day.day in _numbers(dom, 1, 31)
    weekday = _quartz_dow(day)
    if "#" in dow:
        wanted, nth = (int(x) for x in dow.split("#"))
        return weekday == wanted and (day.day - 1) // 7 + 1 == nth
    if dow.endswith("L"):
        return weekday == int(dow[:-1]) and day.day + 7 > last
    return weekday in _numbers(dow, 1, 7)


def quartz_fires(expression: str, start: datetime, count: int) -> list[datetime]:
    seconds, minutes, hours, dom, months, dow = expression.split()
    assert seconds == "0"
    minute_set = sorted(_numbers(minutes, 0, 59))
    hour_set = sorted(_numbers(hours, 0, 23))
    month_set = _numbers(months, 1, 12)
    fires: list[datetime] = []
    day = start.replace(hour=0, minute=0)
    while len(fires) < count:
        if day.month in month_set and _day_matches(dom, dow, day):
            for hour in hour_set:
                for minute in minute_set:
                    moment = day.replace(hour=hour, minute=minute)
                    if moment > start and len(fires) < count:
                        fires.append(moment)
        day += timedelta(days=1)
    return fires


def cron_fires(expression: str, start: datetime, count: int) -> list[datetime]:
    it = croniter(expression, start)
    return [it.get_next(datetime) for _ in range(count)]


# --- tests ---------------------------------------------------------------------------------


def test_the_table_is_big_enough() -> None:
    assert len(CRONS) >= 40


@pytest.mark.parametrize("cron", CRONS)
def test_quartz_fires_at_the_same_times(cron: str) -> None:
    quartz = to_quartz(cron)
    assert quartz_fires(quartz, START, FIRES) == cron_fires(cron, START, FIRES), quartz


@pytest.mark.parametrize("cron", CRONS)
def test_quartz_output_is_valid_quartz(cron: str) -> None:
    QuartzCronChecker.from_cron_string(to_quartz(cron)).validate()


@pytest.mark.parametrize(
    ("cron", "quartz"),
    [
        ("0 3 * * 1", "0 0 3 ? * 2"),
        ("0 0 * * 7", "0 0 0 ? * 1"),
        ("0 0 * * 0", "0 0 0 ? * 1"),
        ("*/15 * * * *", "0 0,15,30,45 * * * ?"),
        ("0 0 1 * *", "0 0 0 1 * ?"),
        ("0 0 * * 5#2", "0 0 0 ? * 6#2"),
    ],
)
def test_known_conversions(cron: str, quartz: str) -> None:
    assert to_quartz(cron) == quartz


@pytest.mark.parametrize("cron", ["0 0 1 * 1", "0 0 1,15 * mon-fri", "0 0 */2 * 5"])
def test_both_day_fields_restricted_is_rejected(cron: str) -> None:
    with pytest.raises(QuartzConversionError, match="both day-of-month and day-of-week"):
        to_quartz(cron)
    reason = unsupported_reason(cron)
    assert reason is not None and "restrict only one" in reason


@pytest.mark.parametrize("cron", ["@daily", "0 0 * *", "0 0 1W * *", "61 0 * * *"])
def test_other_unsupported_expressions_are_rejected(cron: str) -> None:
    assert unsupported_reason(cron) is not None


def test_supported_expressions_have_no_reason() -> None:
    assert unsupported_reason("0 3 * * 1") is None
