"""The spec reference (schemas/model.v1.reference.md), generated from the schema itself.

A test compares the checked-in file with `render_reference`, so docs and schema cannot
drift. Regenerate with `python -m mlopsgen.spec.reference > schemas/model.v1.reference.md`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from mlopsgen.spec.schema import resolve, schema_document

Row = tuple[str, str, str, str, str]  # key, type, required, default, description

_HEADER = """\
# model.yaml reference (apiVersion: mlopsgen/v1)

<!-- Generated from schemas/model.v1.schema.json. Do not edit; regenerate with `make regen`. -->

{description}

Every key, its type, whether it is required, its default and its meaning. Rules that
involve several keys (compute kinds, serving targets, registries, schedules, secrets) are
checked by `mlopsgen validate` and listed in the README.

The smallest valid spec (the full example is `specs/wine-quality/model.yaml`):

```yaml
{example}```

| key | type | required | default | description |
| --- | --- | --- | --- | --- |
"""

MINIMAL_EXAMPLE = """\
apiVersion: mlopsgen/v1
name: my-model
model:
  name: main.ml.my_model
training:
  notebook: notebooks/train.py
stages:
  - name: staging
    workspace: https://adb-1111111111111111.11.azuredatabricks.net
    service_connection: sc-databricks-staging
"""


def render_reference(schema: Mapping[str, Any] | None = None) -> str:
    doc = schema if schema is not None else schema_document()
    rows = list(_rows(doc, doc, ""))
    lines = [_HEADER.format(description=doc["description"], example=MINIMAL_EXAMPLE)]
    lines.extend(f"| {' | '.join(_cell(c) for c in row)} |\n" for row in rows)
    return "".join(lines)


def _rows(root: Mapping[str, Any], node: Mapping[str, Any], prefix: str) -> Iterator[Row]:
    node = resolve(root, node)
    required = set(node.get("required", ()))
    for key, sub in node.get("properties", {}).items():
        sub = resolve(root, sub)
        name = f"{prefix}{key}"
        yield (
            f"`{name}`",
            _type(root, sub),
            "yes" if key in required else "",
            _default(sub),
            sub["description"],
        )
        yield from _children(root, sub, name)


def _children(root: Mapping[str, Any], sub: Mapping[str, Any], name: str) -> Iterator[Row]:
    if "properties" in sub:
        yield from _rows(root, sub, f"{name}.")
    items = resolve(root, sub.get("items", {}))
    if "properties" in items:
        yield from _rows(root, items, f"{name}[].")
    for variant in items.get("oneOf", ()):
        variant = resolve(root, variant)
        yield from _rows(root, variant, f"{name}[] ({variant['title']}).")
    extra = sub.get("additionalProperties")
    if isinstance(extra, dict) and "type" in extra:
        yield f"`{name}.<name>`", _type(root, extra), "", "", extra["description"]


def _type(root: Mapping[str, Any], sub: Mapping[str, Any]) -> str:
    if "const" in sub:
        return f"`{sub['const']}`"
    if "enum" in sub:
        return " or ".join(f"`{v}`" for v in sub["enum"])
    kind = sub.get("type", "")
    if kind == "array":
        return f"list of {_type(root, resolve(root, sub.get('items', {}))) or 'mapping'}"
    if kind == "object" and isinstance(sub.get("additionalProperties"), dict):
        return "map of string"
    names = {"object": "mapping", "integer": "integer", "number": "number"}
    return names.get(kind, kind) if kind else ""


def _default(sub: Mapping[str, Any]) -> str:
    return f"`{json.dumps(sub['default'])}`" if "default" in sub else ""


def _cell(text: str) -> str:
    if not text.startswith("`"):  # outside code spans, <name> would read as an HTML tag
        text = text.replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    print(render_reference(), end="")
