"""`mlopsgen pack-test` (issue 13): a platform team tests its pack as this repository tests
its templates: the pack's example specs (and any given) rendered with the pack, compared with
its golden trees; `--update` rewrites them on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

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
