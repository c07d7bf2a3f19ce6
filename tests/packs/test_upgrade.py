"""`mlopsgen upgrade` (issue 13): bump a pack's pin in pyproject.toml (only the pin's text
changes: comments and formatting stay), re-render, and show the reviewer the files and the
job fields that change; a pin the project does not have is a usage error; a new version that
breaks the spec changes nothing."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from packs.support import cli, install, project

from mlopsgen.spec.pins import bump_pins
from mlopsgen.spec.toml_text import TomlFile, read_toml

PATCH = '[[patch]]\ntarget = "databricks/*.json"\npath = "tags.budget"\nop = "set"\nvalue = "{}"\n'


def _upgrade_site(site: Path, version: str, budget: str) -> None:
    """Replace the installed acme_pack with `version`, whose patch sets tag budget."""
    for old in [site / "acme_pack", *site.glob("acme_pack-*.dist-info")]:
        shutil.rmtree(old, ignore_errors=True)
    package = install(site, version=version)
    (package / "patches.toml").write_text(PATCH.replace("{}", budget))
    importlib.invalidate_caches()


def _pinned_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """acme-pack 1.0.0 installed in `tmp_path/site` (on sys.path) and a repository pinning it;
    returns the site and the spec."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    _upgrade_site(site, "1.0.0", "a")
    return site, project(tmp_path / "repo", "acme-pack==1.0.0")


def test_upgrade_bumps_the_pin_rerenders_and_shows_job_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, spec = _pinned_repo(tmp_path, monkeypatch)
    config = tmp_path / "repo" / "pyproject.toml"
    config.write_text("# our packs\n" + config.read_text().replace('"]\n', '"]  # bot-managed\n'))
    assert cli("render", str(spec))[0] == 0
    _upgrade_site(site, "1.1.0", "b")
    assert cli("check", str(spec))[0] == 1  # installed 1.1.0, pinned 1.0.0
    code, out = cli("upgrade", str(spec), "--pack", "acme-pack==1.1.0")
    assert code == 0, out
    assert config.read_text() == (
        '# our packs\n[tool.mlopsgen]\npacks = ["acme-pack==1.1.0"]  # bot-managed\n'
    )
    assert "  gates and approvals: unchanged\n" in out
    assert "  update  databricks/train.json\n" in out
    assert '      tags.budget: "a" -> "b"\n' in out
    assert "acme-pack==1.1.0" in out  # the pipeline installs the new pin: its diff is shown
    assert cli("check", str(spec))[0] == 0


def test_a_pin_the_project_does_not_have_is_a_usage_error(tmp_path: Path) -> None:
    spec = project(tmp_path, "./nowhere")
    code, out = cli("upgrade", str(spec), "--pack", "contoso==2.0")
    assert code == 2, out
    assert "pins no pack contoso" in out


def test_a_new_version_that_fails_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, spec = _pinned_repo(tmp_path, monkeypatch)
    config = tmp_path / "repo" / "pyproject.toml"
    before = config.read_text()
    code, out = cli("upgrade", str(spec), "--pack", "acme-pack==2.0.0")  # 1.0.0 installed
    assert code == 1, out
    assert "error[E402]" in out
    assert config.read_text() == before


def test_bump_keeps_everything_but_the_pin(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text(
        "[project]\nname = 'x'\n\n[tool.mlopsgen]\n"
        "packs = [\n  'Contoso_Pack==1.0.*',  # the org's\n  \"./local\",\n]\n"
    )
    read = read_toml(config, "E400")
    assert isinstance(read, TomlFile)
    new = bump_pins(read, ["contoso-pack==1.1.0"])
    assert new == config.read_text().replace("'Contoso_Pack==1.0.*'", "'Contoso_Pack==1.1.0'")


PIPELINE = "pipelines/azure-pipelines.yml.j2"
# A whole-file replacement (the escape hatch) whose deploy stage has no approval job.
NO_APPROVAL = "stages:\n  - stage: Deploy_prod\n    jobs: []\n"


def test_upgrade_shows_an_approval_the_new_version_drops_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, spec = _pinned_repo(tmp_path, monkeypatch)
    approval = "    approval:\n      approvers: [lead@example.com]\n"
    spec.write_text(spec.read_text("utf-8") + approval)
    assert cli("render", str(spec))[0] == 0
    _upgrade_site(site, "2.0.0", "a")
    template = site / "acme_pack" / "templates" / PIPELINE
    template.parent.mkdir(parents=True)
    template.write_text(NO_APPROVAL)
    code, out = cli("upgrade", str(spec), "--pack", "acme-pack==2.0.0")
    assert code == 0, out
    assert (
        "  gates and approvals:\n"
        "    prod: approval: approvers lead@example.com, 1440 min then reject, "
        "self-approval off -> none\n"
    ) in out
    assert out.index("gates and approvals") < out.index("update  azure-pipelines.yml")


def test_upgrade_out_compares_with_and_renders_into_the_out_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, spec = _pinned_repo(tmp_path, monkeypatch)
    out_dir = tmp_path / "generated"
    assert cli("render", str(spec), "--out", str(out_dir))[0] == 0
    _upgrade_site(site, "1.1.0", "b")
    code, out = cli("upgrade", str(spec), "--pack", "acme-pack==1.1.0", "--out", str(out_dir))
    assert code == 0, out
    assert '      tags.budget: "a" -> "b"\n' in out  # compared with the files under --out
    assert '"budget": "b"' in (out_dir / "minimal" / "databricks" / "train.json").read_text()
    assert not (spec.parent / "azure-pipelines.yml").exists()  # nothing beside the spec
    assert cli("check", str(spec), "--out", str(out_dir))[0] == 0
