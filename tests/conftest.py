"""Fixtures for the whole suite."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _check_records(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    """Each test's `check` records its passes in a folder of its own (never the user's
    ~/.cache): every test that runs check twice also exercises the replay of a recorded pass
    (mlopsgen/check_cache.py), and no test sees another's records."""
    name = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    folder = tmp_path_factory.getbasetemp() / "check-records" / name
    monkeypatch.setenv("MLOPSGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("MLOPSGEN_NO_CACHE", raising=False)
    yield
