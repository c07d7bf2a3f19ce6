"""Rules for the spec's `schedule:`, which the pipeline runs in UTC (issue 10, item 9).

The conversion is `mlopsgen.spec.utc_schedule`, computed once and shared with the renderer:
what validate reports here is exactly what the generated pipeline does.

- E352: times that change day in UTC while day-of-month or month is restricted;
- E353: more runs a week than Azure Pipelines schedules (about 1000 per pipeline);
- W001 (warning): the zone changes offset during the year, so the fixed UTC schedule starts
  earlier or later in local time for part of it (named, with the months).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from mlopsgen.spec import cron, schema, utc_schedule
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import as_map, text

_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
_NOT_JAVA_ZONES = {"Factory", "localtime", "posixrules"}


@lru_cache(maxsize=256)
def known_zone(zone: str) -> bool:
    """An IANA zone name that zoneinfo (and Java, for Databricks schedules) knows."""
    # The longest IANA name has 32 characters (America/Argentina/ComodRivadavia); a longer one
    # would only reach the file system as "File name too long" (issue 11).
    if len(zone) > 64 or not _TIMEZONE.fullmatch(zone) or zone in _NOT_JAVA_ZONES:
        return False
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: `Europe` is a folder
        return False
    return True


def pipeline_schedule(data: dict[str, Any]) -> Iterator[Finding]:
    schedule = as_map(data.get("schedule"))
    expression = text(schedule.get("cron"))
    zone = schedule.get("timezone", schema.schema_defaults()["schedule"]["timezone"])
    if expression is None or not isinstance(zone, str) or not known_zone(zone):
        return  # no schedule, or the schema and timezone rules report it
    try:
        cron.parse(expression)
    except cron.CronError:
        return  # cron_rules reports it
    runs = utc_schedule.runs_per_week(expression)
    if runs > utc_schedule.MAX_RUNS_PER_WEEK:
        msg = (
            f"'{expression}' starts the whole pipeline up to {runs} times a week; Azure "
            f"Pipelines runs about {utc_schedule.MAX_RUNS_PER_WEEK} scheduled runs per "
            "pipeline per week at most (and each run trains and deploys): schedule fewer runs"
        )
        yield Finding(("schedule", "cron"), "E353", msg)
        return
    try:
        converted = utc_schedule.convert(expression, zone)
    except utc_schedule.DayShiftError as exc:
        yield Finding(("schedule", "cron"), "E352", str(exc))
        return
    if converted.drifts:
        lines = " and ".join(f'"{line}"' for line in converted.lines)
        msg = (
            f"Azure Pipelines schedules are UTC only: the pipeline runs {lines} (UTC), "
            f"{utc_schedule.offset_text(converted.offset)} being {zone}'s offset for most of "
            f"the year; {utc_schedule.drift_text(converted)}. Write the schedule in UTC "
            "(timezone: UTC) to make that explicit"
        )
        yield Finding(("schedule", "timezone"), "W001", msg)


# Legacy zone names that read like a region's time but are one fixed offset all year (tzdata
# "backward"/"northamerica": EST is UTC-05:00 without daylight saving, unlike
# America/Toronto), and the POSIX-style Etc/GMT±N zones, whose sign is the reverse of ISO's
# (Etc/GMT+5 is UTC-05:00).
_FIXED_ABBREVIATIONS = frozenset({"EST", "MST", "HST"})
_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")


def fixed_offset_zones(data: dict[str, Any]) -> Iterator[Finding]:
    """W004: a time zone name that people misread: never daylight saving, or a reversed sign."""
    for path in (("schedule", "timezone"), ("serving", "timezone")):
        zone = text(as_map(data.get(path[0])).get(path[1]))
        if zone is None:
            continue
        if zone in _FIXED_ABBREVIATIONS:
            msg = (
                f"'{zone}' is a fixed offset all year, without daylight saving (not the time "
                "of any region in summer); use the region's zone, e.g. America/Toronto or "
                "America/New_York for Eastern time, or UTC to mean a fixed time"
            )
            yield Finding(path, "W004", msg)
        elif (offset := _ETC_OFFSET.fullmatch(zone)) is not None:
            sign = "-" if offset.group(1) == "+" else "+"
            msg = (
                f"'{zone}' is UTC{sign}{int(offset.group(2)):02d}:00: Etc/GMT zones carry the "
                "POSIX sign, the reverse of ISO's; prefer a region's zone name or UTC"
            )
            yield Finding(path, "W004", msg)
