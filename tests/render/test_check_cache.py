"""`check` replays a recorded pass only when nothing it depends on changed (issue 15).

The record (mlopsgen/check_cache.py) is an optimisation of a merge gate, so the tests are
differential: after a passing check has recorded its verdict, every change below must give
`check` exactly the exit code and output that `check --no-cache` (a full compile, render and
comparison) gives; and where nothing changed, the spec must not be compiled at all.
"""

from __future__ import annotations

import json
import os
import shutil
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_runner import invoke
from render.examples import SPECS

from mlopsgen import check_cache
from mlopsgen.spec import compile as compile_module

WINE = "specs/wine-quality/model.yaml"
MINIMAL = "specs/minimal/model.yaml"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    for name in ("wine-quality", "minimal"):
        shutil.copytree(SPECS / name, tmp_path / "repo" / "specs" / name)
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("MLOPSGEN_CACHE_DIR", str(tmp_path / "records"))
    assert invoke("render", "-q", WINE, MINIMAL).exit_code == 0
    return tmp_path / "repo"


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The specs `check` compiles (it imports compile_spec when it runs)."""
    calls: list[str] = []
    real = compile_module.compile_spec

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        calls.append(str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(compile_module, "compile_spec", counting)
    yield calls


def outcome(*args: str) -> tuple[int, str]:
    result = invoke("check", *args)
    return result.exit_code, result.output


def warm(*specs: str) -> None:
    """A passing check, which records its verdict."""
    code, out = outcome(*specs)
    assert code == 0, out


@pytest.mark.usefixtures("repo")
def test_an_unchanged_spec_is_not_compiled_again(compiled: list[str]) -> None:
    first = outcome(WINE, MINIMAL)
    assert first[0] == 0 and compiled == [WINE, MINIMAL]
    compiled.clear()
    assert outcome(WINE, MINIMAL) == first  # the same verdict and the same warnings
    assert compiled == []
    assert outcome("--no-cache", WINE, MINIMAL) == first
    assert compiled == [WINE, MINIMAL]


@pytest.mark.usefixtures("repo")
@pytest.mark.parametrize("output_format", ["text", "azure", "github"])
def test_warnings_are_replayed_as_a_full_check_prints_them(
    compiled: list[str], output_format: str
) -> None:
    full = outcome("--no-cache", "--format", output_format, WINE)
    assert full[0] == 0 and "W001" in full[1]  # wine-quality's schedule is in Europe/Berlin
    assert outcome("--format", output_format, WINE) == full  # records the pass
    compiled.clear()
    assert outcome("--format", output_format, WINE) == full
    assert compiled == []


def _edit(relative: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        path.write_bytes(path.read_bytes() + b"# edited\n")

    return change


def _delete(relative: str) -> Callable[[Path], None]:
    return lambda root: (root / relative).unlink()


def _as_link(relative: str) -> Callable[[Path], None]:
    """The same bytes, behind a symbolic link (render refuses to write through one)."""

    def change(root: Path) -> None:
        path = root / relative
        copy = root / "elsewhere" / relative.replace("/", "_")
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        path.unlink()
        path.symlink_to(copy)

    return change


def _folder_as_link(root: Path) -> None:
    folder = root / "specs/wine-quality/databricks"
    shutil.copytree(folder, root / "jobs-copy")
    shutil.rmtree(folder)
    folder.symlink_to(root / "jobs-copy")


def _spec_text(old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        spec = root / WINE
        text = spec.read_text("utf-8")
        assert old in text
        spec.write_text(text.replace(old, new, 1), "utf-8")

    return change


def _request(root: Path) -> None:
    (root / "specs/wine-quality/tests/sample_request.json").write_text("not json", "utf-8")


def _overrides(root: Path) -> None:
    """The repository's own templates: a project configuration changes what render writes."""
    (root / "pyproject.toml").write_text('[tool.mlopsgen]\noverrides = "ours"\n', "utf-8")
    (root / "ours" / "pipelines").mkdir(parents=True)
    builtin = Path(__file__).resolve().parents[2] / "templates/pipelines/azure-pipelines.yml.j2"
    text = builtin.read_text("utf-8")
    (root / "ours/pipelines/azure-pipelines.yml.j2").write_text(text + "# ours\n", "utf-8")


def _manifest_lists_a_stray(root: Path) -> None:
    """A manifest that lists one more generated file, which is on disk: render would delete
    it (the manifest's bytes changed, so the record cannot vouch for them)."""
    manifest = root / "specs/wine-quality/.mlopsgen/manifest.json"
    body = json.loads(manifest.read_text("utf-8"))
    stray = "databricks/old.json"
    (root / "specs/wine-quality" / stray).write_text("{}\n", "utf-8")
    body["files"][stray] = check_cache.digest(b"{}\n")
    manifest.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", "utf-8")


CHANGES: dict[str, Callable[[Path], None]] = {
    "pipeline edited": _edit("specs/wine-quality/azure-pipelines.yml"),
    "job edited": _edit("specs/wine-quality/databricks/train.json"),
    "notebook edited": _edit("specs/wine-quality/notebooks/gate.py"),
    "runtime edited": _edit("specs/wine-quality/notebooks/mlopsgen_runtime/gates.py"),
    "manifest edited": _edit("specs/wine-quality/.mlopsgen/manifest.json"),
    "picture deleted": _delete("specs/wine-quality/PIPELINE.md"),
    "manifest deleted": _delete("specs/wine-quality/.mlopsgen/manifest.json"),
    "job behind a link": _as_link("specs/wine-quality/databricks/train.json"),
    "jobs folder behind a link": _folder_as_link,
    "manifest lists a stray": _manifest_lists_a_stray,
    "spec changed": _spec_text("description: ", "description: Changed. "),
    "spec comment only": _spec_text("apiVersion:", "# a comment\napiVersion:"),
    "spec invalid": _spec_text("notebook: notebooks/train.py", "notebook: notebooks/none.py"),
    "training notebook deleted": _delete("specs/wine-quality/notebooks/train.py"),
    "smoke-test request changed": _request,
    "project overrides a template": _overrides,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_after_any_change_check_decides_as_a_full_check(repo: Path, change: str) -> None:
    warm(WINE, MINIMAL)
    CHANGES[change](repo)
    full = outcome("--no-cache", WINE, MINIMAL)
    assert outcome(WINE, MINIMAL) == full
    if change != "spec comment only":  # the one change that leaves the output as it was
        assert full[0] != 0, full[1]


def test_a_passing_change_is_recorded_anew(repo: Path, compiled: list[str]) -> None:
    warm(WINE)
    _spec_text("apiVersion:", "# a comment\napiVersion:")(repo)
    compiled.clear()
    warm(WINE)
    assert compiled == [WINE]  # the record no longer held
    compiled.clear()
    warm(WINE)
    assert compiled == []  # the new one does


@pytest.mark.usefixtures("repo")
def test_the_tool_is_part_of_the_record(
    compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another mlopsgen, Python or installed distribution: every spec is compiled again."""
    warm(WINE)
    monkeypatch.setattr(check_cache, "tool_digest", lambda: "another installation")
    compiled.clear()
    warm(WINE)
    assert compiled == [WINE]


def test_the_tool_digest_covers_files_and_distributions(tmp_path: Path) -> None:
    package = tmp_path / "package"
    (package / "templates").mkdir(parents=True)
    (package / "templates/a.j2").write_text("a", "utf-8")
    (package / "__pycache__").mkdir()
    (package / "__pycache__/x.pyc").write_bytes(b"compiled")
    first = check_cache.tree_digest([package], ["3.11.7"])
    (package / "__pycache__/x.pyc").write_bytes(b"recompiled")  # not an input
    assert check_cache.tree_digest([package], ["3.11.7"]) == first
    assert check_cache.tree_digest([package], ["3.12.0"]) != first
    (package / "templates/a.j2").write_text("b", "utf-8")
    assert check_cache.tree_digest([package], ["3.11.7"]) != first
    (package / "templates/b.j2").write_text("", "utf-8")
    site = tmp_path / "site"
    (site / "Jinja2-3.1.4.dist-info").mkdir(parents=True)
    (site / "jinja2").mkdir()
    before = check_cache.installed_distributions([str(site), str(tmp_path / "missing")])
    assert before == [f"{site}/Jinja2-3.1.4.dist-info"]
    (site / "Jinja2-3.1.4.dist-info").rename(site / "Jinja2-3.1.5.dist-info")
    assert check_cache.installed_distributions([str(site)]) != before


@pytest.mark.usefixtures("repo")
def test_the_time_zone_data_is_part_of_the_record(
    tmp_path: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """wine-quality's schedule is converted with Europe/Berlin's rules: new rules (a tzdata
    update) must be checked again, wherever zoneinfo finds them."""
    zones = tmp_path / "zoneinfo"
    (zones / "Europe").mkdir(parents=True)
    berlin = zones / "Europe/Berlin"
    source = check_cache_zone_file("Europe/Berlin")
    berlin.write_bytes(source)
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(zones),))
    warm(WINE)
    compiled.clear()
    warm(WINE)
    assert compiled == []
    berlin.write_bytes(source + b"\n")
    warm(WINE)
    assert compiled == [WINE]


def check_cache_zone_file(key: str) -> bytes:
    for root in zoneinfo.TZPATH:
        path = Path(root, key)
        if path.is_file():
            return path.read_bytes()
    from importlib import resources

    return resources.files("tzdata.zoneinfo").joinpath(*key.split("/")).read_bytes()


def test_specs_of_one_name_are_compiled_to_report_it(repo: Path) -> None:
    """Each passed alone; together they would overwrite each other's files (E375)."""
    other = repo / "specs/other"
    shutil.copytree(repo / "specs/minimal", other)
    assert invoke("render", "-q", "specs/other/model.yaml").exit_code == 0
    warm(MINIMAL)
    warm("specs/other/model.yaml")
    full = outcome("--no-cache", MINIMAL, "specs/other/model.yaml")
    assert full[0] == 1 and "E375" in full[1]
    assert outcome(MINIMAL, "specs/other/model.yaml") == full


@pytest.mark.usefixtures("repo")
def test_a_spec_named_twice_is_compiled_to_report_it() -> None:
    warm(MINIMAL)
    full = outcome("--no-cache", MINIMAL, MINIMAL)
    assert full[0] == 1 and "E375" in full[1]
    assert outcome(MINIMAL, MINIMAL) == full


def test_check_out_has_its_own_record(repo: Path) -> None:
    assert invoke("render", "-q", "--out", "built", WINE).exit_code == 0
    warm("--out", "built", WINE)
    (repo / "built/wine-quality/azure-pipelines.yml").write_text("edited\n", "utf-8")
    warm(WINE)  # the files beside the spec are as rendered
    code, out = outcome("--out", "built", WINE)
    assert code == 1 and "stale: built/wine-quality/azure-pipelines.yml" in out


@pytest.mark.usefixtures("repo")
def test_a_record_that_cannot_be_read_or_written_costs_only_time(
    tmp_path: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warm(WINE)
    (record,) = (tmp_path / "records").rglob("*.json")
    record.write_text('{"format": 1, "inputs": []', "utf-8")  # cut short
    compiled.clear()
    warm(WINE)
    assert compiled == [WINE]
    record.write_text(json.dumps({"format": 1, "inputs": 3}), "utf-8")  # not a record
    compiled.clear()
    warm(WINE)
    assert compiled == [WINE]
    blocked = tmp_path / "a-file"
    blocked.write_text("", "utf-8")
    monkeypatch.setenv("MLOPSGEN_CACHE_DIR", str(blocked / "records"))  # cannot be a folder
    warm(WINE)
    warm(WINE)


@pytest.mark.usefixtures("repo")
def test_no_records_without_the_cache(
    tmp_path: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warm("--no-cache", WINE)
    assert not (tmp_path / "records").exists()
    monkeypatch.setenv("MLOPSGEN_NO_CACHE", "1")
    warm(WINE)
    warm(WINE)
    assert compiled == [WINE, WINE, WINE]
    assert not (tmp_path / "records").exists()


def test_the_records_live_in_the_users_cache_folder() -> None:
    home = os.path.expanduser("~")
    assert check_cache.cache_dir({}) == Path(home, ".cache", "mlopsgen")
    assert check_cache.cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/mlopsgen")
    assert check_cache.cache_dir({"MLOPSGEN_CACHE_DIR": "/r", "XDG_CACHE_HOME": "/c"}) == Path("/r")
    assert check_cache.cache_dir({"MLOPSGEN_NO_CACHE": "1", "MLOPSGEN_CACHE_DIR": "/r"}) is None


@pytest.mark.usefixtures("repo")
def test_records_are_private_to_the_user(tmp_path: Path) -> None:
    """A record holds paths and the spec's warnings: no other user may read it."""
    warm(WINE)
    (record,) = (tmp_path / "records").rglob("*.json")
    for folder in (tmp_path / "records", record.parent.parent, record.parent):
        assert folder.stat().st_mode & 0o077 == 0, folder
