"""Rules about where a stage's code lives in its workspace (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlopsgen import layout
from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import text


def shared_folder(data: dict[str, Any]) -> Iterator[Finding]:
    """W002: a stage folder under /Shared, where every workspace user has CAN MANAGE
    (Databricks, "Folder permissions": all users have Can Manage on /Shared) and could change
    the notebooks and runtime that then run as the deploying identity."""
    stages = data.get("stages")
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        folder = text(stage.get("workspace_folder")) if isinstance(stage, dict) else None
        if folder is not None and layout.is_shared_folder(folder):
            msg = (
                f"'{folder}' is under /Shared, which every workspace user can edit: they could "
                "change the code this stage's jobs run as the deploying identity; leave "
                "workspace_folder out (the deploying identity's home) or use a folder only it "
                "can write"
            )
            yield Finding(("stages", i, "workspace_folder"), "W002", msg)


RULES = (shared_folder,)
