"""Rules for how a stage's pipeline steps authenticate to Databricks (issue 10).

Three modes: OAuth token federation from the pipeline's OIDC token (`oidc_client_id` or
`oidc_client_id_variable`), an Azure Resource Manager `service_connection` (AzureCLI@2), or a
PAT held by the `variable_group` under `group_variable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from mlopsgen.spec.findings import Finding
from mlopsgen.spec.shape import dict_items, is_guid, text


# A pipeline variable name: letters, digits, '.', '_' (and '-' for Key Vault secrets), not
# starting with a digit; no '$', '(' or spaces, so $(name) is exactly one macro. Compiled on
# first use: only a spec that sets the key meets it (issue 15).
@cache
def _variable() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")


def oidc_mode(data: dict[str, Any]) -> Iterator[Finding]:
    for i, stage in dict_items(data.get("stages")):
        both = "oidc_client_id" in stage and "oidc_client_id_variable" in stage
        if both:
            msg = "give the client ID once: oidc_client_id or oidc_client_id_variable"
            yield Finding(("stages", i, "oidc_client_id_variable"), "E344", msg, at="key")
        oidc = "oidc_client_id" in stage or "oidc_client_id_variable" in stage
        if oidc and "service_connection" in stage:
            msg = (
                "choose one way to authenticate: OIDC token federation (oidc_client_id) or "
                "the service_connection, not both"
            )
            yield Finding(("stages", i, "service_connection"), "E344", msg, at="key")


def oidc_client_id(data: dict[str, Any]) -> Iterator[Finding]:
    for i, stage in dict_items(data.get("stages")):
        value = text(stage.get("oidc_client_id"))
        if value is not None and not is_guid(value):
            msg = (
                f"'{value}' must be the service principal's application (client) ID, a GUID "
                "such as 00000000-0000-0000-0000-000000000000; to read it from a pipeline "
                "variable use oidc_client_id_variable"
            )
            yield Finding(("stages", i, "oidc_client_id"), "E345", msg)
        name = text(stage.get("oidc_client_id_variable"))
        if name is not None and not _variable().fullmatch(name):
            msg = f"'{name}' must be a pipeline variable name (the name alone, without $( ))"
            yield Finding(("stages", i, "oidc_client_id_variable"), "E346", msg)


def group_variable(data: dict[str, Any]) -> Iterator[Finding]:
    for i, stage in dict_items(data.get("stages")):
        name = text(stage.get("group_variable"))
        if name is None:
            continue
        if not _variable().fullmatch(name):
            msg = (
                f"'{name}' must be a secret variable name: letters, digits, '_', '.', '-' "
                "(a Key Vault-backed group allows letters, digits and '-' only)"
            )
            yield Finding(("stages", i, "group_variable"), "E347", msg)
        elif "variable_group" not in stage:
            msg = "group_variable names a secret of the variable_group: give the variable_group"
            yield Finding(("stages", i, "group_variable"), "E347", msg, at="key")


def azureml_connection(data: dict[str, Any]) -> Iterator[Finding]:
    """The Azure ML steps run in AzureCLI@2, logged in with one service connection: the
    stage's `azureml.service_connection`, else its `service_connection` (issue 10). With
    Databricks azure-cli auth (the stage's service_connection) that one login serves both,
    so the two must name the same connection."""
    for i, stage in dict_items(data.get("stages")):
        azureml = stage.get("azureml")
        if not isinstance(azureml, dict):
            continue
        own, connection = (
            text(azureml.get("service_connection")),
            text(stage.get("service_connection")),
        )
        if own is None and connection is None:
            msg = (
                "the Azure ML steps need an Azure service connection: set "
                "azureml.service_connection (or the stage's service_connection)"
            )
            yield Finding(("stages", i, "azureml"), "E360", msg, at="key")
        elif own is not None and connection is not None and own != connection and not _oidc(stage):
            msg = (
                f"'{own}' differs from the stage's service_connection '{connection}', which "
                "the same AzureCLI@2 step uses for Databricks: use one connection, or OIDC "
                "(oidc_client_id) or a variable_group for Databricks"
            )
            yield Finding(("stages", i, "azureml", "service_connection"), "E361", msg)


def _oidc(stage: dict[str, Any]) -> bool:
    return "oidc_client_id" in stage or "oidc_client_id_variable" in stage


RULES = (oidc_mode, oidc_client_id, group_variable, azureml_connection)
