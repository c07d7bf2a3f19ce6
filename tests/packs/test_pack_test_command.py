"""`mlopsgen pack-test` (issue 13): a platform team tests its pack as this repository tests
its templates: the pack's example specs (and any given) rendered with the pack, compared with
its golden trees; `--update` rewrites them on purpose."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from packs.support import CONTOSO, REPO, cli

IGNORED = shutil.ignore_patterns("pyproject.toml", "databricks", "azure-pipelines.yml")


def _contoso_copy(root: Path) -> Path:
    """The example pack with its example project as its own spec, specs/churn/."""
    pack = root / "contoso"
    shutil.copytree(CONTOSO, pack, ignore=shutil.ignore_patterns("example"))
    shutil.copytree(CONTOSO / "example", pack / "specs" / "churn", ignore=IGNORED)
    return pack


def test_update_then_compare_then_a_pack_change_fails_with_a_diff(tmp_path: Path) -> None:
    pack = _contoso_copy(tmp_path)
    code, out = cli("pack-test", str(pack), "--update")
    assert code == 0, out
    golden = pack / "golden" / "churn"
    assert (golden / "databricks" / "train.json").is_file()
    assert not (golden / "notebooks" / "mlopsgen_runtime").exists()  # mlopsgen's, not the pack's
    code, out = cli("pack-test", str(pack))
    assert code == 0, out
    assert "matches" in out
    patches = pack / "patches.toml"
    patches.write_text(patches.read_text("utf-8").replace('"ml-platform"', '"ml-finance"'))
    code, out = cli("pack-test", str(pack))
    assert code == 1, out
    assert '-    "contoso-budget": "ml-platform",' in out
    assert '+    "contoso-budget": "ml-finance",' in out


def test_built_in_example_specs_render_with_the_pack(tmp_path: Path) -> None:
    """mlopsgen's examples were not written for Contoso (no cost center, no cluster policy):
    with --policy-warnings its policy is reported, and the render compared all the same."""
    spec = REPO / "specs" / "wine-quality"
    args = ("pack-test", str(CONTOSO), str(spec), "--golden", str(tmp_path))
    code, out = cli(*args, "--update")
    assert code == 1, out  # Contoso's policy holds for any spec by default
    assert "error[P004]" in out
    assert not (tmp_path / "wine-quality").exists()
    code, out = cli(*args, "--update", "--policy-warnings")
    assert code == 0, out
    assert "warning[P004]" in out and "error[" not in out
    assert (tmp_path / "wine-quality" / "azure-pipelines.yml").is_file()
    code, out = cli(*args, "--policy-warnings")
    assert code == 0, out


def test_a_policy_violation_fails_the_pack_test(tmp_path: Path) -> None:
    code, out = cli(
        "pack-test", str(CONTOSO), str(REPO / "specs" / "minimal"), "--golden", str(tmp_path)
    )
    assert code == 1, out
    assert "error[P001]" in out


def test_a_folder_that_is_no_pack(tmp_path: Path) -> None:
    code, out = cli("pack-test", str(tmp_path))
    assert code == 1, out
    assert f"{tmp_path / 'mlopsgen-pack.toml'}:1:1: error[E401]" in out
    assert "Traceback" not in out


def test_no_specs_is_a_usage_error(tmp_path: Path) -> None:
    pack = shutil.copytree(CONTOSO, tmp_path / "p", ignore=shutil.ignore_patterns("example"))
    code, out = cli("pack-test", str(pack))
    assert code == 2, out
    assert "no specs" in out


def _with_block(pack: Path, template: str, block: str, body: str) -> None:
    """Replace the pack's `template` with one that fills `block` with `body`."""
    target = pack / "templates" / template
    target.write_text(
        f'{{% extends "builtin:{template}" %}}\n{{% block {block} scoped %}}\n{body}'
        "{% endblock %}\n"
    )


def test_a_step_microsofts_schema_rejects_fails_the_pack_test(tmp_path: Path) -> None:
    """Valid YAML, quoted values, but `scrip:` is no step: the schema says so, not a run."""
    pack = _contoso_copy(tmp_path)
    _with_block(pack, "pipelines/azure-pipelines.yml.j2", "deploy_steps_before", "- scrip: x\n")
    code, out = cli("pack-test", str(pack), "--update")
    assert code == 1, out
    assert (
        "azure-pipelines.yml: Microsoft's Azure Pipelines schema: "
        "$.stages[2].jobs[0].strategy.runOnce.deploy.steps[3]: "
        "Additional properties are not allowed ('scrip' was unexpected)"
    ) in out
    assert not (pack / "golden").exists()  # stopped before the golden trees


def test_a_notebook_cell_that_is_not_python_fails_the_pack_test(tmp_path: Path) -> None:
    pack = _contoso_copy(tmp_path)
    _with_block(pack, "notebooks/task.py.j2", "prelude", "# COMMAND ----------\n\nprint(1\n\n")
    code, out = cli("pack-test", str(pack), "--update")
    assert code == 1, out
    assert "notebooks/gate.py:" in out and ": not Python: " in out
    assert not (pack / "golden").exists()


def test_without_the_validators_pack_test_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "check_jsonschema", None)  # as if not installed
    code, out = cli("pack-test", str(_contoso_copy(tmp_path)))
    assert code == 2, out
    assert "check-jsonschema not installed" in out
    assert "pip install 'mlopsgen[pack-test]'" in out
