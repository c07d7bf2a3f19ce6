"""Hostile strings in every string field parse back unchanged and add no key, step or statement.

Each field gets its own hostile value (quotes, newlines, `#`, `: `, backslashes, `\"\"\"`,
Azure macro syntax...) and, in a second render, a plain token. Parsing each output (YAML,
JSON, Python AST) and mapping every hostile value back to its token must give exactly the
structure of the plain render: same keys, same steps, same statements, same values.
Fields that reach azure-pipelines.yml get the payload without macro syntax, because
`validate` rejects that there (tested below) and Azure would expand it in any value.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlopsgen import layout
from mlopsgen.errors import MlopsgenError
from mlopsgen.model import Origin, Spec, build_spec
from mlopsgen.render import render_spec
from mlopsgen.spec.compile import compile_text

MACROS = "$(System.AccessToken) ${{ variables.x }} $[ variables.y ]"
SAFE_PAYLOAD = (
    "a 'single' \"double\" \\back\\slash\\ \"\"\" ''' #hash: colon: {braces} [list], *star &amp"
    " ! |pipe >fold %pct @at `tick`\nnew line\r\n\ttab -- ---\n- dash\n? q ~ null yes 0x1F"
)
PAYLOAD = SAFE_PAYLOAD + " " + MACROS

# Fields whose values reach the pipeline (and so must not contain macro syntax).
PIPELINE_FIELDS = {
    "workspace",
    "service_connection",
    "variable_group",
    "approver",
    "instructions",
    "origin",
}


class Values:
    """Hands out one distinct value per field: hostile or a plain token."""

    def __init__(self, hostile: bool) -> None:
        self.hostile = hostile
        self.pairs: list[tuple[str, str]] = []

    def __call__(self, field: str) -> str:
        i = len(self.pairs)
        token = f"tok{i}x"
        payload = SAFE_PAYLOAD if field in PIPELINE_FIELDS else PAYLOAD
        hostile = f"<{i}>{payload}</{i}>"
        self.pairs.append((hostile, token))
        return hostile if self.hostile else token


def spec_data(v: Callable[[str], str], target: str) -> dict[str, Any]:
    stage = {
        "name": "staging",
        "workspace": v("workspace"),
        "workspace_folder": v("folder"),
        "service_connection": v("service_connection"),
        "variable_group": v("variable_group"),
        "gates": [
            {"metric": v("metric"), "min": 0.5},
            {"metric": v("metric"), "compare": "champion", "higher_is_better": True},
        ],
        "approval": {
            "approvers": [v("approver"), v("approver")],
            "instructions": v("instructions"),
        },
        "azureml": {"resource_group": v("rg"), "workspace": v("aml")},
    }
    serving = {
        "target": target,
        "endpoint": v("endpoint"),
        "workload_size": v("size"),
        "instance_type": v("instance"),
        "smoke_test": v("smoke"),
        "input_table": v("table"),
        "output_table": v("table"),
        "cron": "0 1 * * *",
        "timezone": v("tz"),
    }
    return {
        "apiVersion": "mlopsgen/v1",
        "name": "hostile",
        "description": v("description"),
        "owners": [v("owner")],
        "model": {"name": v("model"), "registry": "unity-catalog"},
        "training": {
            "notebook": v("notebook"),
            "parameters": {v("param_key"): v("param_value"), "plain": v("param_value")},
            "compute": {"spark_version": v("spark"), "node_type": v("node"), "workers": 1},
            "libraries": [v("library")],
            "pr_check": {"parameters": {"plain": v("pr_value")}},
        },
        # The pipeline converts this zone to UTC, so it is a real one (validate accepts only
        # IANA names); hostile zones reach the output through serving.timezone (batch job).
        "schedule": {"cron": "0 3 * * 1", "timezone": "Europe/Berlin"},
        "stages": [stage, {**stage, "name": "production"}],
        "serving": serving,
    }


def build(hostile: bool, target: str) -> tuple[Spec, list[tuple[str, str]]]:
    values = Values(hostile)
    data = spec_data(values, target)
    folder = values("origin")
    origin = Origin(spec_path=f"{folder}/model.yaml", spec_dir=folder)
    hostile_folder, token = values.pairs[-1]
    # The header shell-quotes the whole spec path in its "Regenerate with" command.
    quoted = (shlex.quote(f"{hostile_folder}/model.yaml"), f"{token}/model.yaml")
    return build_spec(data, origin), [quoted, *values.pairs]


def _unhostile(text: str, pairs: list[tuple[str, str]]) -> str:
    for hostile, token in pairs:
        text = text.replace(hostile, token)
    return text


def normalize(node: Any, pairs: list[tuple[str, str]]) -> Any:
    """Map hostile values (also inside JSON-encoded strings) back to their tokens."""
    if isinstance(node, dict):
        return {normalize(k, pairs): normalize(v, pairs) for k, v in node.items()}
    if isinstance(node, list):
        return [normalize(v, pairs) for v in node]
    if isinstance(node, str):
        if node[:1] in "[{":
            try:
                inner = json.loads(node)
            except ValueError:
                pass
            else:
                return ["json", normalize(inner, pairs)]
        return _unhostile(node, pairs)
    return node


class _Constants(ast.NodeTransformer):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, str):
            node.value = json.dumps(normalize(node.value, self.pairs))
        return node


_ENTITY = re.compile(r"#(\d+);")  # a Mermaid entity code


def _markdown_lines(text: str) -> list[str]:
    """PIPELINE.md as Mermaid and Markdown read it: each quoted Mermaid label with its entity
    codes decoded, each Markdown line with its backslash escapes removed. The header comment
    is left out: it is the other outputs' header, with "--" broken up so no spec path can
    close the comment (tests/picture)."""
    lines, diagram = [], False
    for line in text.split("\n"):
        if line.startswith("<!-- "):
            continue
        diagram = line == "::: mermaid" or (diagram and line != ":::")
        if diagram:
            line = re.sub(r'"[^"]*"', lambda m: _ENTITY.sub(lambda c: chr(int(c[1])), m[0]), line)
        else:
            line = re.sub(r"\\(.)|&#(\d+);", lambda m: m[1] or chr(int(m[2])), line)
        lines.append(line)
    return lines


def parsed(path: str, text: str, pairs: list[tuple[str, str]]) -> Any:
    if path.endswith(".md"):
        return normalize(_markdown_lines(text), pairs)
    if path.endswith(".yml"):
        return normalize(yaml.safe_load(text), pairs)
    if path.endswith(".json"):
        return normalize(json.loads(text), pairs)
    return ast.dump(_Constants(pairs).visit(ast.parse(text)))


@pytest.mark.parametrize("target", ["databricks-serving", "azureml", "batch"])
def test_hostile_strings_round_trip_in_every_output(target: str) -> None:
    hostile_spec, pairs = build(True, target)
    plain_spec, plain_pairs = build(False, target)
    assert [t for _, t in pairs][1:] == [t for _, t in plain_pairs][1:]
    hostile_files = {a.path: a.text for a in render_spec(hostile_spec).files()}
    plain_files = {a.path: a.text for a in render_spec(plain_spec).files()}
    assert hostile_files.keys() == plain_files.keys()
    for path in sorted(plain_files):
        if layout.is_runtime_file(path):  # no user string reaches the runtime's files
            assert hostile_files[path] == plain_files[path], path
            continue
        assert parsed(path, hostile_files[path], pairs) == parsed(path, plain_files[path], []), path


def test_hostile_values_are_present_verbatim_after_parsing() -> None:
    spec, _pairs = build(True, "databricks-serving")
    files = {a.path: a.text for a in render_spec(spec).files()}
    pipeline = yaml.safe_load(files["azure-pipelines.yml"])
    approve = pipeline["stages"][2]["jobs"][0]["steps"][0]["inputs"]
    assert approve["instructions"] == spec.stages[0].approval.instructions  # type: ignore[union-attr]
    train = json.loads(files["databricks/train.json"])
    params = train["tasks"][0]["notebook_task"]["base_parameters"]
    assert dict(spec.training.parameters).items() <= params.items()
    gate = ast.parse(files["notebooks/gate.py"])
    literals = [
        ast.literal_eval(n.args[1])
        for n in ast.walk(gate)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "read_params"
    ]
    assert literals[0]["model_name"] == spec.model.name


@pytest.mark.parametrize("field", ["service_connection", "variable_group", "instructions"])
@pytest.mark.parametrize("macro", ["$(System.AccessToken)", "${{ variables.x }}", "$[ 1 ]"])
def test_the_renderer_refuses_macros_bound_for_the_pipeline(field: str, macro: str) -> None:
    spec, _ = build(False, "databricks-serving")
    data = spec_data(Values(False), "databricks-serving")
    if field == "instructions":
        data["stages"][0]["approval"]["instructions"] = f"see {macro}"
    else:
        data["stages"][0][field] = f"x{macro}"
    bad = build_spec(data, spec.origin)
    with pytest.raises(MlopsgenError, match="macro syntax"):
        render_spec(bad)


VALID = (Path(__file__).parents[2] / "specs" / "wine-quality" / "model.yaml").read_text("utf-8")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "service_connection: sc-databricks-staging",
            "service_connection: 'sc-$(System.AccessToken)'",
        ),
        ("service_connection: sc-databricks-prod", "service_connection: 'sc-${{ variables.x }}'"),
        ("approvers: [ml-leads@wine.example]", "approvers: ['$[ variables.y ]']"),
        (
            "instructions: Check the staging",
            "instructions: $(System.AccessToken) Check the staging",
        ),
    ],
)
def test_validation_rejects_macro_syntax_bound_for_the_pipeline(old: str, new: str) -> None:
    assert old in VALID
    result = compile_text(
        VALID.replace(old, new),
        Path("specs/wine-quality/model.yaml"),
        file_exists=lambda _: True,
        origin=Origin("specs/wine-quality/model.yaml", "specs/wine-quality"),
    )
    assert result.spec is None
    assert any(d.severity == "error" and "macro syntax" in d.message for d in result.diagnostics)


def test_comment_text_escapes_exactly_what_is_outside_the_safe_ranges() -> None:
    """The unsafe set is spelled out (cheap to compile, issue 15): over every code point it is
    the complement of the safe ranges, which is what comment_text promises."""
    from mlopsgen.render.quoting import _comment_unsafe, comment_text

    safe = re.compile(r"[^\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd]")
    every = "".join(map(chr, range(0x110000)))
    assert _comment_unsafe().findall(every) == safe.findall(every)
    assert comment_text("a\nb\u2028c\U0001f600") == "a\\nb\\u2028c\\ud83d\\ude00"
