"""E318: "max_workers must be strictly greater than min_workers" (Databricks Clusters API,
AutoScale): equal bounds are refused by the service, so by validate, and the fake workspace
refuses them too."""

from __future__ import annotations

import pytest
from fakes.databricks_cluster_rules import problems

from mlopsgen.spec.compute_rules import autoscale_range


@pytest.mark.parametrize(("low", "high", "refused"), [(2, 2, True), (3, 2, True), (1, 2, False)])
def test_autoscale_max_must_exceed_min(low: int, high: int, refused: bool) -> None:
    data = {"training": {"compute": {"autoscale": {"min": low, "max": high}}}}
    found = list(autoscale_range(data))
    assert bool(found) == refused
    if refused:
        (finding,) = found
        assert finding.code == "E318" and f"write workers: {low}" in finding.message
    cluster = {"autoscale": {"min_workers": low, "max_workers": high}}
    said = list(problems({"job_clusters": [{"new_cluster": cluster}]}))
    assert bool(said) == refused
