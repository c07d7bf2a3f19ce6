"""The pipeline's `schedules:` (issue 10, item 9): scheduled retraining runs the whole pipeline.

A retrained version then goes through Validate, the gates, the approvals and every deploy stage
like any other, instead of a Databricks job registering versions nobody deploys. The UTC lines
and the words about daylight saving come from `mlopsgen.spec.utc_schedule`, the computation
`validate` reports from (E352, W001), so the comment and the warning say the same.

Each entry: `cron` (UTC), `displayName`, `branches: include: [<release branch>]` (the branch
the CI trigger builds and the only one that deploys) and `always: "true"`: without it a
scheduled run is skipped when the source has not changed since the last successful scheduled
run (Microsoft Learn, "Configure schedules for
pipelines", "Running even when there are no code changes"), and retraining on new data must run
whatever the code did. Booleans are quoted like the rest of the template: Microsoft's pipeline
schema types them as strings.
"""

from __future__ import annotations

from typing import NamedTuple

from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Spec
from mlopsgen.spec import utc_schedule


# A named tuple: a frozen dataclass costs ~0.4 ms to create at import (issue 15).
class PipelineSchedule(NamedTuple):
    comment: tuple[str, ...]  # comment lines above `schedules:`, without '# '
    lines: tuple[str, ...]  # UTC cron expressions (empty: paused, no `schedules:`)
    display_name: str
    branch: str  # pipeline.release_branch


def pipeline_schedule(spec: Spec) -> PipelineSchedule | None:
    """The pipeline's schedule, or None when the spec has none."""
    schedule = spec.schedule
    if schedule is None:
        return None
    try:
        converted = utc_schedule.convert(schedule.cron, schedule.timezone)
    except utc_schedule.DayShiftError as exc:  # validate reports it (E352): not reached
        raise MlopsgenError(f"schedule: {exc}") from exc
    display = f"Scheduled retraining ({schedule.cron} {schedule.timezone})"
    branch = spec.pipeline.release_branch
    if schedule.paused:
        paused = (
            f"The spec's schedule '{schedule.cron}' ({schedule.timezone}) is paused "
            "(schedule.paused): no scheduled runs."
        )
        import textwrap  # a paused schedule's comment alone: not on every render (issue 15)

        return PipelineSchedule(tuple(textwrap.wrap(paused, 92)), (), display, branch)
    comment = utc_schedule.comment_lines(converted)
    return PipelineSchedule(comment, converted.lines, display, branch)
