"""`mlopsgen render` and `mlopsgen check` end to end through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_runner import invoke
from render.examples import SPECS, example_tree


def cli(*args: str) -> tuple[int, str]:
    result = invoke(*args)
    return result.exit_code, result.output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with two example specs, as a team would have it."""
    (tmp_path / ".git").mkdir()
    for name in ("wine-quality", "minimal"):
        shutil.copytree(SPECS / name, tmp_path / "specs" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_render_writes_the_golden_tree_and_prints_the_plan(repo: Path) -> None:
    code, out = cli("render", "specs/wine-quality/model.yaml")
    assert code == 0, out
    assert "create     specs/wine-quality/azure-pipelines.yml" in out
    for path, text in example_tree("wine-quality").items():
        assert (repo / "specs/wine-quality" / path).read_text("utf-8") == text
    code, out = cli("render", "specs/wine-quality/model.yaml")
    assert code == 0 and "unchanged  specs/wine-quality/notebooks/gate.py" in out
    assert "create" not in out.split("\n")[0]


def test_check_passes_after_render_and_never_writes(repo: Path) -> None:
    assert cli("render", "specs/wine-quality/model.yaml", "specs/minimal/model.yaml")[0] == 0
    before = snapshot(repo)
    code, out = cli("check", "specs/wine-quality/model.yaml", "specs/minimal/model.yaml")
    assert code == 0, out
    (repo / "specs/minimal/notebooks/gate.py").write_text("edited\n")
    (repo / "specs/wine-quality/databricks/train.json").unlink()
    before = snapshot(repo)
    code, out = cli("check", "specs/wine-quality/model.yaml", "specs/minimal/model.yaml")
    assert code == 1
    assert snapshot(repo) == before
    assert "stale: specs/minimal/notebooks/gate.py\n" in out
    assert "--- specs/minimal/notebooks/gate.py (on disk)\n" in out
    assert "+++ specs/minimal/notebooks/gate.py (generated)\n" in out
    assert "-edited\n" in out and "+# Databricks notebook source\n" in out
    assert "missing: specs/wine-quality/databricks/train.json\n" in out


def test_check_reports_files_no_longer_generated(repo: Path) -> None:
    spec = repo / "specs/wine-quality/model.yaml"
    assert cli("render", str(spec))[0] == 0
    text = spec.read_text()
    spec.write_text(text.replace('  pr_check:\n    parameters: {sample_fraction: "0.05"}\n', ""))
    code, out = cli("check", str(spec))
    assert code == 1
    assert f"extra: {repo.as_posix()}/specs/wine-quality/databricks/pr-check.json" in out
    code, out = cli("render", str(spec))
    assert code == 0 and "delete" in out
    assert not (repo / "specs/wine-quality/databricks/pr-check.json").exists()
    assert cli("check", str(spec))[0] == 0


def test_invalid_spec_prints_diagnostics_and_exits_1(repo: Path) -> None:
    spec = repo / "specs/minimal/model.yaml"
    spec.write_text(spec.read_text().replace("name: minimal", "name: Not_Valid"))
    for command in ("check", "render"):
        before = snapshot(repo)
        code, out = cli(command, "specs/minimal/model.yaml")
        assert code == 1
        assert "specs/minimal/model.yaml:" in out and "error[" in out
        assert snapshot(repo) == before


def test_render_refuses_hand_edited_files_unless_forced(repo: Path) -> None:
    assert cli("render", "specs/minimal/model.yaml")[0] == 0
    gate = repo / "specs/minimal/notebooks/gate.py"
    gate.write_text(gate.read_text() + "# my tweak\n")
    spec = repo / "specs/minimal/model.yaml"
    spec.write_text(spec.read_text().replace("default.minimal", "default.minimal2"))
    # check says what will really work: render would refuse, --force will not
    code, out = cli("check", "specs/minimal/model.yaml")
    assert code == 1
    assert "render would refuse:" in out and "run: mlopsgen render" not in out
    assert "--force overwrites the files edited by hand" in out
    code, out = cli("render", "specs/minimal/model.yaml")
    assert code == 1
    assert "error: specs/minimal/notebooks/gate.py: edited by hand" in out
    # refused before a plan it will not carry out is printed (issue 14)
    assert not [line for line in out.splitlines() if line.startswith(("update", "create"))]
    assert "nothing written: --force overwrites the files edited by hand" in out
    assert "# my tweak" in gate.read_text()
    assert cli("render", "--force", "specs/minimal/model.yaml")[0] == 0
    assert "# my tweak" not in gate.read_text()


def test_a_file_mlopsgen_did_not_write_is_never_overwritten_and_force_is_not_suggested(
    repo: Path,
) -> None:
    stranger = repo / "specs/minimal/notebooks/gate.py"
    stranger.parent.mkdir(parents=True, exist_ok=True)
    stranger.write_text("# a notebook of the team's own\n")
    for args in (("render",), ("render", "--force")):
        code, out = cli(*args, "specs/minimal/model.yaml")
        assert code == 1
        assert "gate.py: exists but was not generated by mlopsgen" in out
        assert "move away the files mlopsgen did not generate" in out
        assert "--force overwrites" not in out
    assert stranger.read_text() == "# a notebook of the team's own\n"


def test_render_out_uses_one_folder_per_spec_and_check_out_compares_it(repo: Path) -> None:
    """Issue 14: one rule for --out, whatever the number of specs: <out>/<name>/; check --out
    verifies what render --out wrote."""
    specs = ("specs/wine-quality/model.yaml", "specs/minimal/model.yaml")
    code, out = cli("render", "--out", "build", *specs)
    assert code == 0, out
    assert (repo / "build/wine-quality/azure-pipelines.yml").is_file()
    assert (repo / "build/minimal/.mlopsgen/manifest.json").is_file()
    assert not (repo / "specs/minimal/azure-pipelines.yml").exists()
    code, _ = cli("render", "--out", "single", "specs/minimal/model.yaml")
    assert code == 0 and (repo / "single/minimal/azure-pipelines.yml").is_file()
    assert cli("check", "--out", "build", *specs)[0] == 0
    assert cli("check", "--out", "single", "specs/minimal/model.yaml")[0] == 0
    (repo / "build/minimal/azure-pipelines.yml").write_text("stale\n")
    code, out = cli("check", "--out", "build", *specs)
    assert code == 1 and "build/minimal/azure-pipelines.yml" in out
    assert cli("check", "specs/minimal/model.yaml")[0] == 1  # nothing next to the spec


@pytest.mark.usefixtures("repo")  # for its chdir into a repository with the example specs
def test_missing_spec_is_a_usage_error() -> None:
    for command in ("render", "check"):
        code, out = cli(command, "nope/model.yaml")
        assert code == 2 and "no such spec file" in out


@pytest.mark.parametrize("force", [False, True])
def test_a_tampered_manifest_cannot_make_render_delete_the_spec(repo: Path, force: bool) -> None:
    """Issue 11: the spec's own hash (or a wrong hash for the training notebook with --force)
    planted in the manifest must not make render delete either file."""
    import hashlib
    import json

    folder = repo / "specs/wine-quality"
    assert cli("render", "specs/wine-quality/model.yaml")[0] == 0
    manifest = folder / ".mlopsgen/manifest.json"
    body = json.loads(manifest.read_text())
    spec_bytes = (folder / "model.yaml").read_bytes()
    body["files"]["model.yaml"] = hashlib.sha256(spec_bytes).hexdigest()
    body["files"]["notebooks/train.py"] = "0" * 64
    manifest.write_text(json.dumps(body))
    args = ["render", "specs/wine-quality/model.yaml", *(["--force"] if force else [])]
    code, out = cli(*args)
    assert code == 0, out
    assert (folder / "model.yaml").read_bytes() == spec_bytes
    assert (folder / "notebooks/train.py").is_file()
    assert not any(line.startswith("delete") for line in out.splitlines())


def test_quiet_prints_problems_only(repo: Path) -> None:
    """Issue 14: -q for scripts: nothing when all is well, the problem when not."""
    spec = "specs/minimal/model.yaml"
    assert cli("render", "-q", spec) == (0, "")
    assert cli("check", "-q", spec) == (0, "")
    assert cli("validate", "-q", spec) == (0, "")
    (repo / "specs/minimal/notebooks/gate.py").unlink()  # missing: render brings it back
    code, out = cli("check", "-q", spec)
    assert code == 1
    assert out == f"{spec}: 1 generated file(s) out of date; run: mlopsgen render {spec}\n"
