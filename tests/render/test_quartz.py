"""5-field cron -> Quartz: the Quartz output fires at exactly the croniter times of the input.

Only expressions that validation accepts reach the converter (`mlopsgen.spec.cron.parse` is
the one grammar); what it rejects is tested in tests/validate/test_cron.py. The Quartz side is
evaluated by a small evaluator written here from the Quartz syntax (seconds first, weekdays
1=SUN..7=SAT, `?`), independent of the converter; `quartz-cron-checker` checks validity.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from croniter import croniter
from croniter.croniter import CroniterBadDateError
from hypothesis import given, settings
from hypothesis import strategies as st
from quartz_cron_checker import QuartzCronChecker  # type: ignore[import-untyped]

from mlopsgen.render.quartz import to_quartz
from mlopsgen.spec.cron import CronError, parse

FIRES = 200
START = datetime(2025, 1, 1, 0, 0)
UNTIL = datetime(2065, 1, 1)  # a horizon, for schedules that fire rarely or never (Feb 30)

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
    "0 12 * * 6-7",
    "0 12 * * */2",
    "0 12 * * 1-5/2",
    "0 12 * * 1-7/2",  # 7 is Sunday: Mon, Wed, Fri, Sun
    "0 12 * * 7/2",  # from Sunday, every other day of the week
    "0 12 * * tue,thu",
    "0 0 1 * *",
    "0 0 1,15 * *",
    "0 0 1-7 * *",
    "0 0 */10 * *",
    "0 0 5/10 * *",  # from the 5th to the end of the month, every 10 days
    "0 0 31 * *",
    "0 0 29 2 *",  # leap days only
    "0 8 * jan *",
    "0 8 1 jan,jul *",
    "0 8 * JAN-MAR mon",
    "0 8 15 */3 *",
    "0 8 * 6-8 sat",
    "0 8 1 dec *",
    "0 8 1 1/4 *",
    "5,35 * * * *",
    "0-10/5 2 * * *",
    "59 23 * * *",
    "50/5 * * * *",  # from minute 50 to the end of the hour
    "5/20 * * * *",
    "0 */6 * * *",
    "0 9-17 * * mon-fri",
    "0 9-17/4 * * 1-5",
    "*/7 * * * *",
    "*/59 * * * *",  # the largest step the minute field takes: 0 and 59
    "1-59/13 0 1 * *",
    "0 0 * * *",
    "* * * * *",
    "0 0 1-31 * 1",  # day-of-month lists every day: cron's "either" rule means every day
    "0 0 1 * 0-6",  # likewise through day-of-week
    "0 0 1-31 * 0-7",
    "0 0 * * 0-6",
    "0 0 * * 1-7",
    "0 0 * * 1-5,*/2",  # every day of the week, written as a list
    "45 4 * feb-nov/3 wed",
    "007 05 * * *",  # leading zeros
]


# --- an independent Quartz evaluator -------------------------------------------------------


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
    if dow == "?":
        return day.day in _numbers(dom, 1, 31)
    return _quartz_dow(day) in _numbers(dow, 1, 7)


def quartz_fires(expression: str, start: datetime, count: int) -> list[datetime]:
    seconds, minutes, hours, dom, months, dow = expression.split()
    assert seconds == "0"
    minute_set = sorted(_numbers(minutes, 0, 59))
    hour_set = sorted(_numbers(hours, 0, 23))
    month_set = _numbers(months, 1, 12)
    fires: list[datetime] = []
    day = start.replace(hour=0, minute=0)
    while len(fires) < count and day < UNTIL:
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
    fires: list[datetime] = []
    try:
        while len(fires) < count and (moment := it.get_next(datetime)) < UNTIL:
            fires.append(moment)
    except CroniterBadDateError:  # no date at all (e.g. February 30th)
        pass
    return fires


def assert_same_fires(cron: str) -> None:
    quartz = to_quartz(cron)
    QuartzCronChecker.from_cron_string(quartz).validate()
    assert quartz_fires(quartz, START, FIRES) == cron_fires(cron, START, FIRES), quartz
    # The same days with one fire each: hundreds of days, whatever the minute fields say.
    days = "0 0 " + cron.split(maxsplit=2)[2]
    assert quartz_fires(to_quartz(days), START, FIRES) == cron_fires(days, START, FIRES), days


# --- the table -----------------------------------------------------------------------------


def test_the_table_is_big_enough() -> None:
    assert len(CRONS) >= 40


@pytest.mark.parametrize("cron", CRONS)
def test_validation_accepts_the_table(cron: str) -> None:
    parse(cron)
    assert croniter.is_valid(cron)


@pytest.mark.parametrize("cron", CRONS)
def test_quartz_fires_at_the_same_times(cron: str) -> None:
    assert_same_fires(cron)


@pytest.mark.parametrize(
    ("cron", "quartz"),
    [
        ("0 3 * * 1", "0 0 3 ? * 2"),
        ("0 0 * * 7", "0 0 0 ? * 1"),
        ("0 0 * * 0", "0 0 0 ? * 1"),
        ("*/15 * * * *", "0 0,15,30,45 * * * ?"),
        ("0 0 1 * *", "0 0 0 1 * ?"),
        ("0 0 1-31 * 1", "0 0 0 * * ?"),
        ("0 8 * JAN-MAR mon", "0 0 8 ? 1,2,3 2"),
        ("0 0 * * 1-5,*/2", "0 0 0 * * ?"),
    ],
)
def test_known_conversions(cron: str, quartz: str) -> None:
    assert to_quartz(cron) == quartz


@pytest.mark.parametrize("cron", ["0 0 1 * 1", "0 0 * * 5#2", "0 0 L * *", "@daily", "61 * * * *"])
def test_what_validation_rejects_does_not_convert(cron: str) -> None:
    with pytest.raises(CronError) as rejected:
        parse(cron)
    with pytest.raises(CronError) as refused:
        to_quartz(cron)
    assert str(refused.value) == str(rejected.value)


# --- every accepted form -------------------------------------------------------------------

# (low, high, names) per field; day-of-week also takes 7 for Sunday.
_FIELDS = [
    (0, 59, ()),
    (0, 23, ()),
    (1, 31, ()),
    (1, 12, ("jan", "FEB", "Mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "DEC")),
    (0, 7, ("sun", "MON", "Tue", "wed", "thu", "fri", "sat")),
]


@st.composite
def field_text(draw: st.DrawFn, index: int) -> str:
    low, high, names = _FIELDS[index]

    def written(number: int) -> str:
        if names and low <= number < low + len(names) and draw(st.booleans()):
            return names[number - low]
        return str(number)

    items = []
    for _ in range(draw(st.integers(1, 3))):
        first, last = sorted(draw(st.integers(low - 1, high + 1)) for _ in range(2))
        step = draw(st.integers(0, high - low + 2))
        form = draw(st.sampled_from(["*", "*/{s}", "{a}", "{a}-{b}", "{a}-{b}/{s}", "{a}/{s}"]))
        items.append(form.format(a=written(first), b=written(last), s=step))
    return ",".join(items)


@st.composite
def expressions(draw: st.DrawFn) -> str:
    fields = [draw(field_text(i)) for i in range(5)]
    for day_field in (2, 4):  # mostly one unrestricted day field, as schedules are written
        if draw(st.integers(0, 2)) > 0:
            fields[day_field] = "*"
    return " ".join(fields)


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_every_accepted_expression_fires_like_croniter(cron: str) -> None:
    try:
        parse(cron)
    except CronError:
        with pytest.raises(CronError):
            to_quartz(cron)
        return
    assert croniter.is_valid(cron), cron
    assert_same_fires(cron)
