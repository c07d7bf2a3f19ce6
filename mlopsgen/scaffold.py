"""What `mlopsgen init` writes for a new model (issue 14): a spec, a training notebook that
follows the hand-over contract and really trains a small model, a smoke-test request and a
test. Pure: answers in, files out; the command layer asks, validates, writes and renders.

The questions come from the JSON Schema (their help is the key's description, their default
the schema's or one derived from the answers before), so `init` says what the reference says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlopsgen.render.artifacts import Artifact
from mlopsgen.render.environment import render_template
from mlopsgen.resources import templates_dir
from mlopsgen.spec.schema import schema_document, schema_text

SPEC_FILE = "model.yaml"
SCHEMA_FILE = ".mlopsgen/model.v1.schema.json"  # the spec's yaml-language-server header


@dataclass(frozen=True)
class Question:
    key: str  # the answer's name (`--set key=value`)
    schema_path: tuple[str, ...]  # where the schema describes it
    required: bool = False  # no default: --no-input needs it


QUESTIONS = (
    Question("name", ("properties", "name")),
    Question("description", ("properties", "description")),
    Question("owners", ("properties", "owners")),
    Question("model_name", ("properties", "model", "properties", "name")),
    Question("stage", ("$defs", "stage", "properties", "name")),
    Question("workspace", ("$defs", "stage", "properties", "workspace"), required=True),
    Question("service_connection", ("$defs", "stage", "properties", "service_connection")),
)
KEYS = tuple(q.key for q in QUESTIONS)


def help_text(question: Question) -> str:
    """The schema's description of the key the question fills in."""
    node: Any = schema_document()
    for step in question.schema_path:
        node = node[step]
    return str(node.get("description", ""))


def default(key: str, answers: Mapping[str, str], folder_name: str) -> str | None:
    """The default answer, from the folder's name and the answers given before."""
    name = answers.get("name") or _name_from(folder_name)
    stage = answers.get("stage") or "prod"
    defaults = {
        "name": name,
        "description": f"The {name} model.",
        "owners": "",
        "model_name": f"main.default.{name.replace('-', '_')}",
        "stage": stage,
        "workspace": None,
        "service_connection": f"sc-databricks-{stage}",
    }
    return defaults[key]


def _name_from(folder_name: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", folder_name.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"model-{name}".strip("-")
    return (name + "-model")[:40] if len(name) < 3 else name[:40]


def scaffold(answers: Mapping[str, str]) -> tuple[Artifact, ...]:
    """The files of a new model folder, paths relative to it."""
    owners = [o.strip() for o in answers["owners"].split(",") if o.strip()]
    spec = render_template("init/model.yaml.j2", {**answers, "owners": owners})
    notebook = render_template("init/train.py.j2", {"name": answers["name"]})
    request = (templates_dir() / "init" / "sample_request.json").read_text("utf-8")
    test = (templates_dir() / "init" / "test_spec.py").read_text("utf-8")
    return (
        Artifact(SPEC_FILE, spec),
        Artifact(SCHEMA_FILE, schema_text()),
        Artifact("notebooks/train.py", notebook),
        Artifact("tests/sample_request.json", request),
        Artifact("tests/test_spec.py", test),
    )
