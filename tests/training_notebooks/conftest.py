"""A real MLflow tracking server for the training notebooks (started as the runtime tests
start theirs: its own process group, a SQLite store, a free loopback port)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from runtime.support import mlflow_server_at


@pytest.fixture(scope="session")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with mlflow_server_at(tmp_path_factory.mktemp("notebook-mlflow")) as url:
        yield url
