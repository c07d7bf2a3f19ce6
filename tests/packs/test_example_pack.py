"""The example pack (examples/packs/contoso) end to end: render, check, policy diagnostics in
validate and check, the manifest's record, and byte-identical renders across hash seeds and
time zones (issue 13)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packs.support import CONTOSO, REPO, cli, cli_stdout, project

from mlopsgen.render import environment


def _contoso_repo(root: Path) -> Path:
    """The pack's example project in a repository of its own, naming the pack by folder."""
    spec = project(root, str(CONTOSO), spec=CONTOSO / "example")
    return spec


def test_the_example_pack_renders_checks_and_is_recorded(tmp_path: Path) -> None:
    spec = _contoso_repo(tmp_path)
    code, out = cli("render", str(spec))
    assert code == 0, out
    pipeline = (spec.parent / "azure-pipelines.yml").read_text("utf-8")
    assert "  - group: contoso-ml-platform\n" in pipeline  # block pipeline_variables
    scan = (
        "                - script: contoso-scan --stage prod\n"
        '                  displayName: "Contoso security scan before deploying to prod"\n'
        "                - script: |\n"
        '                    mlopsgen deploy "$MLOPSGEN_SPEC" --stage "$MLOPSGEN_STAGE"\n'
    )
    assert scan in pipeline  # block deploy_steps_before, inside the deployment job
    assert '          name: "contoso-linux"\n' in pipeline  # the pack's default pool
    gate = (spec.parent / "notebooks" / "gate.py").read_text("utf-8")
    prelude = (
        "# Outside Databricks: python gate.py --help\n\n# COMMAND ----------\n\n"
        'print("Contoso ML platform: task", \'gate\', "- support: #ml-platform")\n\n'
        "# COMMAND ----------\n\nimport mlopsgen_runtime\n"
    )
    assert prelude in gate  # block prelude of notebooks/task.py.j2
    compile(gate, "gate.py", "exec")
    manifest = json.loads((spec.parent / ".mlopsgen/manifest.json").read_text("utf-8"))
    assert manifest["packs"] == {"contoso": "1.0.0"}
    assert len(manifest["templates"]) == 64
    code, out = cli("check", str(spec))
    assert code == 0, out


def test_check_explains_in_one_line_that_the_packs_changed(tmp_path: Path) -> None:
    pack_copy = tmp_path / "packs" / "contoso"
    shutil.copytree(CONTOSO, pack_copy, ignore=shutil.ignore_patterns("example"))
    spec = project(tmp_path / "repo", str(pack_copy), spec=CONTOSO / "example")
    assert cli("render", str(spec))[0] == 0
    toml = pack_copy / "mlopsgen-pack.toml"
    toml.write_text(toml.read_text("utf-8").replace('"1.0.0"', '"1.1.0"'))
    code, out = cli("check", str(spec))
    assert code == 1
    explained = [line for line in out.splitlines() if "template packs differ" in line]
    assert explained == [
        f"{spec}: template packs differ from the last render: recorded contoso 1.0.0, "
        f"installed contoso 1.1.0; run: mlopsgen render {spec}"
    ]


def test_policy_violations_point_at_the_spec_in_validate_and_check(tmp_path: Path) -> None:
    spec = project(tmp_path, str(CONTOSO))  # the minimal spec: no owners, no approval
    code, out = cli("validate", str(spec))
    assert code == 1
    assert f"{spec}:14:5: error[P001]: stages[prod].environment: contoso policy: the last " in out
    assert f"{spec}:4:1: warning[P002]: owners: contoso policy: name the model's owners" in out
    code, out = cli_stdout("validate", "--format", "json", str(spec))
    found = {d["code"]: d for d in json.loads(out)}
    assert found["P001"]["severity"] == "error" and found["P001"]["line"] == 14
    # no cluster policy, no cost center, prod without an environment; no serving: P005 holds
    assert sorted(found) == ["P001", "P002", "P003", "P004", "P006"]
    assert found["P003"]["path"] in ("training.compute.policy_id", "runtime_compute.policy_id")
    assert found["P004"]["path"] == "tags.cost_center"
    assert found["P002"]["severity"] == "warning"
    code, out = cli("check", str(spec))
    assert code == 1 and "error[P001]" in out


def test_two_renders_under_other_hash_seeds_and_time_zones_are_identical(tmp_path: Path) -> None:
    trees = []
    for seed, zone in (("0", "UTC"), ("4242", "Pacific/Chatham")):
        spec = _contoso_repo(tmp_path / seed)
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": zone, "PYTHONPATH": str(REPO)}
        subprocess.run(
            [sys.executable, "-m", "mlopsgen", "render", str(spec)],
            check=True,
            env=env,
            capture_output=True,
        )
        folder = spec.parent
        trees.append(
            {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        )
    assert trees[0] == trees[1]


def test_layers_shows_where_each_template_and_default_comes_from(tmp_path: Path) -> None:
    spec = _contoso_repo(tmp_path)
    code, out = cli_stdout("layers", str(spec))
    assert code == 0, out
    assert out.splitlines()[:2] == [
        f"{spec}:",
        "  layers: builtin, contoso 1.0.0 (most specific last)",
    ]
    assert (
        "  template pipelines/azure-pipelines.yml.j2: contoso (extends "
        "builtin:pipelines/azure-pipelines.yml.j2; blocks: deploy_steps_before, "
        "pipeline_variables)\n"
    ) in out
    assert "  template pipelines/_macros.j2: builtin\n" in out
    assert (
        "  template notebooks/task.py.j2: contoso (extends builtin:notebooks/task.py.j2; "
        "blocks: prelude)\n"
    ) in out
    assert out.endswith("  default pipeline.pool.name: contoso\n")


def test_check_explains_a_template_change_under_the_same_version(tmp_path: Path) -> None:
    pack_copy = tmp_path / "packs" / "contoso"
    shutil.copytree(CONTOSO, pack_copy, ignore=shutil.ignore_patterns("example"))
    spec = project(tmp_path / "repo", str(pack_copy), spec=CONTOSO / "example")
    assert cli("render", str(spec))[0] == 0
    template = pack_copy / "templates" / "pipelines" / "azure-pipelines.yml.j2"
    template.write_text(template.read_text("utf-8").replace("contoso-scan", "contoso-scan2"))
    environment.template_set_hash.cache_clear()
    environment.layered_environment.cache_clear()
    environment.template.cache_clear()
    code, out = cli("check", str(spec))
    assert code == 1
    assert f"{spec}: the template packs' templates changed since the last render" in out
    assert "+                - script: contoso-scan2 --stage prod" in out


def _install_contoso(site: Path, version: str, budget: str) -> None:
    """The example pack installed as the package contoso-mlopsgen-pack (its entry point
    names the package folder), at `version`, its budget patch set to `budget`."""
    for old in [site / "contoso_mlopsgen_pack", *site.glob("contoso_mlopsgen_pack-*")]:
        shutil.rmtree(old, ignore_errors=True)
    package = site / "contoso_mlopsgen_pack"
    shutil.copytree(CONTOSO, package, ignore=shutil.ignore_patterns("example"))
    manifest = package / "mlopsgen-pack.toml"
    manifest.write_text(manifest.read_text("utf-8").replace('"1.0.0"', f'"{version}"'))
    patches = package / "patches.toml"
    patches.write_text(patches.read_text("utf-8").replace('"ml-platform"', f'"{budget}"'))
    info = site / f"contoso_mlopsgen_pack-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: contoso-mlopsgen-pack\nVersion: {version}\n"
    )
    (info / "entry_points.txt").write_text(
        "[mlopsgen.packs]\ncontoso-mlopsgen-pack = contoso_mlopsgen_pack\n"
    )
    importlib.invalidate_caches()


def test_the_example_pack_installed_and_pinned_is_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fleet recipe on the example: pinned 1.0.0 rendered; 1.1.0 installed (Finance moved
    the budget line) fails check until `upgrade` bumps the pin, shows the job fields that
    change and that gates and approvals do not, and re-renders; check passes again."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    _install_contoso(site, "1.0.0", "ml-platform")
    spec = project(tmp_path / "repo", "contoso-mlopsgen-pack==1.0.0", spec=CONTOSO / "example")
    assert cli("render", str(spec))[0] == 0
    _install_contoso(site, "1.1.0", "ml-finance")
    code, out = cli("check", str(spec))
    assert code == 1, out  # the pin and what is installed disagree: one located error
    assert "error[E402]: pack contoso 1.1.0 is installed" in out
    assert "pip install 'contoso-mlopsgen-pack==1.0.0'" in out
    code, out = cli("upgrade", str(spec), "--pack", "contoso-mlopsgen-pack==1.1.0")
    assert code == 0, out
    assert "  gates and approvals: unchanged\n" in out
    for job in ("train", "deploy-prod"):
        assert f"  update  databricks/{job}.json\n" in out
    assert '      tags.contoso-budget: "ml-platform" -> "ml-finance"\n' in out
    config = (tmp_path / "repo" / "pyproject.toml").read_text("utf-8")
    assert 'packs = ["contoso-mlopsgen-pack==1.1.0"]' in config
    assert cli("check", str(spec))[0] == 0
    manifest = json.loads((spec.parent / ".mlopsgen/manifest.json").read_text("utf-8"))
    assert manifest["packs"] == {"contoso": "1.1.0"}
