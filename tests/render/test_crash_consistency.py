"""A render killed at any point leaves every file old or new, and the next render of either
spec version succeeds without --force (issue 11).

Each case runs `mlopsgen render` in a child process that SIGKILLs itself right after its
N-th file operation (a rename or a delete), for every N the render performs: no clean-up code
of ours runs, as after `kill -9` or a CI job cut off by its timeout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from render.examples import SPECS

KILLER = """
import os, signal, sys
from pathlib import Path
limit = int(sys.argv[1])
count = 0
def counted(real):
    def call(*args, **kwargs):
        global count
        result = real(*args, **kwargs)
        count += 1
        if count == limit:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return call
os.replace = counted(os.replace)
Path.unlink = counted(Path.unlink)
from mlopsgen.cli import main
sys.argv = ["mlopsgen", "render", sys.argv[2]]
main()
"""


def _render(spec: Path, limit: int = 0) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", KILLER, str(limit), str(spec)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in folder.rglob("*")
        if p.is_file() and ".mlopsgen-tmp" not in p.name
    }


@pytest.fixture(scope="module")
def versions(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, str], dict[str, str]]:
    """The example spec rendered in two versions (the second changes a stage's gates and the
    description, and drops the PR check, so files are updated, created and deleted)."""
    base = tmp_path_factory.mktemp("versions")
    (base / ".git").mkdir()
    folder = base / "wine-quality"
    shutil.copytree(SPECS / "wine-quality", folder)
    text = (folder / "model.yaml").read_text()
    changed = text.replace("min: 0.35", "min: 0.4").replace("  pr_check:", "  pr_check_off:")
    # and the description, which every job file carries: many files to write
    changed = changed.replace("Predicts the quality score", "Predicts the score")
    changed = (
        "\n".join(
            line
            for line in changed.splitlines()
            if "pr_check_off" not in line and "sample_fraction" not in line
        )
        + "\n"
    )
    trees = []
    for version in (text, changed):
        (folder / "model.yaml").write_text(version)
        assert _render(folder / "model.yaml").returncode == 0
        trees.append(_tree(folder))
    (folder / "model.yaml").write_text(text)
    assert _render(folder / "model.yaml").returncode == 0
    return folder, trees[0], trees[1]


def test_a_kill_at_any_point_leaves_old_or_new_files_and_a_clean_next_render(
    versions: tuple[Path, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    source, old, new = versions
    old_spec = (source / "model.yaml").read_text()
    new_spec = new["model.yaml"]
    operations = 0
    limit = 1
    while True:
        repo = tmp_path / f"kill-{limit}"  # the same repository layout: the same headers
        (repo / ".git").mkdir(parents=True)
        folder = repo / source.name
        shutil.copytree(source, folder)
        (folder / "model.yaml").write_text(new_spec)
        killed = _render(folder / "model.yaml", limit)
        if killed.returncode == 0:
            operations = limit - 1
            break  # the render finished before the limit: every point was tried
        assert killed.returncode == -9, killed.stderr
        for path, text in _tree(folder).items():
            if path == "model.yaml":
                continue
            if path == ".mlopsgen/manifest.json":  # old, new, or old plus the pending hashes
                assert json.loads(text)["files"], f"kill {limit}: the manifest is torn"
                continue
            assert text in (old.get(path), new.get(path)), f"kill {limit}: {path} is torn"
        for spec_text, expected in ((old_spec, old), (new_spec, new)):
            (folder / "model.yaml").write_text(spec_text)
            again = _render(folder / "model.yaml")
            assert again.returncode == 0, f"kill {limit}: {again.stdout}{again.stderr}"
            assert _tree(folder) == expected
            assert "pending" not in json.loads((folder / ".mlopsgen/manifest.json").read_text())
        shutil.rmtree(repo)
        limit += 1
    assert operations > 5  # the loop really interrupted the render at many points
    assert not any(Path(tmp_path).rglob("*.mlopsgen-tmp"))
