"""Side by side: `mlopsgen render` of one example spec against copier rendering the same files.

Both run as whole processes into a fresh folder, alternately, several times; the script
reports each one's median and the ratio (issue 15: mlopsgen at least 4x faster). mlopsgen runs
as users run it, through the installed `mlopsgen` console script: the one beside
`sys.executable` (the virtualenv's `bin/`, or `Scripts/` on Windows), falling back to
`python -m mlopsgen` when there is none; the output names the command timed.

The copier template is generated here from the spec's golden tree (`golden/<name>/`) plus the
runtime package render copies beside the notebooks (taken from a first render): every file
becomes a `.jinja` template in which the spec's name is a question (`{{ name }}`) and the
rest is `{% raw %}` text, so copier loads its answers, renders every file through Jinja and
writes it. The script checks that both produce the same bytes before timing.

copier comes from PyPI into the benchmark's own virtual environment (created on first use and
kept in the temp folder for the next run; `--copier-venv` names another). Benchmarks are not
run by the test suite.

    .venv/bin/python benchmarks/bench_copier.py [--spec wine-quality] [-r 9]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNTIME = "notebooks/mlopsgen_runtime"


def mlopsgen_command() -> list[str]:
    """The console script beside this interpreter (what `pip install` puts on the user's
    PATH), else `python -m mlopsgen`. Not resolved: a virtualenv's python is a symlink to the
    base interpreter, whose folder has no mlopsgen."""
    folder = Path(sys.executable).parent
    for name in ("mlopsgen", "mlopsgen.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    return [sys.executable, "-m", "mlopsgen"]


def copier_command(venv: Path) -> Path:
    """The venv's copier, installing it from PyPI first when the venv does not have it."""
    copier = venv / "bin" / "copier"
    if not copier.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "copier"]
        subprocess.run(pip, check=True)
    return copier


def copier_version(venv: Path) -> str:
    python = str(venv / "bin" / "python")
    probe = "import importlib.metadata as m; print(m.version('copier'))"
    return subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.strip()


def template_text(text: str, name: str) -> str:
    """The file's text with the spec's name as `{{ name }}`, everything else taken raw."""
    parts = [f"{{% raw %}}{part}{{% endraw %}}" if part else "" for part in text.split(name)]
    return "{{ name }}".join(parts)


def make_template(files: dict[str, str], name: str, root: Path) -> Path:
    root.mkdir(parents=True)
    questions = f"name:\n  type: str\n  default: {name}\n_templates_suffix: .jinja\n"
    (root / "copier.yml").write_text(questions, "utf-8")
    for relative, text in files.items():
        target = root / f"{relative}.jinja"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template_text(text, name), "utf-8", newline="")
    return root


def tree_texts(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): path.read_text("utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def same_trees(left: Path, right: Path) -> bool:
    names = set(tree_texts(left))
    if names != set(tree_texts(right)):
        return False
    return all(filecmp.cmp(left / n, right / n, shallow=False) for n in names)


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", default="wine-quality", help="an example under specs/")
    parser.add_argument("-r", "--runs", type=int, default=9, help="runs of each (default 9)")
    venv = Path(tempfile.gettempdir()) / "mlopsgen-bench-copier-venv"
    parser.add_argument("--copier-venv", type=Path, default=venv, help=f"(default {venv})")
    args = parser.parse_args()
    name: str = args.spec
    spec = REPO / "specs" / name / "model.yaml"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: with bytecode caches
    with tempfile.TemporaryDirectory(prefix="mlopsgen-bench-copier-") as temp:
        root = Path(temp)
        copier = copier_command(args.copier_venv)
        version = copier_version(args.copier_venv)
        command = mlopsgen_command()
        ours = [*command, "render", "-q", str(spec), "--out"]
        # a first render: warms both caches and gives the runtime files for the template
        subprocess.run([*ours, str(root / "first")], check=True, env=env)
        rendered = tree_texts(root / "first" / name)
        golden = tree_texts(REPO / "golden" / name)
        files = {**golden, **{k: v for k, v in rendered.items() if k.startswith(RUNTIME)}}
        template = make_template(files, name, root / "template")
        theirs = [str(copier), "copy", "--quiet", "--defaults", str(template)]
        subprocess.run([*theirs, str(root / "copier-first")], check=True)
        assert same_trees(root / "first" / name, root / "copier-first"), "outputs differ"
        mlopsgen_s, copier_s = [], []
        for run in range(args.runs):
            mlopsgen_s.append(timed([*ours, str(root / f"m{run}")], env))
            copier_s.append(timed([*theirs, str(root / f"c{run}")]))
    ours_median, theirs_median = statistics.median(mlopsgen_s), statistics.median(copier_s)
    print(f"spec: {name}, {len(files)} files, {args.runs} runs each, alternating")
    print(f"python {sys.version.split()[0]}, copier {version}")
    print(f"mlopsgen render: median {ours_median * 1000:.0f} ms ({' '.join(command)})")
    print(f"copier copy:     median {theirs_median * 1000:.0f} ms")
    print(f"ratio: mlopsgen {theirs_median / ours_median:.1f}x faster")


if __name__ == "__main__":
    main()
