"""5-field cron -> Databricks' Quartz cron (seconds first, weekdays 1=SUN..7=SAT, `?`).

`mlopsgen.spec.cron` parses the expression (the one grammar; validation reports what it
rejects) into the values each field matches; each field is written as the canonical comma
list of those values (`*` when it matches all), so the Quartz expression fires at exactly the
same minutes as the input. Quartz wants `?` in one of the two day fields: the parsed `Cron`
has at most one restricting day field, and Quartz numbers weekdays from 1 (cron: 0 = Sunday).
"""

from __future__ import annotations

from mlopsgen.spec import cron


def to_quartz(expression: str) -> str:
    """The 6-field Quartz expression firing at the same minutes as `expression`.

    Raises `cron.CronError` for an expression that `mlopsgen validate` rejects.
    """
    fires = cron.parse(expression)
    if fires.days_of_week is None:
        day_of_month, day_of_week = _listed(fires.days_of_month), "?"
    else:
        day_of_month, day_of_week = "?", _listed(frozenset(d + 1 for d in fires.days_of_week))
    minute, hour, month = _listed(fires.minutes), _listed(fires.hours), _listed(fires.months)
    return " ".join(["0", minute, hour, day_of_month, month, day_of_week])


def _listed(values: cron.Values) -> str:
    return "*" if values is None else ",".join(str(v) for v in sorted(values))
