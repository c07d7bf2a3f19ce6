"""The fields deploy compares are exactly the fields render declares and writes.

A field written into a job body but missing from the comparison's list would never be reset
when the renderer stops writing it; one list (`render.job_fields`) serves both sides, and
these tests prove the rendered bodies stay inside it and the comparison uses it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from render.examples import EXAMPLES, example_spec

from mlopsgen.databricks.compare import SERVICE_FILLED, settings_match
from mlopsgen.render import render_spec
from mlopsgen.render.artifacts import JobFile
from mlopsgen.render.job_fields import CHILD_KIND, MANAGED, owned


def _jobs() -> Iterator[JobFile]:
    for name in EXAMPLES:
        yield from render_spec(example_spec(name)).jobs


def _objects(value: Any, kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every object of a declared kind inside a job body, with its kind."""
    if isinstance(value, list):
        for item in value:
            yield from _objects(item, kind)
        return
    if not isinstance(value, Mapping) or kind not in MANAGED:
        return
    yield kind, value
    for key, child in value.items():
        child_kind = CHILD_KIND.get((kind, key))
        if child_kind is not None:
            yield from _objects(child, child_kind)


def test_every_rendered_field_is_declared() -> None:
    seen: dict[str, set[str]] = {}
    for job in _jobs():
        for kind, obj in _objects(job.settings, "job"):
            assert obj.keys() <= MANAGED[kind], (job.path, kind, obj.keys() - MANAGED[kind])
            seen.setdefault(kind, set()).update(obj.keys())
    # The walk really covers the bodies (it would pass vacuously on an empty walk).
    assert {"job", "task", "notebook_task", "new_cluster", "queue", "schedule"} <= seen.keys()
    assert "queue" in seen["job"]


def test_an_undeclared_field_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="not declared"):
        owned("job", {"name": "x", "health": {}})


# A rendered value that equals what the service reports for an unset field is no leftover.
_NOT_THE_SERVICE_DEFAULT = {"max_concurrent_runs": 2}


@pytest.mark.parametrize("field", sorted(MANAGED["job"] - {f for k, f in SERVICE_FILLED}))
def test_a_field_render_stops_writing_is_reset_by_deploy(field: str) -> None:
    """The bug this guards against: `queue` was written but not compared, so a leftover
    value in the workspace would have counted as `unchanged` once render dropped it."""
    job = next(j for j in _jobs() if field in j.settings)
    current = copy.deepcopy(dict(job.settings))
    current[field] = _NOT_THE_SERVICE_DEFAULT.get(field, current[field])
    desired = {k: v for k, v in job.settings.items() if k != field}
    assert settings_match(current, current)
    assert not settings_match(desired, current)


@pytest.mark.parametrize(("kind", "field"), sorted(SERVICE_FILLED))
def test_a_field_the_service_fills_in_is_compared_only_when_set(kind: str, field: str) -> None:
    """run_as: the service sets the creator when the spec sets none, and keeps a run_as once
    set (databricks/cli#4873), so an unset run_as accepts any value, and a set one must match."""
    assert kind == "job"
    job = next(j for j in _jobs() if field in j.settings)
    desired = {k: v for k, v in job.settings.items() if k != field}
    creator = copy.deepcopy(dict(job.settings)) | {field: {"user_name": "someone@example.com"}}
    assert settings_match(desired, creator)
    assert not settings_match(job.settings, creator)
    assert settings_match(job.settings, copy.deepcopy(dict(job.settings)))


def test_the_file_and_the_deployed_body_are_the_same_data() -> None:
    for job in _jobs():
        assert json.loads(job.text) == job.settings
        assert job.timeout_seconds == job.settings["timeout_seconds"]
