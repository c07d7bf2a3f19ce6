"""The smoke-test request check: what Model Serving (and Azure ML) accept, and what the
runtime's smoke test can count. Everything `validate` accepts holds at least one record as
`mlopsgen.runtime.smoke.count_records` counts them, so the smoke test can never find none.

Sources: Databricks, "Query serving endpoints for custom models" (supported scoring formats:
dataframe_split, dataframe_records, instances, inputs, plus params); Microsoft Learn,
"Guidelines for deploying MLflow models" (Azure ML takes the data under input_data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.model import Origin
from mlopsgen.runtime.smoke import count_records
from mlopsgen.spec import scoring_request
from mlopsgen.spec.compile import compile_text

ACCEPTED: list[tuple[str, Any]] = [
    ("databricks-serving", {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}),
    ("databricks-serving", {"dataframe_split": {"data": [[1, 2]]}}),
    ("databricks-serving", {"dataframe_records": [{"a": 1, "b": 2}]}),
    ("databricks-serving", {"instances": [[1, 2], [3, 4]]}),
    ("databricks-serving", {"instances": [{"a": 1}]}),
    ("databricks-serving", {"inputs": [[1, 2]]}),
    ("databricks-serving", {"inputs": {"a": [1, 2], "b": [3, 4]}}),
    ("databricks-serving", {"inputs": [[1, 2]], "params": {"threshold": 0.5}}),
    ("azureml", {"input_data": {"columns": ["a"], "index": [0], "data": [[1]]}}),
    ("azureml", {"input_data": [[1, 2], [3, 4]]}),
    ("azureml", {"input_data": {"a": [1, 2]}}),
]

REFUSED: list[tuple[str, bytes, str, str]] = [
    ("databricks-serving", b"\xff\xfe{}", "E330", "is not UTF-8 text"),
    ("databricks-serving", b'{"inputs": [1,', "E330", "is not valid JSON"),
    ("databricks-serving", b'{"inputs": [Infinity]}', "E330", "Infinity is not a JSON value"),
    ("databricks-serving", b'\xef\xbb\xbf{"inputs": [1]}', "E330", "is not valid JSON"),
    ("databricks-serving", b"[[1, 2]]", "E331", "got a JSON list"),
    ("databricks-serving", b'{"data": [[1]]}', "E331", "found none of them"),
    ("databricks-serving", b'{"inputs": [1], "instances": [1]}', "E331", "instances, inputs"),
    ("databricks-serving", b'{"input_data": [[1]]}', "E331", "found none of them"),
    ("databricks-serving", b'{"inputs": [1], "params": [1]}', "E331", "'params' must be"),
    ("databricks-serving", b'{"dataframe_split": {"data": []}}', "E331", "holds no records"),
    ("databricks-serving", b'{"dataframe_split": [[1]]}', "E331", "with a 'data' list"),
    ("databricks-serving", b'{"dataframe_records": [[1]]}', "E331", "list of records"),
    ("databricks-serving", b'{"instances": {"a": [1]}}', "E331", "non-empty list of instances"),
    ("databricks-serving", b'{"inputs": {}}', "E331", "non-empty list or an object"),
    ("databricks-serving", b'{"inputs": {"a": []}}', "E331", "first named tensor is empty"),
    ("azureml", b'{"dataframe_split": {"data": [[1]]}}', "E331", "the field input_data"),
    ("azureml", b'{"input_data": {"columns": ["a"], "data": [[1, 2]]}}', "E331", "row 0"),
    ("azureml", b'{"input_data": []}', "E331", "the list is empty"),
]


@pytest.mark.parametrize(("target", "request_body"), ACCEPTED)
def test_accepted_requests_hold_records_the_smoke_test_counts(
    target: str, request_body: Any
) -> None:
    assert scoring_request.problem(target, json.dumps(request_body).encode()) is None
    assert count_records(request_body) >= 1


@pytest.mark.parametrize(("target", "body", "code", "words"), REFUSED)
def test_refused_requests_say_why(target: str, body: bytes, code: str, words: str) -> None:
    problem = scoring_request.problem(target, body)
    assert problem is not None
    assert problem[0] == code and words in problem[1], problem


SPEC = """\
apiVersion: mlopsgen/v1
name: demo-model
model: {name: main.ml.demo}
training: {notebook: train.py}
stages:
  - {name: staging, workspace: "https://adb-1.1.azuredatabricks.net", variable_group: vg}
serving: {target: databricks-serving, endpoint: demo, smoke_test: ./tests/../request.json}
"""


def _compile(**reader: Any) -> list[str]:
    result = compile_text(SPEC, Path("model.yaml"), origin=Origin("model.yaml", "."), **reader)
    return [d.format() for d in result.diagnostics]


def test_the_request_is_read_through_the_reader_at_its_normal_path() -> None:
    asked: list[str] = []
    files = {"train.py": b"", "request.json": b'{"inputs": {}}'}

    def read(relative: str) -> bytes | None:
        asked.append(relative)
        return files.get(relative)

    (line,) = _compile(read_file=read)
    assert line.startswith("model.yaml:7:67: error[E331]: serving.smoke_test: 'request.json'")
    assert "request.json" in asked and "train.py" in asked


def test_presence_alone_cannot_judge_the_request() -> None:
    """Callers that only say whether files exist (from before the reader) still compile."""
    assert _compile(file_exists=lambda _: True) == []


def test_compile_needs_a_way_to_see_files() -> None:
    with pytest.raises(TypeError, match="read_file"):
        _compile()
