"""The compiled fast path agrees with jsonschema on valid specs and on mutated ones."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mlopsgen.spec.fastcheck import Unsupported, compile_schema
from mlopsgen.spec.schema import schema_document

REPO = Path(__file__).resolve().parents[2]
SCHEMA = schema_document()
FAST = compile_schema(SCHEMA)
SLOW = Draft202012Validator(SCHEMA)
EXAMPLE = yaml.safe_load((REPO / "specs" / "wine-quality" / "model.yaml").read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 50000),
    st.floats(allow_nan=False),
    st.sampled_from(["", "x", "Small", "champion", "main.ml.x", "a@b.example", "mlopsgen/v1"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


ALL_PATHS = paths(EXAMPLE)[1:]


def mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent[path[-1]], dict):
        parent[path[-1]]["extra_key"] = value
    else:
        parent[path[-1]] = value
    return data


def test_example_is_valid_on_both() -> None:
    assert FAST(EXAMPLE) and SLOW.is_valid(EXAMPLE)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(ALL_PATHS),
    st.sampled_from(["replace", "delete", "add"]),
    values,
)
def test_fast_check_agrees_with_jsonschema(path: tuple[Any, ...], action: str, value: Any) -> None:
    data = mutate(EXAMPLE, path, action, value)
    assert FAST(data) == SLOW.is_valid(data)


@pytest.mark.parametrize("schema", [{"format": "email"}, {"if": {}}, {"$ref": "#/other"}])
def test_unknown_keywords_refuse_to_compile(schema: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        compile_schema(schema)


def test_unique_items_uses_json_equality() -> None:
    check = compile_schema({"uniqueItems": True})
    assert check([1, True]) and not check([1, 1.0]) and not check([{"a": [1]}, {"a": [1]}])
    assert check([1, True]) == Draft202012Validator({"uniqueItems": True}).is_valid([1, True])
