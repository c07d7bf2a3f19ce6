"""Regenerate every expected file from the current code, then print what changed.

    .venv/bin/python scripts/regen.py        # or: make regen

1. the golden trees, golden/<spec>/... (the syrupy extension in tests/render/test_golden.py,
   run with --snapshot-update; it also removes golden files no longer generated), and the
   example pack's, golden/_packs/contoso/ (tests/packs/test_pack_golden.py);
2. the invalid cases' expected output, tests/validate/cases/invalid/*/expected.txt
   (tests/validate/update_cases.py);
3. the spec reference, schemas/model.v1.reference.md (python -m mlopsgen.spec.reference).

Each step runs with this interpreter and imports mlopsgen from this checkout, whatever else is
installed. Nothing is committed: review `git diff` before committing. CI never runs this; the
tests only compare.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "schemas" / "model.v1.reference.md"
# Every file a step may create, rewrite or delete (relative to REPO).
EXPECTED_FILES = ("golden/**/*", "tests/validate/cases/invalid/*/expected.txt")


def _env() -> dict[str, str]:
    """The environment of each step: this checkout's mlopsgen first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _run(title: str, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    print(f"--- {title}: python {' '.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"regen: {title} failed (exit {done.returncode}); the steps after it did not run")
    return done


def regenerate_golden() -> None:
    pytest = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--snapshot-update"]
    _run("golden trees", [*pytest, "tests/render/test_golden.py"])
    _run("the example pack's golden tree", [*pytest, "tests/packs/test_pack_golden.py"])


def regenerate_invalid_cases() -> None:
    _run("invalid cases", ["tests/validate/update_cases.py"])


def regenerate_reference() -> None:
    # Captured, then written: a failing step must not leave an empty reference behind.
    done = _run("spec reference", ["-m", "mlopsgen.spec.reference"])
    if not REFERENCE.is_file() or REFERENCE.read_text(encoding="utf-8") != done.stdout:
        REFERENCE.write_text(done.stdout, encoding="utf-8", newline="\n")


def fingerprints() -> dict[str, str]:
    """sha256 of every file the steps may touch, by repository-relative POSIX path."""
    paths = {p for pattern in EXPECTED_FILES for p in REPO.glob(pattern) if p.is_file()}
    paths.add(REFERENCE)
    return {
        p.relative_to(REPO).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in paths
        if p.is_file() and "__pycache__" not in p.parts
    }


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    lines = []
    for path in sorted(before.keys() | after.keys()):
        if path not in before:
            lines.append(f"create  {path}")
        elif path not in after:
            lines.append(f"delete  {path}")
        elif before[path] != after[path]:
            lines.append(f"update  {path}")
    return lines


def main() -> None:
    before = fingerprints()
    try:
        regenerate_golden()
        regenerate_invalid_cases()
        regenerate_reference()
    finally:  # also after a failed step: say what the steps before it rewrote
        rewritten = changes(before, fingerprints())
        print("\n".join(rewritten) or "every expected file was already up to date")
        if rewritten:
            print(f"{len(rewritten)} file(s) changed: review `git diff`, commit them with the code")


if __name__ == "__main__":
    main()
