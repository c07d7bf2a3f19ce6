"""A pack cannot splice a value from the spec into its output by accident (issue 13): every
string a pack's template reads from the render context is tracked (`render/user_text.py`),
whatever the template computes from it, and printing one without a quoting filter is one
located error. Quoted, even a hostile value reaches the script as one word."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from packs.support import cli, pack, project

PIPELINE = "pipelines/azure-pipelines.yml.j2"
NOTEBOOK = "notebooks/task.py.j2"
HOSTILE = "a: b' ; rm -rf / # $(whoami)"


def _pipeline_pack(tmp_path: Path, body: str) -> Path:
    """A project whose pack fills deploy_steps_after with `body` (from line 3 on)."""
    text = '{% extends "builtin:' + PIPELINE + '" %}\n{% block deploy_steps_after scoped %}\n'
    pack(tmp_path, templates={PIPELINE: text + body + "{% endblock %}\n"})
    spec = project(tmp_path / "repo", str(tmp_path / "acme"))
    source = spec.read_text("utf-8")
    described = f"name: minimal\ndescription: {yaml.safe_dump(HOSTILE).splitlines()[0]}\n"
    spec.write_text(source.replace("name: minimal\n", described))
    return spec


REFUSED = {
    "printed as it is": "- script: echo {{ spec.description }}\n",
    "joined with ~": '- script: echo {{ "about: " ~ spec.description }}\n',
    "joined with +": '- script: echo {{ "about: " + spec.description }}\n',
    "formatted with %": '- script: echo {{ "about: %s" % spec.description }}\n',
    "a string method": "- script: echo {{ spec.description.strip() }}\n",
    "a generic filter": "- script: echo {{ spec.description | trim | lower }}\n",
    "a list joined": '- script: echo {{ [spec.name, stage.name] | join(" ") }}\n',
    "mapped then joined": '- script: echo {{ spec.stages | map(attribute="name") | join }}\n',
    "character by character": "- script: echo {% for c in spec.name %}{{ c }}{% endfor %}\n",
    "a list of characters": "- script: echo {{ spec.name | list | first }}\n",
    "str.format of a literal": '- script: echo {{ "{}-x".format(stage.name) }}\n',
    "set first": "{% set who = stage.name %}\n- script: echo {{ who }}\n",
    "a loop over a list": "{% for key in spec.tags or [spec.name] %}\n- script: echo {{ key }}\n"
    "{% endfor %}\n",
    "a context value": "- script: cat {{ spec_path }}\n",
    "a macro's argument": "{% macro say(v) %}echo {{ v }}{% endmacro %}\n"
    "- script: {{ say(stage.name) }}\n",
    "a slice": "- script: echo {{ spec.description[0:4] }}\n",
    "a default": "- script: echo {{ spec.missing_key | default(spec.name) }}\n",
}


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_a_value_from_the_spec_printed_without_quoting_is_refused(
    tmp_path: Path, body: str
) -> None:
    spec = _pipeline_pack(tmp_path, body)
    code, out = cli("render", str(spec))
    assert code == 1, out
    template = tmp_path / "acme" / "templates" / PIPELINE
    line = 3 + next(i for i, text in enumerate(body.splitlines()) if "{{" in text)
    assert out.startswith(f"error: {template}:{line}: prints a value from the spec without ")
    assert "without a quoting filter" in out and "| shell in a script" in out
    assert "Traceback" not in out
    assert not (spec.parent / "azure-pipelines.yml").exists()  # nothing written


def _rendered_steps(spec: Path) -> list[dict[str, object]]:
    pipeline = yaml.safe_load((spec.parent / "azure-pipelines.yml").read_text("utf-8"))
    deploy = [job for job in pipeline["stages"][-1]["jobs"] if "steps" in job][-1]
    return list(deploy["steps"])


# A script on its own lines (a block scalar): shell quoting is all it needs. On the `script:`
# line itself the value must be YAML too, see the last test.
QUOTED = {
    "| shell": "- script: |\n    echo {{ spec.description | shell }}\n",
    "joined then | shell": '- script: |\n    echo {{ ("about: " ~ spec.description) | shell }}\n',
    "a macro that quotes": "{% macro say(v) %}echo {{ v | shell }}{% endmacro %}\n"
    "- script: |\n    {{ say(spec.description) }}\n",
}


@pytest.mark.parametrize("body", QUOTED.values(), ids=QUOTED.keys())
def test_quoted_a_hostile_value_reaches_the_script_as_one_word(tmp_path: Path, body: str) -> None:
    spec = _pipeline_pack(tmp_path, body)
    code, out = cli("render", str(spec))
    assert code == 0, out
    scripts = [s["script"] for s in _rendered_steps(spec) if "script" in s]
    words = shlex.split(str(scripts[-1]))
    assert words[0] == "echo"
    assert words[1:] in ([HOSTILE], ["about: " + HOSTILE])


def test_the_packs_own_text_numbers_and_yaml_quoting_print_as_written(tmp_path: Path) -> None:
    body = (
        '- script: echo {{ "literal" }} {{ 42 }} {{ spec.training.timeout_minutes }}\n'
        "  displayName: {{ spec.description | yaml }}\n"
    )
    spec = _pipeline_pack(tmp_path, body)
    code, out = cli("render", str(spec))
    assert code == 0, out
    step = _rendered_steps(spec)[-1]
    assert step["displayName"] == HOSTILE
    assert str(step["script"]).startswith("echo literal 42 ")


@pytest.mark.parametrize(("cell", "renders"), [("{{ task }}", False), ("{{ task | py }}", True)])
def test_a_notebook_prelude_needs_py_quoting(tmp_path: Path, cell: str, renders: bool) -> None:
    text = '{% extends "builtin:' + NOTEBOOK + '" %}\n{% block prelude %}\nprint(' + cell + ")\n"
    pack(tmp_path, templates={NOTEBOOK: text + "{% endblock %}\n"})
    spec = project(tmp_path / "repo", str(tmp_path / "acme"))
    code, out = cli("render", str(spec))
    assert code == (0 if renders else 1), out
    if not renders:
        assert f"{tmp_path / 'acme' / 'templates' / NOTEBOOK}:3: prints a value" in out


def test_shell_quoting_on_the_script_line_itself_is_caught_by_the_yaml_check(
    tmp_path: Path,
) -> None:
    """The second guard, on the rendered result: a shell-quoted value with ': ' on the
    `script:` line is not YAML; render says so instead of writing a broken pipeline."""
    spec = _pipeline_pack(tmp_path, "- script: echo {{ spec.description | shell }}\n")
    code, out = cli("render", str(spec))
    assert code == 1, out
    assert "the template packs render a pipeline that is not YAML at line " in out
    assert not (spec.parent / "azure-pipelines.yml").exists()


def test_every_unquoted_line_is_reported_at_once(tmp_path: Path) -> None:
    body = (
        "- script: echo {{ spec.name }}\n"  # line 3
        "  displayName: {{ spec.description | yaml }}\n"
        "- script: echo {{ stage.name }} {{ spec.name }}\n"  # line 5, twice
        "{{ super() }}\n"  # the built-in block's own output (empty) is not the pack's print
    )
    spec = _pipeline_pack(tmp_path, body)
    code, out = cli("render", str(spec))
    assert code == 1, out
    template = tmp_path / "acme" / "templates" / PIPELINE
    assert out.startswith(
        f"error: {template}:3: prints a value from the spec without a quoting filter "
        "(also at line 5): quote it for where it goes: | shell in a script"
    ), out
