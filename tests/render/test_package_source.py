"""Issue 10: the pipeline installs mlopsgen only from the spec's package source, pinned to the
version that generated the files, and never by name from the public index (dependency
confusion: mlopsgen is not published there)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from render.examples import EXAMPLES, example_spec, example_tree, job_steps

from mlopsgen import __version__
from mlopsgen.spec import pipeline_rules

_PIP_INSTALL = re.compile(r"pip install [^\n]*")


def _steps(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
    return [step for stage in data["stages"] for job in stage["jobs"] for step in job_steps(job)]


def _installs(name: str) -> list[dict[str, Any]]:
    return [s for s in _steps(name) if str(s.get("displayName", "")).startswith("Install mlopsgen")]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_install_names_its_source_and_the_version(name: str) -> None:
    package = example_spec(name).pipeline.package
    installs = _installs(name)
    assert installs  # one per agent job
    # no other step installs mlopsgen (by name or from a path)
    others = [s for s in _steps(name) if s not in installs]
    for step in others:
        for line in _PIP_INSTALL.findall(str(step.get("script", ""))):
            assert "mlopsgen" not in line and "MLOPSGEN_WHEEL" not in line, line
    for step in installs:
        script = step["script"]
        if package.wheels is not None:
            # the wheel's file name carries the version; no requirement by name at all
            assert step["env"]["MLOPSGEN_WHEEL"].endswith(
                f"mlopsgen-{__version__}-py3-none-any.whl"
            )
            assert '"./$MLOPSGEN_WHEEL[databricks]"' in script
        else:
            assert f'"mlopsgen[databricks]=={__version__}"' in script
            assert "--index-url" in script


def test_feed_install_follows_pip_authenticate_and_refuses_a_missing_index() -> None:
    steps = _steps("wine-quality")
    for i, step in enumerate(steps):
        if str(step.get("displayName", "")).startswith("Install mlopsgen"):
            auth = steps[i - 1]
            assert auth["task"] == "PipAuthenticate@1"
            assert auth["inputs"] == {"artifactFeeds": "mlops/mlopsgen", "onlyAddExtraIndex": False}
            assert 'if [ -z "${PIP_INDEX_URL:-}" ]' in step["script"]
            assert "unset PIP_EXTRA_INDEX_URL" in step["script"]


def test_index_url_travels_through_env() -> None:
    for step in _installs("credit-risk"):
        assert step["env"] == {"MLOPSGEN_INDEX_URL": "https://pkgs.example.com/simple/"}
        assert "pkgs.example.com" not in step["script"]


def _findings(package: dict[str, Any]) -> list[tuple[str, str]]:
    data = {"pipeline": {"package": package}}
    return [(f.code, f.message) for rule in pipeline_rules.RULES for f in rule(data)]


@pytest.mark.parametrize(
    "package",
    [
        {"feed": "mlopsgen"},
        {"feed": "My Project/ml-feed.v2"},
        {"wheels": "."},
        {"wheels": "tools/wheels/"},
        {"index_url": "https://pkgs.dev.azure.com/org/_packaging/feed/pypi/simple/"},
    ],
)
def test_valid_sources(package: dict[str, Any]) -> None:
    assert _findings(package) == []


@pytest.mark.parametrize(
    ("package", "code"),
    [
        ({}, "E340"),
        ({"feed": "a", "wheels": "w"}, "E340"),
        ({"feed": "_feed"}, "E341"),
        ({"feed": "org/project/feed"}, "E341"),
        ({"feed": "feed$[x]"}, "E341"),
        ({"wheels": "/opt/wheels"}, "E342"),
        ({"wheels": "a/../../b"}, "E342"),
        ({"wheels": "C:\\wheels"}, "E342"),
        ({"wheels": "$(Agent.TempDirectory)"}, "E342"),
        ({"index_url": "http://pkgs.example.com/simple/"}, "E343"),
        ({"index_url": "https://files.pythonhosted.org/simple/"}, "E343"),
        ({"index_url": "https://${{ variables.index }}/simple/"}, "E343"),
    ],
)
def test_invalid_sources(package: dict[str, Any], code: str) -> None:
    assert [c for c, _ in _findings(package)] == [code]


def test_credentials_in_an_index_url_are_not_echoed() -> None:
    [(code, message)] = _findings({"index_url": "https://me:s3cret@pkgs.example.com/simple/"})
    assert code == "E343"
    assert "s3cret" not in message


def test_agent_jobs_run_on_the_spec_pool() -> None:
    """pipeline.pool: a self-hosted pool by name (credit-risk), else ubuntu-latest."""
    for name, pool in (
        ("credit-risk", {"name": "risk-ml-agents"}),
        ("wine-quality", {"vmImage": "ubuntu-latest"}),
    ):
        data = yaml.safe_load(example_tree(name)["azure-pipelines.yml"])
        pools = [j["pool"] for s in data["stages"] for j in s["jobs"]]
        assert [p for p in pools if p != "server"] and all(p in ("server", pool) for p in pools), (
            pools
        )


def test_validate_installs_the_test_requirements_and_runs_the_test_path() -> None:
    """pipeline.tests defaults: <spec folder>/requirements.txt when present, pytest on '.'."""
    data = yaml.safe_load(example_tree("wine-quality")["azure-pipelines.yml"])
    steps = data["stages"][0]["jobs"][0]["steps"]
    (run,) = (s for s in steps if s.get("displayName") == "Run the repository's tests")
    assert run["env"] == {
        "MLOPSGEN_TEST_PATH": ".",
        "MLOPSGEN_TEST_REQUIREMENTS": "specs/wine-quality/requirements.txt",
    }
    assert 'if [ -f "$MLOPSGEN_TEST_REQUIREMENTS" ]' in run["script"]
    assert 'python -m pytest "$MLOPSGEN_TEST_PATH"' in run["script"]
