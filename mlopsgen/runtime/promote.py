"""The promote task: move the stage's alias (or registry stage) to a version that passed its
gate; the final stage also crowns it champion and keeps the outgoing one for a rollback."""

from __future__ import annotations

from typing import Any

from . import registry
from .candidate import candidate_version
from .contract import (
    CHAMPION_ALIAS,
    FINAL_STAGE,
    GATE_PASSED,
    PREVIOUS_ALIAS,
    PREVIOUS_PRODUCTION_TAG,
    STAGE,
    gate_tag,
    stage_tag,
)
from .errors import TaskFailed
from .params import flag, required
from .registry import Registry


def run_promote(params: dict[str, str], dbutils: Any | None) -> list[str]:
    reg = registry.open_registry(params)
    required(params, STAGE)
    version = candidate_version(params, dbutils)
    _require_gate_passed(reg, registry.existing_version(reg, version), params[STAGE])
    final = flag(params, FINAL_STAGE)
    if reg.uses_aliases:
        changes = _promote_aliases(reg, version, registry.stage_alias(params[STAGE]), final)
    else:
        changes = _promote_stages(reg, version, final)
        changes += _tag_stage(reg, params[STAGE], version)
    for change in changes or [f"no change: version {version} already holds its place"]:
        print(f"promote {reg.name}: {change}")
    return changes


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
    reg.client.set_registered_model_tag(reg.name, tag, version)
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
        reg.client.set_registered_model_tag(reg.name, PREVIOUS_PRODUCTION_TAG, previous)
        changes.append(f"version {previous} archived (tag {PREVIOUS_PRODUCTION_TAG})")
    return changes
