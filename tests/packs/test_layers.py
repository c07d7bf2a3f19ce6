"""The layered, sandboxed environment (issue 13): built-in templates render the same bytes
in it, the most specific layer wins, and a pack's template can neither change data nor reach
private attributes (one located error, not a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packs.support import cli, pack, project
from render.examples import EXAMPLES, example_spec, example_tree

from mlopsgen.model import Layer
from mlopsgen.render import environment, render_spec
from mlopsgen.render.environment import template_origins, template_set_hash

PIPELINE = "pipelines/azure-pipelines.yml.j2"
# whole-file replacements (the escape hatch): still a pipeline with stages, or render refuses
LOW, ACME, OURS = ("stages: []  # low\n", "stages: []  # acme\n", "stages: []  # ours\n")


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_sandbox_renders_the_built_in_templates_byte_for_byte(
    name: str, tmp_path: Path
) -> None:
    """A layer with templates (only a new partial) switches to the sandboxed environment;
    every file but the manifest is then the golden one."""
    folder = pack(tmp_path, templates={"pipelines/_acme.j2": "{# unused #}\n"})
    layer = Layer("acme", "1.0.0", str(folder / "templates"))
    spec = example_spec(name)
    layered = spec._replace(origin=spec.origin._replace(layers=(layer,)))
    rendered = {a.path: a.text for a in render_spec(layered).files()}
    expected = {p: t for p, t in example_tree(name).items() if p in rendered}
    assert rendered == expected


def test_the_most_specific_layer_wins_and_is_shown(tmp_path: Path) -> None:
    low = pack(tmp_path, "low", templates={PIPELINE: LOW})
    high = pack(tmp_path, "high", templates={PIPELINE: '{% extends "low:' + PIPELINE + '" %}\n'})
    layers = (
        Layer("low", "1", str(low / "templates")),
        Layer("high", "1", str(high / "templates")),
    )
    origins = template_origins(layers)
    assert origins[PIPELINE] == "high"
    assert origins["pipelines/_macros.j2"] == "builtin"
    assert template_set_hash(layers) != template_set_hash(layers[::-1])
    spec = project(tmp_path / "repo", str(low), str(high))
    assert cli("render", str(spec))[0] == 0
    assert (spec.parent / "azure-pipelines.yml").read_text("utf-8") == LOW
    code, out = cli("layers", str(spec))
    assert code == 0, out
    shown = f"  template {PIPELINE}: high (extends low:{PIPELINE}; blocks: none)\n"
    assert shown in out


def test_layers_tells_a_replacement_and_a_partial(tmp_path: Path) -> None:
    templates = {PIPELINE: LOW, "pipelines/_steps.j2": "- script: echo\n"}
    spec = project(tmp_path / "repo", str(pack(tmp_path, templates=templates)))
    code, out = cli("layers", str(spec))
    assert code == 0, out
    assert f"  template {PIPELINE}: acme (replaces the whole file)\n" in out
    assert "  template pipelines/_steps.j2: acme (a partial of its own)\n" in out


def test_the_repository_overrides_folder_sits_above_every_pack(tmp_path: Path) -> None:
    acme = pack(tmp_path, templates={PIPELINE: ACME})
    spec = project(tmp_path / "repo", str(acme), extra='overrides = "ours"\n')
    ours = tmp_path / "repo" / "ours" / "pipelines"
    ours.mkdir(parents=True)
    (ours / "azure-pipelines.yml.j2").write_text('{% extends "acme:' + PIPELINE + '" %}x\n')
    assert cli("render", str(spec))[0] == 0
    assert (spec.parent / "azure-pipelines.yml").read_text("utf-8") == ACME
    (ours / "azure-pipelines.yml.j2").write_text(OURS)
    # templates are read once per process (as the built-in ones): a new one needs a new process
    for cached in (environment.template, environment.layered_environment):
        cached.cache_clear()
    assert cli("render", str(spec))[0] == 0
    assert (spec.parent / "azure-pipelines.yml").read_text("utf-8") == OURS


@pytest.mark.parametrize(
    "body",
    [
        "{{ spec.stages.__class__ }}",  # a private attribute
        "{% set seen = [] %}{{ seen.append(1) }}",  # changing data
        "{{ no_such_name }}",  # strict: an undefined name is an error
    ],
)
def test_a_pack_template_cannot_reach_outside_the_sandbox(tmp_path: Path, body: str) -> None:
    text = '{% extends "builtin:' + PIPELINE + '" %}\n{% block pipeline_variables %}\n'
    pack(tmp_path, templates={PIPELINE: text + body + "\n{% endblock %}\n"})
    spec = project(tmp_path / "repo", str(tmp_path / "acme"))
    code, out = cli("render", str(spec))
    assert code == 1, out
    assert "Traceback" not in out
    assert f"{tmp_path / 'acme/templates' / PIPELINE}:3: " in out
