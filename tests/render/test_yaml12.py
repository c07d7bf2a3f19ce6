"""Generated pipelines mean the same to a YAML 1.2 reader (Azure DevOps) and to PyYAML (1.1).

Azure DevOps reads YAML 1.2; PyYAML, the validators and most tooling read 1.1, where plain
`on`, `yes`, `no`, `010` or `1:30` change type or value. A generated file that both parsers
read identically cannot mean one thing in review and another on the service.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from render.examples import EXAMPLES, example_tree
from render.test_quoting import build
from ruamel.yaml import YAML

from mlopsgen.render import render_spec


def read_yaml12(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)  # the pure loader implements YAML 1.2


def yaml_outputs(tree: dict[str, str]) -> dict[str, str]:
    return {path: text for path, text in tree.items() if path.endswith((".yml", ".yaml"))}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_pipelines_read_the_same_in_yaml_1_1_and_1_2(name: str) -> None:
    outputs = yaml_outputs(example_tree(name))
    assert outputs, f"{name} generated no YAML"
    for path, text in outputs.items():
        assert read_yaml12(text) == yaml.safe_load(text), path


@pytest.mark.parametrize("target", ["databricks-serving", "azureml", "batch"])
def test_hostile_strings_read_the_same_in_yaml_1_1_and_1_2(target: str) -> None:
    spec, _ = build(hostile=True, target=target)
    for artifact in render_spec(spec).files():
        if artifact.path.endswith((".yml", ".yaml")):
            assert read_yaml12(artifact.text) == yaml.safe_load(artifact.text), artifact.path


def test_the_check_can_tell_the_two_readers_apart() -> None:
    # The premise: a plain `on` is a boolean to YAML 1.1 and a string to YAML 1.2.
    assert yaml.safe_load("a: on") != read_yaml12("a: on")
