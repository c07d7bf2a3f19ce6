"""Microsoft's Azure Pipelines schema, as check-jsonschema vendors it: the validator nobody on
this team wrote, run on generated pipelines by several tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def check_pipelines(paths: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """check-jsonschema's verdict on the pipeline files (exit 0: all valid)."""
    checker = Path(sys.executable).with_name("check-jsonschema")
    # The default regex engine (regress) cannot compile one of the schema's patterns.
    command = [str(checker), "--regex-variant", "python", "--builtin-schema"]
    command += ["vendor.azure-pipelines", "--data-transform", "azure-pipelines", *paths]
    return subprocess.run(command, capture_output=True, text=True, check=False)
