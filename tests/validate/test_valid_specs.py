"""Every example spec under specs/ validates and builds a fully defaulted Spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.spec.compile import compile_spec

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted((REPO / "specs").glob("*/model.yaml"))


def test_the_example_spec_is_there() -> None:
    assert REPO / "specs" / "wine-quality" / "model.yaml" in SPECS


@pytest.mark.parametrize("spec_path", SPECS, ids=[p.parent.name for p in SPECS])
def test_example_spec_is_valid(spec_path: Path) -> None:
    result = compile_spec(spec_path)
    # The examples with a schedule in a zone with daylight saving get the W001 warning.
    assert [d.format() for d in result.diagnostics if d.severity == "error"] == []
    assert {d.code for d in result.diagnostics} <= {"W001"}
    assert result.spec is not None
    assert result.spec.origin.spec_path == f"specs/{spec_path.parent.name}/model.yaml"


def test_wine_quality_spec_values() -> None:
    spec = compile_spec(REPO / "specs" / "wine-quality" / "model.yaml").spec
    assert spec is not None
    assert spec.model.name == "main.ml.wine_quality"
    assert spec.training.pr_check is not None
    assert dict(spec.training.pr_check.parameters) == {
        "alpha": "0.5",
        "l1_ratio": "0.5",
        "sample_fraction": "0.05",
    }
    assert [s.name for s in spec.stages] == ["staging", "production"]
    production = spec.stage("production")
    assert (
        production.workspace_folder
        == "/Users/${workspace.current_user.userName}/mlopsgen/wine-quality"
    )
    assert production.approval is not None and production.approval.timeout_minutes == 1440
    assert spec.schedule is not None and spec.schedule.timezone == "Europe/Berlin"
    assert spec.serving is not None and spec.serving.smoke_test == "tests/sample_request.json"


def test_example_spec_points_editors_at_the_schema() -> None:
    first = SPECS[0].read_text(encoding="utf-8").splitlines()[0]
    for spec_path in SPECS:
        first = spec_path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        target = spec_path.parent / first.split("$schema=", 1)[1]
        assert target.resolve() == REPO / "schemas" / "model.v1.schema.json"
