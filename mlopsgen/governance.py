"""What a spec asks of Azure DevOps outside the pipeline file (issue 12): for each stage, the
checks to configure on its environment and on the resources its steps use.

Approvals, branch control and exclusive locks belong to environments and service connections
because "approvals and other checks aren't defined in the yaml file. Users modifying the
pipeline yaml file can't modify the checks" (Microsoft Learn, "Define approvals and checks").
An environment a pipeline targets that does not exist yet is created by its first run, with
no checks at all (Microsoft Learn, "Create and target an environment"): create each one, and
its checks, before that run. Pure: `mlopsgen environments` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlopsgen.model import Spec, Stage


@dataclass(frozen=True)
class Check:
    kind: str  # the check's name in Azure DevOps ("Approvals and checks")
    setting: str  # what to set


@dataclass(frozen=True)
class StageChecks:
    stage: str
    environment: str | None
    resources: tuple[str, ...]  # "service connection 'x'", "variable group 'y'"
    checks: tuple[Check, ...]  # on the environment (or, without one, on the resources)
    inline_approval: bool  # the pipeline's own ManualValidation@1 still gates the stage


def _resources(stage: Stage) -> tuple[str, ...]:
    found = []
    if stage.service_connection:
        found.append(f"service connection '{stage.service_connection}'")
    if stage.variable_group:
        found.append(f"variable group '{stage.variable_group}'")
    return tuple(found)


def stage_checks(spec: Spec) -> tuple[StageChecks, ...]:
    branch = f"refs/heads/{spec.pipeline.release_branch}"
    result = []
    for stage in spec.stages:
        approvers = ", ".join(stage.approval.approvers) if stage.approval else None
        checks = [
            Check(
                "Approvals",
                f"approvers: {approvers or 'the people who sign off ' + stage.name}; "
                "'Allow approvers to approve their own runs': off",
            ),
            Check("Branch control", f"allowed branches: {branch}; verify branch protection: on"),
            Check("Exclusive lock", "on (the stage's lockBehavior is sequential)"),
        ]
        if stage.environment is None and stage.approval is not None:
            checks = checks[1:]  # the inline approval asks already (it can be edited away)
        result.append(
            StageChecks(
                stage=stage.name,
                environment=stage.environment,
                resources=_resources(stage),
                checks=tuple(checks),
                inline_approval=stage.environment is None and stage.approval is not None,
            )
        )
    return tuple(result)
