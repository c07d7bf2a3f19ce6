"""The promote task, last in a stage's deploy job (after deploy_serving and smoke_test): put
the version live on the stage's endpoint, then move the stage's alias (or registry stage) to
it; the final stage also crowns it champion and keeps the outgoing one for a rollback.

Promote refuses a version whose gate verdict for this stage is not `passed`. Serving goes live
first (`serving.go_live`, for the `databricks-serving` target): if that fails, no alias and no
registry stage has moved. For `azureml` promote runs on the pipeline agent
(`mlopsgen azureml-deploy`), after the agent moved the endpoint's traffic: live already.
A rollback (`--deploy_mode rollback`) promotes the same way and records itself on the version
(tag `mlopsgen_rollback_<stage>`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from . import registry
from .candidate import candidate_version
from .contract import (
    CHAMPION_ALIAS,
    ENDPOINT,
    FINAL_STAGE,
    GATE_PASSED,
    MODE_ROLLBACK,
    MODEL_NAME,
    PREVIOUS_ALIAS,
    PREVIOUS_PRODUCTION_TAG,
    REGISTRY,
    STAGE,
    TARGET,
    gate_tag,
    rollback_tag,
    stage_tag,
)
from .errors import TaskFailed
from .params import deploy_mode, flag, required
from .registry import Registry
from .tags import set_model_tag, set_version_tag

# The serving targets promote puts live before moving anything; batch scoring (and a spec
# without serving) reads the stage's alias itself, so moving the alias is what makes it live.
LIVE_TARGETS = ("databricks-serving",)
NOT_SERVED = ("batch", "")
LIVE_ALREADY = ("azureml",)  # the pipeline agent moved its traffic before promote runs


def run_promote(params: dict[str, str], dbutils: Any | None) -> list[str]:
    required(params, MODEL_NAME, REGISTRY, STAGE)
    mode = deploy_mode(params)
    final = flag(params, FINAL_STAGE)
    target = _target(params)
    reg = registry.open_registry(params)
    version = candidate_version(params, dbutils)
    stage = params[STAGE]
    _require_gate_passed(reg, registry.existing_version(reg, version), stage)
    if target in LIVE_TARGETS:
        _go_live(reg, version, params)
    before = registry.stage_holder(reg, stage) if mode == MODE_ROLLBACK else None
    if reg.uses_aliases:
        changes = _promote_aliases(reg, version, registry.stage_alias(stage), final)
    else:
        changes = _promote_stages(reg, version, final)
        changes += _tag_stage(reg, stage, version)
    if mode == MODE_ROLLBACK:
        changes += _record_rollback(reg, version, stage, before)
    for change in changes or [f"no change: version {version} already holds its place"]:
        print(f"promote {reg.name}: {change}")
    return changes


def _target(params: Mapping[str, str]) -> str:
    target = params.get(TARGET, "").strip()
    if target not in LIVE_TARGETS + LIVE_ALREADY + NOT_SERVED:
        raise TaskFailed(
            f"--target must be 'databricks-serving', 'azureml', 'batch' or '', not {target!r}"
        )
    return target


def _go_live(reg: Registry, version: str, params: Mapping[str, str]) -> None:
    """Move the endpoint's traffic to the version deploy_serving deployed and smoke_test
    checked, before any alias moves: a failure here leaves the registry as it was."""
    # serving.go_live (serving.py) is looked up when a live target needs it: a batch promote
    # never loads the serving code
    serving = importlib.import_module(".serving", __package__)
    serving.go_live(reg.name, version, params)
    print(f"promote {reg.name}: version {version} is live on endpoint {params.get(ENDPOINT)!r}")


def _require_gate_passed(reg: Registry, version: Any, stage: str) -> None:
    """Defence in depth: the job runs gate before promote, and this holds even if a job
    is edited or a task is run by hand. The gate writes its verdict on the version."""
    key = gate_tag(stage)
    verdict = (version.tags or {}).get(key)
    if verdict != GATE_PASSED:
        state = "has no verdict" if verdict is None else f"says {verdict!r}"
        raise TaskFailed(
            f"version {version.version} of {reg.name} has not passed the gate of stage "
            f"{stage!r} (tag {key} {state}): run the gate task first"
        )


def _record_rollback(reg: Registry, version: str, stage: str, before: str | None) -> list[str]:
    """A rollback says so on the version (and in the log): a short value, a legal key."""
    replaced = f"from version {before}" if before not in (None, version) else "in place already"
    set_version_tag(reg, version, rollback_tag(stage), f"rollback {replaced}")
    tag = rollback_tag(stage)
    return [f"rollback: version {version} back in stage {stage!r}, {replaced} (tag {tag})"]


def _move_alias(reg: Registry, alias: str, version: str) -> list[str]:
    if registry.alias_version(reg, alias) == version:
        return []
    reg.client.set_registered_model_alias(reg.name, alias, version)
    return [f"alias {alias!r} -> version {version}"]


def _promote_aliases(reg: Registry, version: str, alias: str, final: bool) -> list[str]:
    changes = _move_alias(reg, alias, version)
    if final:
        champion = registry.champion(reg)
        if champion is not None and champion != version:
            # the outgoing champion stays addressable for a rollback
            changes += _move_alias(reg, PREVIOUS_ALIAS, champion)
        if alias != CHAMPION_ALIAS:
            changes += _move_alias(reg, CHAMPION_ALIAS, version)
    return changes


def _tag_stage(reg: Registry, stage: str, version: str) -> list[str]:
    """Remember which version a deploy stage holds: workspace stages are only two."""
    if registry.stage_holder(reg, stage) == version:
        return []
    tag = stage_tag(stage)
    set_model_tag(reg, tag, version)
    return [f"tag {tag} -> version {version}"]


def _promote_stages(reg: Registry, version: str, final: bool) -> list[str]:
    target = registry.registry_stage(final)
    current = reg.client.get_model_version(reg.name, version).current_stage
    # An earlier stage never pulls a Production version back to Staging: that would leave
    # the registry without a champion (and the next comparison gate with nothing to beat).
    if current == target or (current == "Production" and not final):
        return []
    previous = registry.stage_version(reg, "Production") if final else None
    reg.client.transition_model_version_stage(
        reg.name, version, target, archive_existing_versions=final
    )
    changes = [f"version {version}: {current} -> {target}"]
    if previous is not None and previous != version:
        # archived by the transition; remembered for a rollback
        set_model_tag(reg, PREVIOUS_PRODUCTION_TAG, previous)
        changes.append(f"version {previous} archived (tag {PREVIOUS_PRODUCTION_TAG})")
    return changes
