"""A repository with a project configuration and packs, built in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cli_runner import invoke

REPO = Path(__file__).resolve().parents[2]
CONTOSO = REPO / "examples" / "packs" / "contoso"
MINIMAL = REPO / "specs" / "minimal"


def cli(*args: str) -> tuple[int, str]:
    """The exit code and everything printed (stdout and stderr)."""
    result = invoke(*args)
    return result.exit_code, result.output


def cli_stdout(*args: str) -> tuple[int, str]:
    result = invoke(*args)
    return result.exit_code, result.stdout


def project(root: Path, *packs: str, spec: Path = MINIMAL, extra: str = "") -> Path:
    """A git repository at `root` with `spec`'s folder as `model/` and a pyproject.toml that
    names `packs`; returns the spec's path."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    shutil.copytree(spec, root / "model", ignore=shutil.ignore_patterns("pyproject.toml"))
    listed = ", ".join(f'"{p}"' for p in packs)
    (root / "pyproject.toml").write_text(f"[tool.mlopsgen]\npacks = [{listed}]\n{extra}")
    return root / "model" / "model.yaml"


def pack(
    root: Path,
    name: str = "acme",
    *,
    version: str = "1.0.0",
    requires: str = ">=0.1",
    defaults: str = "",
    policy: str | None = None,
    templates: dict[str, str] | None = None,
) -> Path:
    """A pack folder `root/<name>`."""
    folder = root / name
    folder.mkdir(parents=True)
    manifest = f'name = "{name}"\nversion = "{version}"\nrequires-mlopsgen = "{requires}"\n'
    (folder / "mlopsgen-pack.toml").write_text(manifest + defaults)
    if policy is not None:
        (folder / "policy.toml").write_text(policy)
    for template, text in (templates or {}).items():
        target = folder / "templates" / template
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def install(site: Path, name: str = "acme_pack", version: str = "1.0.0", **kwargs: Any) -> Path:
    """An installed pack in `site` (put it on sys.path): the package folder, its dist-info
    and the entry point; importing the package raises, so discovery must not import it."""
    package = pack(site, name, version=version, **kwargs)
    (package / "__init__.py").write_text("raise RuntimeError('pack code ran')\n")
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    dist = name.replace("_", "-")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[mlopsgen.packs]\n{dist} = {name}\n")
    return package
