"""The policy rules a platform team asks for (issue 13), written as data in a pack's
policy.toml and reported by `validate` at the spec's line, with their code and severity:
the last stage needs two approvers, every new cluster sets a cluster policy, owners is not
empty, tags.cost_center is set (and well formed), production endpoints do not scale to zero,
a bound on a number. Each is shown failing and passing on the wine-quality example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packs.support import REPO, cli, cli_stdout, pack, project

WINE = REPO / "specs" / "wine-quality"


def _rule(where: str, body: str, *, severity: str = "error") -> str:
    return (
        f'[[rule]]\ncode = "P010"\nseverity = "{severity}"\nmessage = "the rule"\n'
        f'where = "{where}"\n{body}'
    )


def _found(tmp_path: Path, policy: str, edit: tuple[str, str] | None = None) -> list[str]:
    """`path@line` of every P010 validate reports for wine-quality (edited) under `policy`."""
    pack(tmp_path, policy=policy)
    spec = project(tmp_path / "repo", str(tmp_path / "acme"), spec=WINE)
    if edit is not None:
        text = spec.read_text("utf-8")
        assert edit[0] in text
        spec.write_text(text.replace(edit[0], edit[1]))
    _, out = cli_stdout("validate", "--format", "json", str(spec))
    return [f"{d['path']}@{d['line']}" for d in json.loads(out) if d["code"] == "P010"]


TWO_APPROVERS = _rule("last_stage", 'path = "approval.approvers"\ncheck = "min_items"\nvalue = 2\n')


def test_the_last_stage_needs_two_approvers(tmp_path: Path) -> None:
    assert _found(tmp_path / "one", TWO_APPROVERS) == ["stages[production].approval.approvers@44"]
    two = ("approvers: [ml-leads@wine.example]", "approvers: [ml-leads@wine.example, b@w.example]")
    assert _found(tmp_path / "two", TWO_APPROVERS, two) == []


CLUSTER_POLICY = _rule("every_new_cluster", 'path = "policy_id"\ncheck = "required"\n')
TRAINING = "    workers: 2\n"


@pytest.mark.parametrize(
    ("edit", "found"),
    [
        (None, ["runtime_compute.policy_id@2", "training.compute.policy_id@14"]),
        (
            (TRAINING, TRAINING + "    policy_id: ABCDEF0123456789\n"),
            ["runtime_compute.policy_id@2"],
        ),
        (  # serverless training: its runtime tasks are serverless too, no cluster is created
            (
                "    spark_version: 17.3.x-cpu-ml-scala2.13  # 17.3 LTS ML: the notebook runs on "
                "its MLflow 3.0.1\n    node_type: Standard_DS3_v2\n" + TRAINING,
                "    serverless: true\n",
            ),
            [],
        ),
        (  # an existing cluster was configured when it was made: not a new cluster
            (
                "  compute:\n    spark_version",
                "  compute:\n    existing_cluster_id: 0101-123456-abcdefgh\n    spark_version",
            ),
            ["runtime_compute.policy_id@2"],
        ),
        (  # batch scoring on a cluster of its own
            ("  target: databricks-serving\n", "  target: batch\n  compute: {workers: 1}\n"),
            [
                "runtime_compute.policy_id@2",
                "serving.compute.policy_id@53",
                "training.compute.policy_id@14",
            ],
        ),
    ],
    ids=["defaults", "training-set", "serverless", "existing", "batch-compute"],
)
def test_every_new_cluster_sets_a_cluster_policy(
    tmp_path: Path, edit: tuple[str, str] | None, found: list[str]
) -> None:
    assert sorted(_found(tmp_path, CLUSTER_POLICY, edit)) == found


def test_owners_is_not_empty(tmp_path: Path) -> None:
    rule = _rule("spec", 'path = "owners"\ncheck = "min_items"\nvalue = 1\n')
    assert _found(tmp_path / "a", rule) == []
    assert _found(tmp_path / "b", rule, ("owners: [billy@wine.example]", "owners: []")) == [
        "owners@5"
    ]


COST_CENTER = _rule("spec", 'path = "tags.cost_center"\ncheck = "matches"\nvalue = "CC-[0-9]{4}"\n')


@pytest.mark.parametrize(
    ("tags", "found"),
    [
        ("", ["tags.cost_center@2"]),  # not set at all: at the top of the spec
        ("tags: {team: wine}\n", ["tags.cost_center@6"]),  # at the tags
        ("tags: {cost_center: CC-12}\n", ["tags.cost_center@6"]),  # not in the form
        ("tags: {cost_center: CC-1234}\n", []),
    ],
)
def test_tags_cost_center_is_set_in_the_companys_form(
    tmp_path: Path, tags: str, found: list[str]
) -> None:
    edit = ("owners: [billy@wine.example]\n", "owners: [billy@wine.example]\n" + tags)
    assert _found(tmp_path, COST_CENTER, edit) == found


# Production is the last stage: its endpoint scales to zero only when its own
# stages[].serving.scale_to_zero says so (the spec-level key is for the other stages), so the
# key as written is the whole truth there.
NO_SCALE_TO_ZERO = _rule(
    "last_stage", 'path = "serving.scale_to_zero"\ncheck = "not_equals"\nvalue = true\n'
)
STAGING = "    service_connection: sc-databricks-staging\n"
PRODUCTION = "    service_connection: sc-databricks-prod\n"


@pytest.mark.parametrize(
    ("edit", "found"),
    [
        (None, []),  # the last stage never scales to zero unless it says so
        ((STAGING, STAGING + "    serving: {scale_to_zero: true}\n"), []),  # not production
        (
            (PRODUCTION, PRODUCTION + "    serving: {scale_to_zero: true}\n"),
            ["stages[production].serving.scale_to_zero@43"],
        ),
    ],
    ids=["default", "staging", "production"],
)
def test_production_endpoints_do_not_scale_to_zero(
    tmp_path: Path, edit: tuple[str, str] | None, found: list[str]
) -> None:
    assert _found(tmp_path, NO_SCALE_TO_ZERO, edit) == found


PROD_ENVIRONMENT = _rule(
    "every_stage",
    'path = "environment"\ncheck = "required"\n'
    'when = { path = "name", check = "matches", value = "prod.*" }\n',
)


def test_when_limits_a_rule_to_the_stages_it_names(tmp_path: Path) -> None:
    """Stages named prod... deploy through an Azure DevOps environment; staging need not."""
    assert _found(tmp_path / "a", PROD_ENVIRONMENT) == ["stages[production].environment@40"]
    named = (PRODUCTION, PRODUCTION + "    environment: wine-prod\n")
    assert _found(tmp_path / "b", PROD_ENVIRONMENT, named) == []


def test_a_bound_on_a_number_as_a_warning(tmp_path: Path) -> None:
    rule = _rule(
        "spec",
        'path = "training.timeout_minutes"\ncheck = "at_most"\nvalue = 60\n',
        severity="warning",
    )
    pack(tmp_path, policy=rule)
    spec = project(tmp_path / "repo", str(tmp_path / "acme"), spec=WINE)
    code, out = cli("validate", str(spec))
    assert code == 0, out  # a warning never fails
    assert f"{spec}:19:3: warning[P010]: training.timeout_minutes: acme policy: the rule" in out


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('path = "owners"\ncheck = "matches"\nvalue = "("\n', "matches: not a regular expression"),
        ('path = "owners"\ncheck = "one_of"\nvalue = "a"\n', "one_of needs a list"),
        ('path = "owners"\ncheck = "at_least"\nvalue = "2"\n', "at_least needs a number"),
        ('path = "owners"\ncheck = "required"\nwhen = "prod"\n', "when is an inline table"),
        (
            'path = "owners"\ncheck = "required"\nwhen = { path = "name", check = "equals" }\n',
            "when: required takes no value; the other checks need one",
        ),
        ('path = "owners"\ncheck = "longer"\n', "check must be one of required, min_items"),
    ],
)
def test_an_invalid_predicate_is_one_located_error(tmp_path: Path, body: str, message: str) -> None:
    pack(tmp_path, policy=_rule("spec", body))
    spec = project(tmp_path / "repo", str(tmp_path / "acme"), spec=WINE)
    code, out = cli("validate", str(spec))
    assert code == 1, out
    errors = [line for line in out.splitlines() if "error[" in line]
    assert len(errors) == 1, out
    assert errors[0].startswith(f"{tmp_path / 'acme' / 'policy.toml'}:"), errors
    assert "error[E407]: pack acme: rule 1: " in errors[0] and message in errors[0]
