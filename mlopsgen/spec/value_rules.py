"""Rules about single values wherever they sit: secrets, pipeline macros, control characters,
reserved names, non-finite numbers. One function and one code each."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from mlopsgen.azure_devops import MACRO_SYNTAX
from mlopsgen.spec import leaks
from mlopsgen.spec.findings import DataPath, Finding
from mlopsgen.spec.shape import as_map, dict_items, text


# Compiled on first use, and only for a value that is not printable ASCII (U+0020 to U+007E,
# none of it a control or a separator): nearly every value is, and the two patterns cost
# ~0.4-0.8 ms to compile (issue 15).
@cache
def _control(multi_line: bool) -> re.Pattern[str]:
    if multi_line:
        return re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
    return re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


_KEEP_SECRETS = (
    "never put secrets in model.yaml: keep them in a Databricks secret scope (pass "
    "'{{secrets/<scope>/<key>}}') or an Azure DevOps variable group"
)


def literal_secrets(data: dict[str, Any]) -> Iterator[Finding]:
    for path, key, value in _scalars(data, (), None):
        kind = leaks.secret_kind(key, value) if isinstance(value, str) else None
        if kind:
            yield Finding(path, "E314", f"this looks like {kind}; {_KEEP_SECRETS}")


def secret_parameter_names(data: dict[str, Any]) -> Iterator[Finding]:
    """Parameter names land in the job JSON and the notebook's widgets like their values do
    (issue 11: a token pasted as a name was never looked at)."""
    for path, parameters in _parameter_maps(data):
        for name in as_map(parameters):
            kind = leaks.secret_kind(None, name)
            if kind:
                msg = f"this parameter name looks like {kind}; {_KEEP_SECRETS}"
                yield Finding((*path, name), "E314", msg, at="key", secret_key=True)


def _parameter_maps(data: dict[str, Any]) -> Iterator[tuple[DataPath, Any]]:
    training = as_map(data.get("training"))
    yield ("training", "parameters"), training.get("parameters")
    yield ("training", "pr_check", "parameters"), as_map(training.get("pr_check")).get("parameters")


def _scalars(
    node: Any, path: DataPath, key: str | None
) -> Iterator[tuple[DataPath, str | None, Any]]:
    """Every scalar with its path and the mapping key it sits under (None in lists)."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _scalars(value, (*path, name), name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _scalars(value, (*path, i), None)
    else:
        yield path, key, node


def pipeline_strings(data: dict[str, Any]) -> Iterator[Finding]:
    """Strings copied into azure-pipelines.yml, where Azure DevOps expands macros."""
    for path, value, multi_line in _pipeline_fields(data):
        macro = MACRO_SYNTAX.search(value)
        if macro:
            msg = (
                f"contains '{macro.group()}', Azure Pipelines macro syntax that Azure DevOps "
                "would expand in the generated pipeline; remove it"
            )
            yield Finding(path, "E320", msg)
        if value.isascii() and value.isprintable():
            continue
        control = _control(multi_line).search(value)
        if control:
            what = "control characters" if multi_line else "line breaks or control characters"
            yield Finding(path, "E321", f"must not contain {what} (found {control.group()!r})")


def _pipeline_fields(data: dict[str, Any]) -> Iterator[tuple[DataPath, str, bool]]:
    for i, stage in dict_items(data.get("stages")):
        for key in ("service_connection", "variable_group"):
            value = text(stage.get(key))
            if value is not None:
                yield ("stages", i, key), value, False
        connection = text(as_map(stage.get("azureml")).get("service_connection"))
        if connection is not None:
            yield ("stages", i, "azureml", "service_connection"), connection, False
        approval = as_map(stage.get("approval"))
        approvers = approval.get("approvers")
        for j, who in enumerate(approvers if isinstance(approvers, list) else []):
            if isinstance(who, str):
                yield ("stages", i, "approval", "approvers", j), who, False
        instructions = text(approval.get("instructions"))
        if instructions is not None:
            yield ("stages", i, "approval", "instructions"), instructions, True


def reserved_parameters(data: dict[str, Any]) -> Iterator[Finding]:
    for path, parameters in _parameter_maps(data):
        for key in as_map(parameters):
            if key.startswith("mlopsgen_"):
                msg = "names starting with 'mlopsgen_' are reserved for mlopsgen's own parameters"
                yield Finding((*path, key), "E322", msg, at="key")


# JSON numbers are exact between -(2**53 - 1) and 2**53 - 1 (RFC 7493, I-JSON, section 2.2);
# beyond that the job JSON and the tools reading it (and Python's float) disagree (issue 11).
LARGEST_NUMBER = 2**53 - 1


def number_range(data: dict[str, Any]) -> Iterator[Finding]:
    for path, _, value in _scalars(data, (), None):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        # Infinities and NaN are E323's; comparing an int with a float is exact, never overflows.
        if (isinstance(value, int) or math.isfinite(value)) and abs(value) > LARGEST_NUMBER:
            msg = f"numbers must lie between -{LARGEST_NUMBER:,} and {LARGEST_NUMBER:,}"
            yield Finding(path, "E332", msg)


def approver_commas(data: dict[str, Any]) -> Iterator[Finding]:
    """ManualValidation@1 splits `approvers` on commas: 'a@x, b@x' would be two approvers.
    https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/manual-validation-v1"""
    for i, stage in dict_items(data.get("stages")):
        approvers = as_map(stage.get("approval")).get("approvers")
        for j, who in enumerate(approvers if isinstance(approvers, list) else []):
            if isinstance(who, str) and "," in who:
                msg = (
                    f"'{who}' contains a comma, which the approval task reads as two "
                    "approvers; list each approver as its own item"
                )
                yield Finding(("stages", i, "approval", "approvers", j), "E333", msg)


def finite_numbers(data: dict[str, Any]) -> Iterator[Finding]:
    """`.nan` and `.inf` are YAML numbers but cannot be written to JSON job definitions."""
    for path, _, value in _scalars(data, (), None):
        if isinstance(value, float) and not math.isfinite(value):
            yield Finding(path, "E323", f"{value} is not a finite number")
