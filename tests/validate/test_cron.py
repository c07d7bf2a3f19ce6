"""The one cron grammar (`mlopsgen.spec.cron`): what it accepts, what it means, what it rejects.

Conversion of everything it accepts is checked against croniter's fire times in
tests/render/test_quartz.py; the E305/E306 texts in their folders under cases/invalid/.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from croniter import croniter

from mlopsgen.spec import cron
from mlopsgen.spec.cron import Cron, CronError, EitherDaysError, parse
from mlopsgen.spec.schedule_rules import fixed_offset_zones
from mlopsgen.spec.semantics import cron_rules


def days(*values: int) -> frozenset[int]:
    return frozenset(values)


@pytest.mark.parametrize(
    ("expression", "parsed"),
    [
        ("0 3 * * 1", Cron(days(0), days(3), None, None, days(1))),
        ("*/20 * * * *", Cron(days(0, 20, 40), None, None, None, None)),
        ("0 0 * * 7", Cron(days(0), days(0), None, None, days(0))),
        ("0 0 * * 5-7", Cron(days(0), days(0), None, None, days(0, 5, 6))),
        ("0 0 * * Mon-fri", Cron(days(0), days(0), None, None, days(1, 2, 3, 4, 5))),
        ("0 0 1,15 jan-mar/2 *", Cron(days(0), days(0), days(1, 15), days(1, 3), None)),
        ("50/5 0-23 * * *", Cron(days(50, 55), None, None, None, None)),
        ("0 0 * * 7/3", Cron(days(0), days(0), None, None, days(0, 3, 6))),
        ("0 0 * * 0-7", Cron(days(0), days(0), None, None, None)),
        # Both day fields restrict, so cron fires when either matches; one matches every day.
        ("0 3 1-31 * MON", Cron(days(0), days(3), None, None, None)),
        ("0 3 1 * 0-6", Cron(days(0), days(3), None, None, None)),
    ],
)
def test_parse(expression: str, parsed: Cron) -> None:
    assert parse(expression) == parsed


@pytest.mark.parametrize(
    "expression",
    [
        "0 3 1 * MON",
        "0 3 1,15 * mon-fri",
        "0 3 */2 * 5",  # Vixie cron: odd days that are Fridays; croniter: either
        "0 3 1 * */2",
        "0 3 */1 * MON",  # Vixie cron: Mondays; croniter: every day
        "0 3 1-31 * */2",
    ],
)
def test_both_day_fields_restricted_is_e306(expression: str) -> None:
    with pytest.raises(EitherDaysError, match="restricts both day-of-month and day-of-week"):
        parse(expression)
    data = {"schedule": {"cron": expression}}
    assert [(f.code, f.path) for f in cron_rules(data)] == [("E306", ("schedule", "cron"))]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("@daily", "'@daily' has 1 field; write 5"),
        ("0 0 * *", "has 4 fields"),
        ("0 0 0 * * *", "has 6 fields"),
        ("0 0 L * *", "'0 0 L * *': day-of-month field 'L': 'L' is not allowed here"),
        ("0 0 1W * *", "'W' is not allowed here"),
        ("0 0 * * L5", "'L' is not allowed here"),
        ("H 0 * * *", "minute field 'H': 'H' is not allowed here"),
        ("0 0 * * jan", "'jan' is not allowed here"),
        ("0 0 * mon *", "'mon' is not allowed here"),
        ("0 0 ? * 1", "day-of-month field '?' may only use digits, names, '*', ',', '-' and '/'"),
        ("0 0 * * 5#2", "day-of-week field '5#2' may only use digits"),
        ("0 0 * * SAT-SUN", "the range SAT-SUN runs backwards; Sunday is also 7: write 6-7"),
        ("0 0 * NOV-FEB *", "month field 'NOV-FEB': the range NOV-FEB runs backwards"),
        ("0 22-2 * * *", "hour field '22-2': the range 22-2 runs backwards"),
        ("0 0 * * 8-1", "the range 8-1 runs backwards"),  # said before the range
        ("5-5 * * * *", "the range 5-5 starts and ends at the same value; write 5 alone"),
        ("0 0 * * SUN-SUN/2", "the range SUN-SUN starts and ends at the same value"),
        # Issue 14: accepted by cron, never what was meant (croniter agrees on both readings)
        (
            "*/90 * * * *",
            "a step of 90 is larger than 0-59, so '*/90' means 0 alone; write 0, "
            "or a step that fits (at most 59)",
        ),
        ("59/15 * * * *", "a step of 15 is larger than 59-59, so '59/15' means 59 alone; write 59"),
        ("0 */24 * * *", "hour field '*/24': a step of 24 is larger than 0-23"),
        ("0 0 30 2 *", "'0 0 30 2 *' never fires: FEB has no day 30; pick days its months have"),
        ("0 0 31 4,6 *", "never fires: none of APR, JUN has a day 31"),
        ("0 0 30,31 FEB *", "FEB has no day 30 or later"),
    ],
)
def test_unsupported_forms_are_e305_with_their_reason(expression: str, message: str) -> None:
    with pytest.raises(CronError) as rejected:
        parse(expression)
    assert not isinstance(rejected.value, EitherDaysError)
    assert message in str(rejected.value)
    data = {"serving": {"cron": expression}}
    assert [(f.code, f.message) for f in cron_rules(data)] == [("E305", str(rejected.value))]


@pytest.mark.parametrize(
    "expression",
    [
        "61 0 * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 32 * *",
        "0 0 * 0 *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "*/0 * * * *",
        "1-5/0 * * * *",
        "1,,2 * * * *",
        ",1 * * * *",
        "-5 * * * *",
        "1- * * * *",
        "1-2-3 * * * *",
        "** * * * *",
        "*-5 * * * *",
        "1/2/3 * * * *",
        "*/2-5 * * * *",
        "0 0 * * 1MON",
        "*/10000 * * * *",  # no field has five digits
        "1" * 5000 + " * * * *",  # more digits than int() converts
    ],
    ids=lambda expression: expression[:20],
)
def test_malformed_or_out_of_range_items_are_one_sentence(expression: str) -> None:
    with pytest.raises(CronError) as rejected:
        parse(expression)
    assert str(rejected.value) == (
        f"'{expression}' is not a valid cron expression (check each field's range)"
    )


def test_a_backwards_range_is_named_before_an_unreadable_field() -> None:
    with pytest.raises(CronError, match="the range 5-3 runs backwards"):
        parse("61 5-3 * * *")


def test_valid_expressions_have_no_finding() -> None:
    data = {"schedule": {"cron": "0 3 1-31 * MON"}, "serving": {"cron": "*/15 * * * 1-5"}}
    assert list(cron_rules(data)) == []


# --- why the grammar rejects what it rejects: croniter reads these unlike Vixie cron ------


def fire_days(expression: str, count: int = 8) -> list[int]:
    it = croniter(expression, datetime(2024, 12, 31, 12))
    return [it.get_next(datetime).day for _ in range(count)]


def test_croniter_reads_an_equal_range_as_the_whole_field() -> None:
    assert fire_days("0 0 * * 1-1") == [1, 2, 3, 4, 5, 6, 7, 8]  # Vixie cron: Mondays only


def test_croniter_wraps_a_backwards_range_around() -> None:
    assert fire_days("0 0 * * SAT-SUN", 4) == [4, 5, 11, 12]  # Saturdays and Sundays


def test_croniter_takes_either_day_field_even_when_one_starts_with_a_star() -> None:
    # Odd days or Mondays; Vixie cron (as croniter's implement_cron_bug) takes odd Mondays.
    assert fire_days("0 0 */2 * MON", 5) == [1, 3, 5, 6, 7]
    bug = croniter("0 0 */2 * MON", datetime(2024, 12, 31, 12), implement_cron_bug=True)
    assert [bug.get_next(datetime).day for _ in range(3)] == [13, 27, 3]


def test_croniter_fires_every_day_when_one_restricted_day_field_matches_all() -> None:
    assert fire_days("0 3 1-31 * MON") == [1, 2, 3, 4, 5, 6, 7, 8]
    assert parse("0 3 1-31 * MON") == parse("0 3 * * *")


def test_the_grammar_is_cached() -> None:
    assert cron.parse("0 3 * * 1") is cron.parse("0 3 * * 1")


@pytest.mark.parametrize(
    ("zone", "says"),
    [
        ("EST", "'EST' is a fixed offset all year, without daylight saving"),
        ("MST", "use the region's zone"),
        ("Etc/GMT+5", "'Etc/GMT+5' is UTC-05:00: Etc/GMT zones carry the POSIX sign"),
        ("Etc/GMT-14", "'Etc/GMT-14' is UTC+14:00"),
    ],
)
def test_zone_names_people_misread_are_a_warning(zone: str, says: str) -> None:
    """Issue 14: a team in Toronto writing EST gets no daylight saving without a word."""
    for path in (("schedule", "timezone"), ("serving", "timezone")):
        data = {path[0]: {"cron": "0 3 * * *", path[1]: zone}}
        (finding,) = [f for f in fixed_offset_zones(data) if f.path == path]
        assert finding.code == "W004" and says in finding.message


@pytest.mark.parametrize("zone", ["America/Toronto", "UTC", "Etc/UTC", "EST5EDT", "Asia/Kolkata"])
def test_region_zones_and_utc_are_fine(zone: str) -> None:
    assert list(fixed_offset_zones({"schedule": {"timezone": zone}})) == []
