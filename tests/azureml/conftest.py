"""A stub `az` first on PATH: tests/fakes/azure_ml_cli.py, with its state in a JSON file and
every call recorded as one JSON line (its argv, its exit status)."""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StubAz:
    env: dict[str, str]
    log: Path
    state_file: Path

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line)["args"] for line in self.log.read_text().splitlines()]

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state_file.read_text())
        return loaded

    def set_state(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def endpoint(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.state()["endpoints"][name]
        return found

    def clear_log(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def stub_az(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StubAz:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "az"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO / 'tests')!r})\n"
        "from fakes.azure_ml_cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log, state = tmp_path / "az.log", tmp_path / "az.json"
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    env = {"PATH": path, "FAKE_AZ_LOG": str(log), "FAKE_AZ_STATE": str(state)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return StubAz(dict(os.environ) | env, log, state)
