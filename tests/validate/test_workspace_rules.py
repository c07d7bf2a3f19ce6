"""W002: a stage folder under /Shared is a warning (issue 12): every workspace user has CAN
MANAGE there (Databricks, "Folder permissions"), so anyone could change the code the stage's
jobs run as the deploying identity. A warning, not an error: the spec stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.model import Origin
from mlopsgen.spec.compile import compile_text

SPEC = """\
apiVersion: mlopsgen/v1
name: demo
model: {{name: main.ml.demo}}
training: {{notebook: train.py}}
stages:
  - name: staging
    workspace: https://adb-1.1.azuredatabricks.net
    service_connection: sc
    workspace_folder: {folder}
"""


def _diagnostics(folder: str) -> list[tuple[str, str, int, int]]:
    result = compile_text(
        SPEC.format(folder=folder),
        Path("model.yaml"),
        origin=Origin(spec_path="model.yaml", spec_dir="."),
        read_file=lambda _relative: b"# Databricks notebook source\n",
    )
    assert result.ok  # warnings never make a spec invalid
    return [(d.severity, d.code, d.location.line, d.location.column) for d in result.diagnostics]


@pytest.mark.parametrize("folder", ["/Shared/demo", "/Shared", "/Workspace/Shared/team/demo"])
def test_a_shared_folder_is_a_located_warning(folder: str) -> None:
    assert _diagnostics(folder) == [("warning", "W002", 9, 23)]


@pytest.mark.parametrize("folder", ["/Users/ml@corp.example/demo", "/Sharedx/demo", "/Team/Shared"])
def test_other_folders_are_fine(folder: str) -> None:
    assert _diagnostics(folder) == []
