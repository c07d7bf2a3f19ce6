"""databricks-sdk costs over a second to import: only the deploy and run commands load it."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import mlopsgen.cli, mlopsgen.databricks.deploy, mlopsgen.databricks.run
import mlopsgen.databricks.submit, mlopsgen.databricks.watch
loaded = sorted(m for m in sys.modules if m.startswith("databricks"))
print(loaded)
"""


def test_importing_the_commands_does_not_import_the_sdk() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
