"""Declarative patches (issue 13): a pack's patches.toml changes the generated job settings
as data before they are written; only fields deploy compares; every bad patch is one located
error in patches.toml (E408)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from databricks.sdk.service.jobs import JobSettings
from packs.support import CONTOSO, cli, pack, project

from mlopsgen.model import Patch
from mlopsgen.render import job_fields
from mlopsgen.render.patches import apply_patch
from mlopsgen.spec.patches import PATCHABLE


def _patch(op: str, path: str, value: object) -> Patch:
    keys = tuple(path.split("."))
    return Patch("databricks/*.json", keys, op, json.dumps(value))  # type: ignore[arg-type]


def test_set_merge_and_append() -> None:
    settings: dict[str, object] = {"tags": {"a": "1"}, "email_notifications": {}}
    apply_patch(settings, _patch("set", "tags.b", "2"))
    apply_patch(settings, _patch("merge", "tags", {"c": "3", "a": "0"}))
    apply_patch(settings, _patch("append", "email_notifications.on_failure", ["x@y.z"]))
    apply_patch(settings, _patch("append", "email_notifications.on_failure", "x@y.z"))
    apply_patch(settings, _patch("set", "description", "d"))
    assert settings == {
        "tags": {"a": "0", "b": "2", "c": "3"},
        "email_notifications": {"on_failure": ["x@y.z"]},
        "description": "d",
    }


def test_patchable_fields_are_fields_deploy_compares() -> None:
    """One home per fact: a patch changes only what job_fields declares as mlopsgen's."""
    assert set(PATCHABLE) <= job_fields.MANAGED["job"]
    for field, keys in PATCHABLE.items():
        kind = job_fields.CHILD_KIND.get(("job", field))
        if keys is None:  # compared whole: an object of no declared kind
            assert kind is None, field
        elif keys:
            assert kind is not None and keys <= job_fields.MANAGED[kind], field


def test_the_example_pack_patches_every_job(tmp_path: Path) -> None:
    spec = project(tmp_path, str(CONTOSO), spec=CONTOSO / "example")
    code, out = cli("render", str(spec))
    assert code == 0, out
    for path in sorted((spec.parent / "databricks").glob("*.json")):
        settings = json.loads(path.read_text("utf-8"))
        assert settings["tags"]["contoso-budget"] == "ml-platform", path
        assert "ml-platform-oncall@contoso.com" in settings["email_notifications"]["on_failure"]
        body = job_fields.job_settings_only(settings)
        assert JobSettings.from_dict(body).as_dict() == body  # still a lossless JobSettings
    assert cli("check", str(spec))[0] == 0


BAD = [
    (
        "[[patch]]\ntarget = 'azure-pipelines.yml'\npath = 'x'\nop = 'set'\nvalue = 1\n",
        2,
        "only job files",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'name'\nop = 'set'\nvalue = 'x'\n",
        3,
        "a pack may patch the job fields",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'tags.mlopsgen-id'\nop = 'set'\n"
        "value = 'x'\n",
        5,
        "mlopsgen's own",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'tags.a'\nop = 'set'\nvalue = 1\n",
        5,
        "a job tag's value is a string",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'tags'\nop = 'sett'\nvalue = {}\n",
        4,
        "op 'sett' is not one of set, merge, append",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'description'\nop = 'append'\nvalue = 1\n",
        3,
        "append adds to a list",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'description'\nop = 'set'\n"
        "value = 1979-05-27\n",
        5,
        "a date has no JSON form",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'description'\nop = 'set'\n",
        2,
        "needs value",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'tags.a'\nop = 'set'\nvalue = 'x'\n"
        "when = 1\n",
        6,
        "no key 'when'",
    ),
    ("patch = 1\n", 1, "holds [[patch]] tables only"),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = 'tags'\nop = 'merge'\n"
        "value = {ClusterName = 'x'}\n",
        5,
        "tag 'ClusterName' is reserved",
    ),
    (
        "[[patch]]\ntarget = 'databricks/*.json'\npath = ['tags', 'a?b']\nop = 'set'\n"
        "value = 'x'\n",
        5,
        "which Azure refuses in tag names",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_a_bad_patch_is_one_located_error(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    folder = pack(tmp_path, "acme")
    (folder / "patches.toml").write_text(text)
    spec = project(tmp_path, "./acme")
    code, out = cli("validate", str(spec))
    assert code == 1, out
    assert "Traceback" not in out
    (error,) = [entry for entry in out.splitlines() if "error[" in entry]
    assert error.startswith(f"{folder / 'patches.toml'}:{line}:"), error
    assert "error[E408]: pack acme" in error and message in error, error


def test_patched_tags_count_with_the_specs(tmp_path: Path) -> None:
    """A job holds 25 tags: 24 besides mlopsgen's identity tag, counting the patches'."""
    folder = pack(tmp_path, "acme")
    tags = ", ".join(f"t{i} = 'x'" for i in range(24))
    merge = "[[patch]]\ntarget = 'databricks/*.json'\npath = 'tags'\nop = 'merge'\n"
    (folder / "patches.toml").write_text(f"{merge}value = {{ {tags} }}\n")
    spec = project(tmp_path, "./acme")
    assert cli("validate", str(spec))[0] == 0  # the minimal spec has no tags of its own
    spec.write_text(spec.read_text("utf-8") + "tags:\n  team: ml\n")
    code, out = cli("validate", str(spec))
    assert code == 1, out
    (error,) = [line for line in out.splitlines() if "error[" in line]
    assert "error[E409]: tags: with the tags the packs' patches add (t0 (acme)" in error
    assert "every job would carry 25 tags besides mlopsgen-id; a job holds at most 24" in error
