"""The runtime's pure rules, in process: gate verdicts, record counting, smoke-test retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlopsgen.runtime import TaskFailed, main, read_params
from mlopsgen.runtime.contract import TASK_PARAMETERS
from mlopsgen.runtime.gates import check_champion, check_threshold, parse_gates
from mlopsgen.runtime.smoke import count_predictions, count_records, post_json, run_smoke_test

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
    ("text", "reason"),
    [
        ("", "--gates is empty"),
        ("  ", "--gates is empty"),
        ("null", "must be a JSON list"),
        ('{"metric": "r2", "min": 0.3}', "must be a JSON list"),
        ("[1]", 'object with a "metric"'),
        ('[{"metric": ""', "not valid JSON"),
        ('[{"metric": " ", "min": 0}]', "metric name is empty"),
        ('[{"metric": "r2"}]', "needs min and/or max"),
        ('[{"metric": "r2", "mni": 0.3}]', "unknown key(s) ['mni']"),
        ('[{"metric": "r2", "min": NaN}]', "NaN is not a number"),
        ('[{"metric": "r2", "max": Infinity}]', "Infinity is not a number"),
        ('[{"metric": "r2", "min": 1e999}]', "finite number"),
        ('[{"metric": "r2", "min": "0.3"}]', "min must be a number"),
        ('[{"metric": "r2", "min": true}]', "min must be a number"),
        ('[{"metric": "r2", "min": 0.9, "max": 0.1}]', "min is above max"),
        ('[{"metric": "r2", "compare": "baseline", "higher_is_better": true}]', "'champion'"),
        ('[{"metric": "r2", "compare": "champion"}]', "needs higher_is_better"),
        ('[{"metric": "r2", "compare": "champion", "higher_is_better": "maybe"}]', "true or"),
        ('[{"metric": "r2", "compare": "champion", "higher_is_better": 1}]', "true or false"),
        (
            '[{"metric": "r", "compare": "champion", "higher_is_better": true, "tolerance": -1}]',
            ">= 0",
        ),
        (
            '[{"metric": "r2", "compare": "champion", "higher_is_better": true, "min": 1}]',
            "['min']",
        ),
    ],
)
def test_a_gate_list_that_could_pass_without_checking_anything_is_refused(
    text: str, reason: str
) -> None:
    with pytest.raises(TaskFailed) as failure:
        parse_gates(text)
    assert reason in str(failure.value)


def test_gates_are_normalized_and_an_explicit_empty_list_means_no_gates() -> None:
    assert parse_gates("[]") == []
    gates = '[{"metric":"r2","min":1,"max":2},{"metric":"rmse","compare":"champion",'
    gates += '"higher_is_better":"False"}]'
    assert parse_gates(gates) == [
        {"metric": "r2", "min": 1.0, "max": 2.0},
        {"metric": "rmse", "compare": "champion", "higher_is_better": False, "tolerance": 0.0},
    ]


def test_nan_and_infinite_metrics_never_pass() -> None:
    nan, inf = float("nan"), float("inf")
    for value in (nan, inf, -inf):
        result = check_threshold({"metric": "r2", "min": 0.35}, value)
        assert not result.passed and f"metric is {value} on candidate" == result.note
        assert not check_threshold({"metric": "rmse", "max": 0.75}, value).passed
    higher = {"metric": "r2", "compare": "champion", "higher_is_better": True}
    assert not check_champion(higher, inf, "3", 0.5).passed
    on_champion = check_champion(higher, 0.9, "3", nan)
    assert not on_champion.passed and on_champion.note == "metric is nan on champion version 3"


def test_higher_is_better_given_as_the_string_false_means_lower_is_better() -> None:
    # bool("false") is True: read naively, a worse rmse would pass as "higher is better"
    gate = {"metric": "rmse", "compare": "champion", "higher_is_better": "false"}
    assert not check_champion(gate, 0.6, "3", 0.5).passed
    assert check_champion(gate, 0.4, "3", 0.5).passed


def test_tolerance_only_ever_loosens_towards_the_worse_side() -> None:
    higher = {"metric": "r2", "compare": "champion", "higher_is_better": True, "tolerance": 0.1}
    assert check_champion(higher, 0.41, "3", 0.5).passed
    assert not check_champion(higher, 0.39, "3", 0.5).passed
    assert check_champion(LOWER, 0.51, "3", 0.5).passed  # rmse: higher is worse
    assert not check_champion(LOWER, 0.511, "3", 0.5).passed
    with pytest.raises(TaskFailed, match=">= 0"):
        check_champion(higher | {"tolerance": -0.1}, 0.5, "3", 0.5)


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


@pytest.mark.parametrize(
    "request_body", [{"dataframe_split": {"columns": ["a"], "data": []}}, {"instances": []}]
)
def test_a_smoke_test_request_without_records_fails(tmp_path: Path, request_body: object) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(request_body))
    params = {"request_file": str(request), "endpoint_url": "http://127.0.0.1:9/x", "target": ""}
    with pytest.raises(TaskFailed, match="holds no records"):
        run_smoke_test(params)


def test_failures_exit_1_with_one_line_outside_databricks_and_raise_on_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main("smoke_test", {"request_file": ""})
    assert exited.value.code == 1
    assert (
        capsys.readouterr().err
        == "mlopsgen smoke_test: error: missing parameter(s): --request_file\n"
    )
    with pytest.raises(TaskFailed, match="missing parameter"):
        main("smoke_test", {"request_file": ""}, dbutils=object())


class FakeWidgets:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.created: dict[str, str] = {}
        self.labels: list[str] = []

    def text(self, name: str, default: str, label: str) -> None:
        self.created[name] = default
        self.labels.append(label)

    def get(self, name: str) -> str:
        return self.values.get(name, self.created[name])


def test_parameters_come_from_widgets_on_databricks_and_the_command_line_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    widgets = FakeWidgets({"stage": "prod"})
    dbutils = type("DBUtils", (), {"widgets": widgets})()
    got = read_params("gate", {"gates": "[]"}, dbutils=dbutils, argv=["--bogus", "1"])
    assert list(widgets.created) == list(TASK_PARAMETERS["gate"])  # argv is ignored there
    assert widgets.labels == list(TASK_PARAMETERS["gate"])  # each widget labelled by its key
    assert got["stage"] == "prod" and got["gates"] == "[]" and got["model_name"] == ""

    monkeypatch.setenv("MLOPSGEN_STAGE", "from-env")
    monkeypatch.setenv("MLOPSGEN_GATES", "[1]")
    local = read_params("gate", {"gates": "[]", "stage": "x"}, argv=["--gates", "[2]"])
    assert (local["gates"], local["stage"]) == ("[2]", "from-env")
    with pytest.raises(ValueError, match="unknown parameters"):
        read_params("gate", {"gate": "[]"}, argv=[])
    with pytest.raises(SystemExit):
        read_params("gate", {}, argv=["--gate", "[]"])  # no abbreviation of --gates
