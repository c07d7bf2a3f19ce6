"""The orchestrator: defaults, purity, repo-relative origins, layer order."""

from __future__ import annotations

from pathlib import Path

from mlopsgen import layout, model
from mlopsgen.model import Origin
from mlopsgen.spec.compile import compile_spec, compile_text, repo_origin

MINIMAL = """\
apiVersion: mlopsgen/v1
name: demo-model
model: {name: main.ml.demo}
training: {notebook: train.py}
stages:
  - {name: staging, workspace: "https://adb-1.1.azuredatabricks.net/", variable_group: vg}
"""
ORIGIN = Origin(spec_path="model.yaml", spec_dir=".")


def compile_minimal(text: str = MINIMAL, exists: bool = True) -> model.Spec | None:
    return compile_text(text, Path("m.yaml"), file_exists=lambda _: exists, origin=ORIGIN).spec


def test_defaults_are_applied_in_the_model() -> None:
    """Every default against the schema is in test_defaults.py; here, a minimal spec."""
    spec = compile_minimal()
    assert spec is not None
    assert spec.training.compute.kind == "new_cluster"
    assert spec.training.compute.new_cluster is not None
    assert spec.training.compute.new_cluster.workers == 1
    assert spec.schedule is None and spec.serving is None and spec.training.pr_check is None
    stage = spec.stages[0]
    assert stage.workspace == "https://adb-1.1.azuredatabricks.net"
    assert stage.workspace_folder == layout.default_workspace_folder("demo-model")
    assert (stage.service_connection, stage.variable_group) == (None, "vg")


def test_compute_kinds_and_paths_normalized() -> None:
    text = MINIMAL.replace(
        "{notebook: train.py}", "{notebook: ./nb/../train.py, compute: {serverless: true}}"
    )
    spec = compile_minimal(text)
    assert spec is not None
    assert spec.training.notebook == "train.py"
    assert spec.training.compute.kind == "serverless"
    scaled = MINIMAL.replace(
        "{notebook: train.py}", "{notebook: t.py, compute: {autoscale: {min: 1, max: 3}}}"
    )
    spec = compile_minimal(scaled)
    assert spec is not None and spec.training.compute.new_cluster is not None
    assert spec.training.compute.new_cluster.workers is None
    assert spec.training.compute.new_cluster.autoscale_max == 3


def test_any_error_means_no_spec() -> None:
    result = compile_text(MINIMAL, Path("m.yaml"), file_exists=lambda _: False, origin=ORIGIN)
    assert result.spec is None and not result.ok
    assert [d.code for d in result.diagnostics] == ["E303"]
    assert result.diagnostics[0].location.file == "m.yaml"


def test_file_path_is_printed_as_given(tmp_path: Path) -> None:
    spec = tmp_path / "model.yaml"
    spec.write_text(MINIMAL.replace("demo-model", "Bad"), encoding="utf-8")
    (tmp_path / "train.py").write_text("", encoding="utf-8")
    result = compile_spec(spec)
    assert [d.location.file for d in result.diagnostics] == [str(spec)]


def test_non_utf8_spec_is_located_at_the_first_bad_byte(tmp_path: Path) -> None:
    spec = tmp_path / "model.yaml"
    spec.write_bytes(b"apiVersion: mlopsgen/v1\nname: d\xc3\xa9mo \xff\xfe\n")
    (diagnostic,) = compile_spec(spec).diagnostics
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == (
        "E010",
        2,
        12,  # 'é' is one column however many bytes it takes
    )
    assert "0xFF" in diagnostic.message


def test_repo_origin_uses_enclosing_git_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    folder = tmp_path / "specs" / "demo"
    folder.mkdir(parents=True)
    assert repo_origin(folder / "model.yaml") == Origin("specs/demo/model.yaml", "specs/demo")


def test_repo_origin_without_git_is_the_spec_folder(tmp_path: Path) -> None:
    assert repo_origin(tmp_path / "model.yaml") == Origin("model.yaml", ".")


def test_api_version_is_the_only_error_when_wrong() -> None:
    text = MINIMAL.replace("mlopsgen/v1", "v1").replace("demo-model", "X") + "bogus: 1\n"
    result = compile_text(text, Path("m.yaml"), file_exists=lambda _: True, origin=ORIGIN)
    assert [d.format() for d in result.diagnostics] == [
        "m.yaml:1:13: error[E100]: apiVersion: unsupported version 'v1'; "
        "supported versions: mlopsgen/v1"
    ]


def test_macro_syntax_in_the_spec_path_is_reported_at_the_top() -> None:
    """The renderer writes the spec's path into azure-pipelines.yml; validate says so first."""
    origin = Origin("ml/$(team)/model.yaml", "ml/$(team)")
    result = compile_text(MINIMAL, Path("m.yaml"), file_exists=lambda _: True, origin=origin)
    assert [(d.code, d.location.line, d.location.column) for d in result.diagnostics] == [
        ("E320", 1, 1)
    ]
