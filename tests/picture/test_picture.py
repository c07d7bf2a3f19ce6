"""PIPELINE.md, the picture of the pipeline (issue 14): what it shows, that hostile names stay
inside their labels, and that Mermaid itself (from npm, tests/picture/package-lock.json) reads
exactly the nodes, edges and stages render meant, for every example.

The golden files (golden/<spec>/PIPELINE.md) are compared by tests/render/test_golden.py. The
Mermaid checks need node and `npm ci --prefix tests/picture`, which `.ci/run` runs: they are
skipped locally without them and fail under CI=true. A slow test draws each example in
headless Chromium (test_screenshots.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from render.examples import EXAMPLES, GOLDEN, example_spec

from mlopsgen import layout
from mlopsgen.model import Approval, ChampionGate, Spec, ThresholdGate
from mlopsgen.render import picture, render_spec
from mlopsgen.render.jobs import render_jobs
from mlopsgen.render.quoting import markdown_text, mermaid_str

HERE = Path(__file__).parent
CHECKER = HERE / "check_mermaid.mjs"
# Everything Mermaid or Markdown could read as syntax, and a Mermaid directive, an HTML tag, an
# entity, the end of the Azure DevOps block, a comment end and a line break.
HOSTILE = (
    'x"q\' <b>#35;&amp;; %%{init: {"theme": "dark"}}%% `md` |pipe| [sq] (p) {c} \\ '
    "--> -.-> end subgraph\n::: *em* _u_ ~s~ $m$ !img"
)
# Mermaid's shapes (its flowchart db's vertex types) for picture.SHAPES.
MERMAID_SHAPES = {
    "task": "square",
    "trigger": "stadium",
    "approval": "hexagon",
    "gates": "lean_right",
    "serving": "cylinder",
    "agent": "subroutine",
}


def mermaid_tools() -> str:
    """node, with tests/picture's packages installed; else skip (locally) or fail (CI)."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed (Node.js 18 or later)"
    elif not (HERE / "node_modules" / "mermaid").is_dir():
        missing = "tests/picture has no node_modules: run `npm ci --prefix tests/picture`"
    if missing is not None:
        if os.environ.get("CI"):  # .ci/run installs them: never skip there
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    return node


def parse(files: list[Path]) -> dict[str, dict[str, Any]]:
    """What Mermaid parsed from each file's `::: mermaid` block, by file."""
    node = mermaid_tools()
    done = subprocess.run(
        [node, str(CHECKER), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    results = {r["file"]: r for r in map(json.loads, done.stdout.splitlines())}
    failed = {f: r["error"] for f, r in results.items() if not r["ok"]}
    assert not failed and done.returncode == 0, failed or done.stderr
    return results


def hostile_spec(name: str) -> Spec:
    """An example with a hostile stage name, gate metric, environment, approver, endpoint and
    batch tables in every stage (built past validation, which would refuse most of them)."""
    spec = example_spec(name)
    stages = []
    for index, stage in enumerate(spec.stages):
        serving = stage.serving and stage.serving._replace(
            endpoint=stage.serving.endpoint and f"{HOSTILE} endpoint",
            input_table=stage.serving.input_table and f"{HOSTILE} input",
            output_table=stage.serving.output_table and f"{HOSTILE} output",
        )
        gates = (ThresholdGate(HOSTILE, 0.5, None), ChampionGate(HOSTILE, True, 0.0))
        odd = index % 2 == 1
        stages.append(
            stage._replace(
                name=f"{HOSTILE} {index}",
                gates=gates,
                environment=f"{HOSTILE} env" if odd else None,
                approval=None if odd else Approval((f"{HOSTILE} approver",), 60, "ok", False),
                serving=serving,
            )
        )
    pipeline = spec.pipeline._replace(release_branch=f"{HOSTILE} branch")
    return spec._replace(stages=tuple(stages), pipeline=pipeline)


def mermaid_block(text: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index("::: mermaid")
    return lines[start + 1 : lines.index(":::", start)]


def expected(spec: Spec) -> dict[str, Any]:
    """What Mermaid should parse: picture's own nodes, edges and stages, in its terms."""
    drawn = picture.picture(spec, render_jobs(spec))
    nodes = [*drawn.triggers, *(n for g in drawn.groups for n in g.nodes)]
    edges = [*(e for g in drawn.groups for e in g.edges), *drawn.edges]
    return {
        "vertices": [[n.id, n.label, MERMAID_SHAPES[n.shape]] for n in nodes],
        "edges": [
            [e.source, e.target, e.label or "", "dotted" if e.dotted else "normal"] for e in edges
        ],
        "subgraphs": [[g.id, g.label, [n.id for n in g.nodes]] for g in drawn.groups],
    }


def test_every_example_renders_its_picture_where_layout_says() -> None:
    for name in EXAMPLES:
        files = {a.path: a.text for a in render_spec(example_spec(name)).files()}
        assert files[layout.PICTURE_FILE].startswith("<!-- Generated by mlopsgen")
        assert layout.is_generated_path(layout.PICTURE_FILE)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_picture_shows_each_jobs_tasks_as_rendered(name: str) -> None:
    """The deploy, train and PR-check tasks and their order are the job settings', read back."""
    spec = example_spec(name)
    jobs = render_jobs(spec)
    drawn = picture.picture(spec, jobs)
    shown = {(e.source, e.target) for g in drawn.groups for e in g.edges}
    for job in jobs:
        if job.kind == "batch":
            continue
        prefix = {"train": "train", "pr-check": "pr_check"}.get(job.kind)
        prefix = prefix or next(g.id for g in drawn.groups if g.label.endswith(job.stage))
        for task in job.settings["tasks"]:
            for before in task.get("depends_on", ()):
                assert (f"{prefix}_{before['task_key']}", f"{prefix}_{task['task_key']}") in shown


@pytest.mark.parametrize("name", EXAMPLES)
def test_approvals_gates_and_schedule_are_shown(name: str) -> None:
    spec = example_spec(name)
    drawn = picture.picture(spec, render_jobs(spec))
    labels = [n.label for g in drawn.groups for n in g.nodes]
    for stage in spec.stages:
        for gate in stage.gates:
            assert any(picture.gate_text(gate) in label for label in labels)
        if stage.environment is not None:
            assert f"checks of environment {stage.environment}" in labels
        elif stage.approval is not None:
            assert any(a in label for a in stage.approval.approvers for label in labels)
    has_schedule = any(t.id == "schedule" for t in drawn.triggers)
    assert has_schedule == (spec.schedule is not None and not spec.schedule.paused)


@pytest.mark.parametrize("name", EXAMPLES)
def test_hostile_names_stay_inside_their_labels(name: str) -> None:
    text = render_spec(hostile_spec(name)).picture.text
    block = mermaid_block(text)
    label = r'"(?:[^"#;<>&%`*_|\[\]{}()\\\n]|#\d+;)*"'
    grammar = re.compile(
        rf"graph TD|  end|  subgraph \w+ \[{label}\]"
        rf"| {{2,4}}\w+(\(\[|\[|\{{\{{|\[/|\[\(|\[\[){label}(\]\)|\]|\}}\}}|/\]|\)\]|\]\])"
        rf"| {{2,4}}\w+ (-->|-\.->)(\|{label}\|)? \w+"
    )
    assert [line for line in block if not grammar.fullmatch(line)] == []
    # the block ends where the template ends it; the paragraph stays one line
    assert text.count("\n:::\n") == 1
    paragraph = text.rstrip("\n").split("\n")[-1]
    assert markdown_text(f"{HOSTILE} branch") in paragraph
    unescaped = re.sub(r"\\.|&#\d+;", "", paragraph)
    assert not re.search(r"[<>\[\]`*_|~#$&!\n]", unescaped)


def test_labels_quote_and_escape() -> None:
    assert mermaid_str('a "b" <c> #d; e') == '"a #34;b#34; #60;c#62; #35;d#59; e"'
    assert mermaid_str("%%{init}%%\n") == '"#37;#37;#123;init#125;#37;#37;#10;"'
    assert markdown_text("a_b <i>[x](y)\n#") == "a\\_b \\<i\\>\\[x\\](y)&#10;\\#"


def test_the_header_comment_cannot_be_closed_by_the_spec_path() -> None:
    spec = example_spec("minimal")
    origin = spec.origin._replace(spec_path="specs/a-->b/model.yaml")
    text = render_spec(spec._replace(origin=origin)).picture.text
    header = text.split("\n")[:2]
    assert all(line.startswith("<!-- ") and line.count("-->") == 1 for line in header)


def test_mermaid_parses_every_golden_picture_as_render_meant() -> None:
    files = [GOLDEN / name / layout.PICTURE_FILE for name in EXAMPLES]
    results = parse(files)
    for name, file in zip(EXAMPLES, files, strict=True):
        result = results[str(file)]
        assert result["type"] == "flowchart-v2"
        want = expected(example_spec(name))
        assert {k: result[k] for k in want} == want, name


def test_mermaid_reads_hostile_names_back_exactly(tmp_path: Path) -> None:
    files = []
    for name in EXAMPLES:
        file = tmp_path / f"{name}.md"
        file.write_text(render_spec(hostile_spec(name)).picture.text, encoding="utf-8")
        files.append(file)
    results = parse(files)
    for name, file in zip(EXAMPLES, files, strict=True):
        want = expected(hostile_spec(name))
        assert {k: results[str(file)][k] for k in want} == want, name
