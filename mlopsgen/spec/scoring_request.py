"""Whether a smoke-test request is one its endpoint accepts, and holds at least one record.

- Databricks Model Serving (custom models) takes a JSON object with exactly one of
  `dataframe_split`, `dataframe_records`, `instances` or `inputs`, plus optional `params`
  (Databricks, "Query serving endpoints for custom models", supported scoring formats). The
  MLflow scoring server behind it refuses anything else: "The input must be a JSON dictionary
  with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances',
  'inputs'}" (mlflow.pyfunc.scoring_server).
- Azure ML managed online endpoints serving an MLflow model take the data under the key
  `input_data`: a split-orientation frame (`columns`, `index`, `data`), a list (a tensor) or an
  object of lists (named tensors) (Microsoft Learn, "Guidelines for deploying MLflow models").

The smoke test expects one prediction per record (mlopsgen.runtime.smoke.count_records), so
a request without records could prove nothing and is refused here already.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

NOT_JSON = "E330"
WRONG_SHAPE = "E331"

Problem = tuple[str, str]  # (code, message)

DATABRICKS_FIELDS = ("dataframe_split", "dataframe_records", "instances", "inputs")
AZUREML_FIELDS = ("input_data",)
# For each target that sends a smoke test: the top-level fields that carry the data.
SHAPES: dict[str, tuple[str, ...]] = {
    "databricks-serving": DATABRICKS_FIELDS,
    "azureml": AZUREML_FIELDS,
}
_SERVICE = {"databricks-serving": "Databricks Model Serving", "azureml": "Azure ML"}


def problem(target: str, body: bytes) -> Problem | None:
    """None when `body` is a request `target` accepts; else the code and what is wrong."""
    try:
        request = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        return NOT_JSON, "is not UTF-8 text"
    except ValueError as exc:
        return NOT_JSON, f"is not valid JSON ({exc})"
    fields = SHAPES[target]
    expected = f"a {_SERVICE[target]} request is a JSON object with " + (
        f"exactly one of {', '.join(fields)}" if len(fields) > 1 else f"the field {fields[0]}"
    )
    if not isinstance(request, dict):
        return WRONG_SHAPE, f"{expected}; got a JSON {_kind(request)}"
    present = [f for f in fields if f in request]
    if len(present) != 1:
        found = ", ".join(present) if present else "none of them"
        return WRONG_SHAPE, f"{expected}; found {found}"
    field = present[0]
    if "params" in request and not isinstance(request["params"], dict):
        return WRONG_SHAPE, "'params' must be a JSON object"
    reason = _RECORDS[field](request[field])
    return None if reason is None else (WRONG_SHAPE, f"'{field}' {reason}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _kind(value: Any) -> str:
    """The JSON name of a value that is not an object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, list):
        return "list"
    return "string" if isinstance(value, str) else "number"


def _split(value: Any) -> str | None:
    """pandas' split orientation: `data` is a list of rows, each as long as `columns`."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        return "must be an object with a 'data' list (split orientation: columns, data)"
    rows = value["data"]
    if not rows:
        return "holds no records: 'data' is empty"
    columns = value.get("columns")
    if columns is not None:
        if not isinstance(columns, list):
            return "'columns' must be a list"
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(columns):
                return f"row {i} must be a list of {len(columns)} values, one per column"
    return None


def _records(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of records (JSON objects)"
    if not all(isinstance(row, dict) for row in value):
        return "must be a list of records (JSON objects), one per row"
    return None


def _tensor(value: Any) -> str | None:
    """A list of inputs, or named tensors: an object whose first value is a non-empty list."""
    if isinstance(value, list):
        return None if value else "holds no records: the list is empty"
    if isinstance(value, dict) and value:
        first = next(iter(value.values()))
        if isinstance(first, list) and not first:
            return "holds no records: its first named tensor is empty"
        return None
    return "must be a non-empty list or an object of named tensors"


def _instances(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of instances"
    return None


def _input_data(value: Any) -> str | None:
    if isinstance(value, dict) and "data" in value:
        return _split(value)
    return _tensor(value)


_RECORDS: dict[str, Callable[[Any], str | None]] = {
    "dataframe_split": _split,
    "dataframe_records": _records,
    "instances": _instances,
    "inputs": _tensor,
    "input_data": _input_data,
}
