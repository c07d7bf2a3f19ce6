"""A pack that cannot be used is one located, actionable error, never a traceback (issue 13):
missing, of the wrong version, naming a block or template that does not exist, with an
invalid policy or invalid TOML. And a default that makes the spec invalid is reported at the
pack's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from packs.support import cli, install, pack, project

PIPELINE = "pipelines/azure-pipelines.yml.j2"
EXTENDS = '{% extends "builtin:pipelines/azure-pipelines.yml.j2" %}\n'


def _one_error(spec: Path) -> str:
    """validate's only line of output for `spec`, which must fail (exit 1, no traceback)."""
    code, out = cli("validate", str(spec))
    assert code == 1, out
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if "error[" in line]
    assert len(lines) == 1, out
    return lines[0]


def test_a_missing_pack_folder(tmp_path: Path) -> None:
    spec = project(tmp_path, "./packs/nowhere")
    assert _one_error(spec) == (
        f"{tmp_path / 'pyproject.toml'}:2:10: error[E401]: pack folder ./packs/nowhere has no "
        "mlopsgen-pack.toml"
    )


def test_a_pack_that_is_not_installed(tmp_path: Path) -> None:
    spec = project(tmp_path, "contoso-nowhere==1.0")
    line = _one_error(spec)
    assert line.startswith(f"{tmp_path / 'pyproject.toml'}:2:10: error[E401]: pack ")
    assert "pip install 'contoso-nowhere==1.0'" in line


def test_a_pack_made_for_another_mlopsgen(tmp_path: Path) -> None:
    pack(tmp_path, requires=">=9")
    spec = project(tmp_path, "./acme")
    assert _one_error(spec) == (
        f"{tmp_path / 'acme' / 'mlopsgen-pack.toml'}:3:1: error[E402]: pack acme 1.0.0 "
        "requires mlopsgen>=9, this is mlopsgen 0.1.0: install a pack version made for it, "
        "or another mlopsgen"
    )


def test_an_installed_pack_of_another_version_than_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = install(tmp_path / "site", version="1.1.0")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = project(tmp_path / "repo", "acme-pack==1.0.0")
    line = _one_error(spec)
    assert line.startswith(f"{package / 'mlopsgen-pack.toml'}:2:1: error[E402]: pack acme_pack")
    assert "pins acme-pack==1.0.0: pip install 'acme-pack==1.0.0'" in line
    config = tmp_path / "repo" / "pyproject.toml"
    config.write_text('[tool.mlopsgen]\npacks = ["acme-pack==1.1.*"]\n')
    assert cli("validate", str(spec))[0] == 0


def test_a_pack_pinned_with_a_url(tmp_path: Path) -> None:
    spec = project(tmp_path, "acme @ https://example.com/acme.whl")
    assert "error[E400]: pack 'acme @ https://example.com/acme.whl': pin a pack" in _one_error(spec)


def test_a_block_the_template_does_not_have(tmp_path: Path) -> None:
    text = EXTENDS + "{% block pipeline_variable %}\n- group: g\n{% endblock %}\n"
    pack(tmp_path, templates={PIPELINE: text})
    line = _one_error(project(tmp_path, "./acme"))
    assert line.startswith(
        f"{tmp_path / 'acme/templates' / PIPELINE}:2:10: error[E405]: pack acme: block "
        "'pipeline_variable' is not in builtin:pipelines/azure-pipelines.yml.j2 (its blocks: "
        "deploy_steps_after, deploy_steps_before, deploy_variables, pipeline_variables, "
        "validate_steps)"
    )


def test_an_override_of_a_template_that_does_not_exist(tmp_path: Path) -> None:
    pack(tmp_path, templates={"pipelines/azure-pipeline.yml.j2": "x\n"})
    line = _one_error(project(tmp_path, "./acme"))
    assert line == (
        f"{tmp_path / 'acme/templates/pipelines/azure-pipeline.yml.j2'}:1:1: error[E404]: pack "
        "acme overrides pipelines/azure-pipeline.yml.j2, which no lower layer has; did you "
        "mean pipelines/azure-pipelines.yml.j2?"
    )


def test_a_template_that_is_not_jinja(tmp_path: Path) -> None:
    pack(tmp_path, templates={PIPELINE: EXTENDS + "{% block pipeline_variables %}\n"})
    assert "error[E406]: pack acme: not a Jinja template" in _one_error(project(tmp_path, "./acme"))


@pytest.mark.parametrize(
    ("policy", "where", "message"),
    [
        ('[[rule]]\ncode = "X1"\n', "2:1", "rule 1: code must be 'P' and three digits"),
        (
            '[[rule]]\ncode = "P001"\nseverity = "fatal"\n',
            "3:1",
            "rule 1: severity must be one of error, warning",
        ),
        (
            '[[rule]]\ncode = "P001"\nseverity = "error"\nmessage = "m"\npath = "owners"\n'
            'check = "min_items"\nvalue = "two"\n',
            "7:1",
            "rule 1: min_items needs a whole number",
        ),
        ("[[rule]]\ncode = \n", "2:8", "not TOML"),
    ],
)
def test_an_invalid_policy(tmp_path: Path, policy: str, where: str, message: str) -> None:
    pack(tmp_path, policy=policy)
    line = _one_error(project(tmp_path, "./acme"))
    assert line.startswith(f"{tmp_path / 'acme' / 'policy.toml'}:{where}: error[E407]: "), line
    assert message in line


def test_an_invalid_pack_file(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "mlopsgen-pack.toml").write_text('name = "acme"\nversion = "1"\ncolour = 1\n')
    line = _one_error(project(tmp_path, "./acme"))
    assert line.startswith(f"{folder / 'mlopsgen-pack.toml'}:3:1: error[E403]: ")
    assert "no key 'colour'" in line


def test_a_default_that_makes_the_spec_invalid_is_reported_at_the_pack(tmp_path: Path) -> None:
    pack(tmp_path, defaults='\n[defaults]\nowners = ["not-an-address"]\n')
    line = _one_error(project(tmp_path, "./acme"))
    assert line.startswith(
        f"{tmp_path / 'acme' / 'mlopsgen-pack.toml'}:6:1: error[E205]: owners[0]: "
    )
    assert line.endswith("(a default of pack acme)")


def test_the_spec_wins_over_a_default(tmp_path: Path) -> None:
    pack(tmp_path, defaults='\n[defaults]\nowners = ["not-an-address"]\n')
    spec = project(tmp_path, "./acme")
    text = spec.read_text("utf-8").replace("name: minimal\n", "name: minimal\nowners: [a@b.co]\n")
    spec.write_text(text)
    assert cli("validate", str(spec))[0] == 0


@pytest.mark.parametrize("text", ["- a list\n", "apiVersion: mlopsgen/v1\nstages: 3\n", ""])
def test_policies_and_defaults_meet_specs_that_are_not_specs(tmp_path: Path, text: str) -> None:
    policy = (
        '[[rule]]\ncode = "P001"\nseverity = "error"\nmessage = "m"\nwhere = "every_stage"\n'
        'path = "approval"\ncheck = "required"\n'
    )
    pack(tmp_path, defaults='\n[defaults]\nowners = ["a@b.co"]\n', policy=policy)
    spec = project(tmp_path, "./acme")
    spec.write_text(text)
    code, out = cli("validate", str(spec))
    assert code == 1 and "Traceback" not in out, out


def test_a_pack_name_that_could_not_prefix_a_template(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    text = 'name = "acme:x"\nversion = "1"\nrequires-mlopsgen = ">=0.1"\n'
    (folder / "mlopsgen-pack.toml").write_text(text)
    line = _one_error(project(tmp_path, "./acme"))
    assert line.startswith(f"{folder / 'mlopsgen-pack.toml'}:1:1: error[E403]: pack name ")


def test_the_missing_pack_of_several_is_located_at_its_own_line(tmp_path: Path) -> None:
    pack(tmp_path)
    spec = project(tmp_path, "./acme")
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool]\nmlopsgen.packs = [\n  "./acme",\n  "./gone",\n]\n')
    assert _one_error(spec).startswith(f"{config}:4:3: error[E401]: pack folder ./gone ")
    config.write_text("tool = 1\n")
    assert cli("validate", str(spec))[0] == 0
