"""The reviewer's summary of each stage's controls (`mlopsgen/review.py`), read back from the
golden files: the inline approval, an environment, threshold and champion gates; and a
change of any of them as one line."""

from __future__ import annotations

from pathlib import Path

from mlopsgen import review

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def _text(spec: str, path: str) -> str:
    return (GOLDEN / spec / path).read_text("utf-8")


def test_approvals_are_read_from_the_pipeline() -> None:
    wine = review.approvals(
        _text("wine-quality", "azure-pipelines.yml"),
        {"staging": "Deploy_staging", "production": "Deploy_production"},
    )
    assert wine == {
        "staging": "none",
        "production": "approvers ml-leads@wine.example, 1440 min then reject, self-approval off",
    }
    churn = review.approvals(
        _text("churn-batch", "azure-pipelines.yml"), {"dev": "Deploy_dev", "prod": "Deploy_prod"}
    )
    assert churn == {
        "dev": "none",
        "prod": "environment churn-batch-prod (its checks are set in Azure DevOps)",
    }


def test_gates_are_read_from_the_deploy_job() -> None:
    assert review.gates(_text("wine-quality", "databricks/deploy-production.json")) == (
        "rmse <= 0.75; rmse vs champion (lower is better, tolerance 0.0)"
    )
    assert review.gates(_text("churn-batch", "databricks/deploy-dev.json")) == (
        "f1 >= 0.6 and f1 <= 0.99"
    )
    assert review.gates(None) == "none"  # a stage the old render did not have


def test_only_what_changed_is_listed_in_stage_order() -> None:
    before = {"a": {"approval": "x", "gates": "g"}, "b": {"approval": "none", "gates": "g"}}
    after = {"a": {"approval": "x", "gates": "g2"}, "b": {"approval": "y", "gates": "g"}}
    assert review.changes(before, after) == ["a: gates: g -> g2", "b: approval: none -> y"]
    assert review.changes(after, after) == []
