"""The named blocks of the built-in templates are a contract with platform teams' packs
(README, "For the platform team"): renaming or removing one breaks every pack that fills it,
so the list is spelled out here and a change to it is a deliberate, documented one."""

from __future__ import annotations

import jinja2.nodes

from mlopsgen.render.environment import block_indent, environment

PIPELINE_BLOCKS = {
    "pipeline_variables",
    "validate_steps",
    "deploy_variables",
    "deploy_steps_before",
    "deploy_steps_after",
}

NOTEBOOK_BLOCKS = {"prelude"}


def _blocks(name: str) -> set[str]:
    env = environment()
    assert env.loader is not None
    text = env.loader.get_source(env, name)[0]
    return {b.name for b in env.parse(text).find_all(jinja2.nodes.Block)}


def test_the_pipeline_template_has_the_documented_blocks() -> None:
    assert _blocks("pipelines/azure-pipelines.yml.j2") == PIPELINE_BLOCKS


def test_the_notebook_template_has_the_documented_blocks() -> None:
    assert _blocks("notebooks/task.py.j2") == NOTEBOOK_BLOCKS


def test_the_blocks_inside_the_stage_loop_are_scoped() -> None:
    """A block in a loop sees the loop's `stage` only when it is `scoped`."""
    env = environment()
    assert env.loader is not None
    text = env.loader.get_source(env, "pipelines/azure-pipelines.yml.j2")[0]
    scoped = {b.name for b in env.parse(text).find_all(jinja2.nodes.Block) if b.scoped}
    assert scoped == {"deploy_variables", "deploy_steps_before", "deploy_steps_after"}


def test_an_empty_block_adds_nothing_and_a_filled_one_is_indented() -> None:
    assert block_indent("", 10) == ""
    assert block_indent("\n  \n", 4) == ""
    assert block_indent("- a\n\n  b: 1", 2) == "  - a\n\n    b: 1\n"
