"""The packaged schema: valid Draft 2020-12, documented everywhere, closed, and its reference.

That the model applies every default the schema declares is tested in test_defaults.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mlopsgen.model import Origin
from mlopsgen.spec.compile import compile_text
from mlopsgen.spec.reference import MINIMAL_EXAMPLE, render_reference
from mlopsgen.spec.schema import resolve, schema_document

REPO = Path(__file__).resolve().parents[2]
SCHEMA = schema_document()


def subschemas(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from subschemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from subschemas(value, f"{path}/{i}")


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def test_every_property_has_a_description() -> None:
    """Its own, or its `$ref` definition's (what the reference and editors show)."""
    for path, node in subschemas(SCHEMA):
        for name, prop in node.get("properties", {}).items():
            if isinstance(prop, dict) and resolve(SCHEMA, prop).get("description") is None:
                pytest.fail(f"{path}/properties/{name} has no description")


def test_every_object_is_closed() -> None:
    for path, node in subschemas(SCHEMA):
        if node.get("type") == "object":
            assert "additionalProperties" in node, path


def test_reference_doc_is_generated_from_the_schema() -> None:
    checked_in = (REPO / "schemas" / "model.v1.reference.md").read_text(encoding="utf-8")
    assert checked_in == render_reference(), (
        "schemas/model.v1.reference.md is stale: "
        "python -m mlopsgen.spec.reference > schemas/model.v1.reference.md"
    )


def test_reference_lists_every_property() -> None:
    text = render_reference()
    for path, node in subschemas(SCHEMA):
        for name in node.get("properties", {}):
            assert f"{name}` |" in text, f"{path}/{name} missing from the reference"


def test_reference_example_is_valid() -> None:
    result = compile_text(
        MINIMAL_EXAMPLE,
        Path("model.yaml"),
        file_exists=lambda _: True,
        origin=Origin("model.yaml", "."),
    )
    assert result.diagnostics == ()


def test_every_integer_has_a_maximum() -> None:
    """Issue 14: `timeout_minutes: 99999999999999999999999999` and its kin are refused by the
    schema (E206), never passed on to a service that would choke on them."""
    import json
    from pathlib import Path

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "model.v1.schema.json").read_text()
    )
    unbounded: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer" and "maximum" not in node:
                unbounded.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(schema, "")
    assert unbounded == []
