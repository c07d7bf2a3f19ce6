"""An installed pack (entry point group mlopsgen.packs): found without running its code, and
installed by the generated pipeline from mlopsgen's own package source, since every job that
reads the spec (check, deploy, run) needs it (issue 13)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packs.support import CONTOSO, cli, install, project

from mlopsgen.render import environment

PIPELINE = "pipelines/azure-pipelines.yml.j2"


def test_the_pipeline_installs_the_pinned_packs_from_the_wheel_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (CONTOSO / "templates" / PIPELINE).read_text("utf-8")
    install(tmp_path / "site", templates={PIPELINE: text})
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = project(tmp_path / "repo", "acme-pack==1.0.0", spec=CONTOSO / "example")
    environment.layered_environment.cache_clear()
    code, out = cli("render", str(spec))
    assert code == 0, out
    pipeline = spec.parent / "azure-pipelines.yml"
    loaded = yaml.safe_load(pipeline.read_text("utf-8"))
    steps = loaded["stages"][0]["jobs"][0]["steps"]
    script = 'python -m pip install --no-index --find-links "$MLOPSGEN_WHEELS" "$MLOPSGEN_PACK"'
    assert steps[4] == {
        "script": script,
        "displayName": "Install the template pack acme-pack==1.0.0",
        "env": {"MLOPSGEN_PACK": "acme-pack==1.0.0", "MLOPSGEN_WHEELS": "wheels"},
    }
    checker = Path(sys.executable).with_name("check-jsonschema")
    command = [str(checker), "--regex-variant", "python", "--builtin-schema"]
    command += ["vendor.azure-pipelines", "--data-transform", "azure-pipelines", str(pipeline)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert cli("check", str(spec))[0] == 0
