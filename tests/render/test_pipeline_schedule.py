"""Scheduled retraining runs the whole pipeline (issue 10, item 9): `schedules:` in UTC.

Microsoft Learn, "Configure schedules for pipelines" and the YAML schema's `schedules.cron`:
`cron` (UTC), `displayName`, `branches.include`, `always` (default false: "only if there have
been source code changes since the last successful scheduled run"). Booleans are strings in
Microsoft's pipeline schema, so the template writes `always: "true"` like `batch: "true"`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from render.azure_schema import check_pipelines
from render.examples import SPECS, example_spec, example_tree, origin_of

from mlopsgen.render import render_spec
from mlopsgen.spec import utc_schedule
from mlopsgen.spec.compile import compile_text, folder_reader


def _pipeline_text(cron: str, zone: str) -> str:
    """The wine-quality pipeline with another schedule."""
    path = SPECS / "wine-quality" / "model.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('cron: "0 3 * * 1"', f'cron: "{cron}"')
    text = text.replace("timezone: Europe/Berlin", f"timezone: {zone}")
    result = compile_text(
        text, path, read_file=folder_reader(path.parent), origin=origin_of("wine-quality")
    )
    assert result.spec is not None, [d.format() for d in result.diagnostics]
    return render_spec(result.spec).pipeline.text


def _comment_above_schedules(text: str) -> str:
    lines = text.splitlines()
    end = lines.index("schedules:")
    start = end
    while lines[start - 1].startswith("# "):
        start -= 1
    return " ".join(line[2:] for line in lines[start:end])


def test_the_example_runs_the_whole_pipeline_weekly_in_utc() -> None:
    text = example_tree("wine-quality")["azure-pipelines.yml"]
    pipeline: dict[str, Any] = yaml.safe_load(text)
    assert pipeline["schedules"] == [
        {
            "cron": "0 1 * * 1",  # Monday 03:00 Europe/Berlin at UTC+02:00
            "displayName": "Scheduled retraining (0 3 * * 1 Europe/Berlin)",
            "branches": {"include": ["main"]},
            "always": "true",
        }
    ]
    assert '    always: "true"\n' in text and '  batch: "true"\n' in text  # strings, quoted alike
    # the trigger builds main too: a scheduled run trains, gates and deploys what main holds
    assert pipeline["trigger"]["branches"]["include"] == ["main"]


def test_the_comment_says_what_the_validate_warning_says() -> None:
    spec = example_spec("wine-quality")
    assert spec.schedule is not None
    converted = utc_schedule.convert(spec.schedule.cron, spec.schedule.timezone)
    comment = _comment_above_schedules(example_tree("wine-quality")["azure-pipelines.yml"])
    assert "'0 3 * * 1' in Europe/Berlin" in comment
    assert utc_schedule.drift_text(converted) in comment
    assert "in Jan, Feb, Nov and Dec and part of Mar and Oct" in comment
    assert "1 hour earlier in local time" in comment


def test_the_training_job_is_not_scheduled_on_databricks() -> None:
    for name in ("wine-quality", "churn-batch", "credit-risk"):
        assert '"schedule"' not in example_tree(name)["databricks/train.json"]
    # the batch scoring job keeps its own schedule: it scores, it does not retrain
    assert '"schedule"' in example_tree("churn-batch")["databricks/batch-prod.json"]


def test_no_schedule_no_schedules() -> None:
    assert "schedules" not in yaml.safe_load(example_tree("minimal")["azure-pipelines.yml"])


def test_a_paused_schedule_has_no_scheduled_runs() -> None:
    text = example_tree("credit-risk")["azure-pipelines.yml"]
    assert "schedules" not in yaml.safe_load(text)
    assert "is paused (schedule.paused): no" in text and "# scheduled runs." in text


def test_times_on_both_sides_of_midnight_become_two_entries(tmp_path: Path) -> None:
    text = _pipeline_text("0 */6 * * 1", "Europe/Berlin")
    entries = yaml.safe_load(text)["schedules"]
    assert [(e["cron"], e["displayName"]) for e in entries] == [
        ("0 22 * * 0", "Scheduled retraining (0 */6 * * 1 Europe/Berlin) (1 of 2)"),
        ("0 4,10,16 * * 1", "Scheduled retraining (0 */6 * * 1 Europe/Berlin) (2 of 2)"),
    ]
    assert all(e["always"] == "true" and e["branches"] == {"include": ["main"]} for e in entries)
    target = tmp_path / "azure-pipelines.yml"
    target.write_text(text, encoding="utf-8")
    done = check_pipelines([str(target)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_zone_without_daylight_saving_says_so_plainly() -> None:
    text = _pipeline_text("0 3 * * 1", "Asia/Kolkata")
    assert yaml.safe_load(text)["schedules"][0]["cron"] == "30 21 * * 0"
    comment = _comment_above_schedules(text)
    assert comment.endswith("for UTC+05:30.")
    assert "earlier" not in comment and "later" not in comment
