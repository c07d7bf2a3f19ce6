"""A real MLflow tracking server for the training notebooks (started as the runtime tests
start theirs: its own process group, a SQLite store, a free loopback port)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from runtime.support import base_env, free_port, start_group, stop_group, wait_for_http


@pytest.fixture(scope="session")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("notebook-mlflow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--default-artifact-root", str(root / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    process = start_group(command, root / "server.log", base_env(url))
    try:
        wait_for_http(f"{url}/health", process, root / "server.log", timeout=90)
        yield url
    finally:
        stop_group(process)
