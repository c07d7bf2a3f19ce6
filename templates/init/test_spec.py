"""The spec is valid and its generated files are up to date, as the pipeline's Validate
stage checks them (written by mlopsgen init)."""

import subprocess
import sys
from pathlib import Path

SPEC = Path(__file__).resolve().parents[1] / "model.yaml"


def test_the_generated_files_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mlopsgen", "check", str(SPEC)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
