"""The runtime's pure rules, in process: gate verdicts, record counting, smoke-test retries."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlopsgen.notebook_runtime import (
    TaskFailed,
    check_champion,
    check_threshold,
    count_predictions,
    count_records,
    post_json,
)

LOWER = {"metric": "rmse", "compare": "champion", "higher_is_better": False, "tolerance": 0.01}


def test_threshold_bounds_are_inclusive_and_a_missing_metric_fails() -> None:
    gate = {"metric": "f1", "min": 0.6, "max": 0.99}
    assert check_threshold(gate, 0.6).passed and check_threshold(gate, 0.99).passed
    assert not check_threshold(gate, 0.995).passed and not check_threshold(gate, 0.59).passed
    missing = check_threshold(gate, None)
    assert not missing.passed and missing.note == "metric missing on candidate"


def test_champion_comparison_honours_direction_and_tolerance() -> None:
    assert check_champion(LOWER, 0.505, "3", 0.5).passed  # within tolerance
    assert not check_champion(LOWER, 0.52, "3", 0.5).passed
    higher = LOWER | {"higher_is_better": True, "tolerance": 0.0}
    assert check_champion(higher, 0.5, "3", 0.5).passed
    assert not check_champion(higher, 0.49, "3", 0.5).passed
    assert check_champion(LOWER, 9.0, None, None).note == "no champion yet: passes"
    no_metric = check_champion(LOWER, 0.4, "3", None)
    assert not no_metric.passed and "missing on champion version 3" in no_metric.note


@pytest.mark.parametrize(
    ("request_body", "records"),
    [
        ({"dataframe_split": {"columns": ["a"], "data": [[1], [2], [3]]}}, 3),
        ({"dataframe_records": [{"a": 1}, {"a": 2}]}, 2),
        ({"instances": [[1], [2]]}, 2),
        ({"inputs": {"a": [1, 2, 3, 4]}}, 4),
        ({"input_data": {"columns": ["a"], "data": [[1]]}}, 1),
    ],
)
def test_records_are_counted_in_every_scoring_format(request_body: object, records: int) -> None:
    assert count_records(request_body) == records


def test_predictions_are_counted_and_an_answer_without_them_fails() -> None:
    assert count_predictions({"predictions": [1, 2]}) == 2
    assert count_predictions([0.1, 0.2, 0.3]) == 3
    assert count_predictions({"predictions": {"label": [1, 0]}}) == 2
    with pytest.raises(TaskFailed, match="no predictions"):
        count_predictions({"error": "boom"})


@pytest.fixture
def flaky_server() -> Iterator[tuple[str, list[int]]]:
    """Answers with the queued status codes, then 200."""
    statuses: list[int] = []
    seen: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            status = statuses.pop(0) if statuses else 200
            seen.append(status)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"predictions": [1]}')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/invocations", statuses
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_smoke_test_retries_429_and_503_only(flaky_server: tuple[str, list[int]]) -> None:
    url, statuses = flaky_server
    waits: list[float] = []
    statuses.extend([503, 429])
    assert post_json(url, b"{}", {}, sleep=waits.append) == '{"predictions": [1]}'
    assert waits == [2.0, 4.0]
    statuses.append(500)
    with pytest.raises(TaskFailed, match="HTTP 500"):
        post_json(url, b"{}", {}, sleep=waits.append)
    assert waits == [2.0, 4.0]
    statuses.extend([503] * 3)
    with pytest.raises(TaskFailed, match="HTTP 503"):
        post_json(url, b"{}", {}, attempts=3, sleep=waits.append)


def test_the_runtime_imports_no_heavy_library_at_module_level() -> None:
    runtime = Path(__file__).resolve().parents[2] / "mlopsgen" / "notebook_runtime.py"
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "heavy = ('mlflow', 'databricks.sdk', 'pyspark', 'requests'); "
        "print([m for m in heavy if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(runtime)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
