"""A pack's patches (issue 13) reach the workspace: deploy sends the patched job settings,
the fake workspace keeps them, and the next plan finds nothing to change (the patched
fields are fields deploy compares, so they round-trip)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_runner import Result
from fakes.databricks_server import FakeDatabricks
from packs.support import pack

Cli = Callable[..., Result]
DEPLOY_JOB = "wine-quality-deploy-staging"
PATCHES = """
[[patch]]
target = "databricks/*.json"
path = "tags.cost-center"
op = "set"
value = "CC-1234"

[[patch]]
target = "databricks/deploy-*.json"
path = "email_notifications.on_failure"
op = "append"
value = ["oncall@example.com"]
"""


def test_patched_fields_are_deployed_and_round_trip(
    fake: FakeDatabricks, cli: Cli, spec: Path
) -> None:
    root = spec.parent.parent
    (root / ".git").mkdir()
    folder = pack(root, "acme")
    (folder / "patches.toml").write_text(PATCHES)
    (root / "pyproject.toml").write_text('[tool.mlopsgen]\npacks = ["./acme"]\n')
    result = cli("deploy", spec, "--stage", "staging")
    assert result.exit_code == 0, result.output
    (job,) = fake.job_by_name(DEPLOY_JOB)
    assert job["settings"]["tags"]["cost-center"] == "CC-1234"
    assert "oncall@example.com" in job["settings"]["email_notifications"]["on_failure"]
    fake.clear_requests()
    again = cli("plan", spec, "--stage", "staging")
    assert again.exit_code == 0, again.output
    job["settings"]["tags"]["cost-center"] = "CC-9"  # edited by hand: deploy undoes it
    changed = cli("plan", spec, "--stage", "staging")
    assert changed.exit_code == 2, changed.output
    assert "CC-9" in changed.output and "CC-1234" in changed.output
