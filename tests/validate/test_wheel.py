"""The built wheel carries the schema and templates and works from a clean virtual env."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Without PYTHONPATH: a checkout on it would be imported instead of the installed wheel.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_wheel_installs_and_validates_in_a_clean_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, REPO, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("mlopsgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mlopsgen/_data/schemas/model.v1.schema.json" in names
    assert any(n.startswith("mlopsgen/_data/templates/") for n in names)

    venv = tmp_path / "venv"  # clean: nothing from this checkout or its .venv is visible
    assert run(sys.executable, "-m", "venv", venv, cwd=tmp_path).returncode == 0
    installed = run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    work = tmp_path / "work"
    shutil.copytree(REPO / "specs" / "wine-quality", work)
    where = run(
        venv / "bin" / "python",
        "-c",
        "import mlopsgen.resources as r; print(r.schemas_dir()); print(r.templates_dir())",
        cwd=work,
    )
    site = venv.resolve()
    folders = [Path(p).resolve() for p in where.stdout.split()]
    assert len(folders) == 2 and all(site in folder.parents for folder in folders), where
    assert [f.relative_to(site).parts[-3:] for f in folders] == [
        ("mlopsgen", "_data", "schemas"),
        ("mlopsgen", "_data", "templates"),
    ]

    valid = run(venv / "bin" / "mlopsgen", "validate", "model.yaml", cwd=work)
    # the example's Europe/Berlin schedule: the daylight-saving warning (W001), exit 0
    assert (valid.returncode, valid.stderr) == (0, "1 spec valid, 1 warning\n")
    assert valid.stdout.startswith("model.yaml:26:13: warning[W001]: schedule.timezone: ")
    text = (work / "model.yaml").read_text().replace("name: staging", "name: Staging")
    (work / "model.yaml").write_text(text)
    line = text.splitlines().index("  - name: Staging") + 1
    invalid = run(venv / "bin" / "mlopsgen", "validate", "model.yaml", cwd=work)
    assert invalid.returncode == 1
    assert f"\nmodel.yaml:{line}:11: error[E205]: stages[Staging].name:" in invalid.stdout

    schema = run(venv / "bin" / "mlopsgen", "schema", cwd=work)
    assert schema.returncode == 0
    assert schema.stdout == (REPO / "schemas" / "model.v1.schema.json").read_text()

    # The packaged templates render too (and render nothing from this checkout).
    shutil.copy(REPO / "specs" / "wine-quality" / "model.yaml", work / "model.yaml")
    rendered = run(venv / "bin" / "mlopsgen", "render", "model.yaml", "--out", "out", cwd=work)
    assert rendered.returncode == 0, rendered.stderr
    golden = REPO / "golden" / "wine-quality"
    expected = sorted(p.relative_to(golden).as_posix() for p in golden.rglob("*") if p.is_file())
    # the runtime's files are kept once, in golden/_runtime/<path under notebooks/>
    runtime = REPO / "golden" / "_runtime"
    kept = {f"notebooks/{p.relative_to(runtime).as_posix()}": p for p in runtime.rglob("*.py")}
    out = work / "out" / "wine-quality"  # --out DIR writes DIR/<name>/
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted([*expected, *kept])
    # the wheel carries every runtime module: what it renders is the golden copy, byte for byte
    assert all((out / path).read_bytes() == p.read_bytes() for path, p in kept.items())
