"""PIPELINE.md: a picture of the pipeline (issue 14), a Mermaid flowchart that Azure DevOps
wikis and pull requests render, and one paragraph on what runs when.

It shows what the other renderers decided, never a second opinion: the triggers and the UTC
schedule come from `pipeline_schedule` (the pipeline's own `schedules:`), the deploy stages'
approvals from `pipeline.DeployStage`, and each Databricks job's tasks and their order from the
rendered `JobFile` settings. Python builds the nodes, edges and sentences; the template only
lays them out, quoting every label with the `mermaid` filter (user strings reach the diagram
only as quoted labels, the paragraph only through `markdown_text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from mlopsgen.layout import JobKind
from mlopsgen.model import ChampionGate, Gate, Spec, Stage
from mlopsgen.render.artifacts import JobFile
from mlopsgen.render.environment import render_template
from mlopsgen.render.header import header_lines
from mlopsgen.render.pipeline import DeployStage, deploy_stages
from mlopsgen.render.pipeline_schedule import pipeline_schedule
from mlopsgen.render.quoting import markdown_text as md
from mlopsgen.runtime import contract

# Mermaid flowchart shapes: (opening, closing) around the quoted label.
SHAPES: Mapping[str, tuple[str, str]] = {
    "task": ("[", "]"),
    "trigger": ("([", "])"),
    "approval": ("{{", "}}"),
    "gates": ("[/", "/]"),
    "serving": ("[(", ")]"),
    "agent": ("[[", "]]"),
}


# Named tuples rather than frozen dataclasses: creating each of those costs ~0.4 ms at import,
# a named tuple a sixth of that (issue 15).
class Node(NamedTuple):
    id: str
    label: str  # plain text: the template quotes it
    shape: str = "task"

    @property
    def open(self) -> str:
        return SHAPES[self.shape][0]

    @property
    def close(self) -> str:
        return SHAPES[self.shape][1]


class Edge(NamedTuple):
    source: str
    target: str
    label: str | None = None
    dotted: bool = False

    @property
    def arrow(self) -> str:
        return "-.->" if self.dotted else "-->"


class Group(NamedTuple):
    """A pipeline stage (a Mermaid subgraph) with its nodes and the edges inside it."""

    id: str
    label: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    exit: str = ""  # the node the next stage follows (deploy stages)


def gate_text(gate: Gate) -> str:
    if isinstance(gate, ChampionGate):
        better = "higher" if gate.higher_is_better else "lower"
        return f"{gate.metric} vs champion ({better} is better, tolerance {gate.tolerance:g})"
    bounds = []
    if gate.min is not None:
        bounds.append(f"{gate.metric} >= {gate.min:g}")
    if gate.max is not None:
        bounds.append(f"{gate.metric} <= {gate.max:g}")
    return " and ".join(bounds)


def job_tasks(job: JobFile, prefix: str) -> tuple[tuple[Node, ...], tuple[Edge, ...]]:
    """A job's tasks as nodes, in the settings' order, and their `depends_on` as edges."""
    tasks: Sequence[Mapping[str, Any]] = job.settings["tasks"]
    nodes = tuple(Node(f"{prefix}_{t['task_key']}", t["task_key"]) for t in tasks)
    edges = tuple(
        Edge(f"{prefix}_{d['task_key']}", f"{prefix}_{t['task_key']}")
        for t in tasks
        for d in t.get("depends_on", ())
    )
    return nodes, edges


def _job(jobs: Sequence[JobFile], kind: JobKind, stage: str) -> JobFile | None:
    return next((j for j in jobs if j.kind == kind and j.stage == stage), None)


def _triggers(spec: Spec) -> tuple[Node, ...]:
    branch = spec.pipeline.release_branch
    nodes = [
        Node("push", f"push to {branch}", "trigger"),
        Node("pr", f"pull request into {branch}", "trigger"),
    ]
    schedule = pipeline_schedule(spec)
    if schedule is not None and schedule.lines:
        nodes.append(Node("schedule", "schedule: " + ", ".join(schedule.lines) + " UTC", "trigger"))
    nodes.append(Node("manual", "manual run: model_version, deploy_mode", "trigger"))
    return tuple(nodes)


def _validate(spec: Spec, jobs: Sequence[JobFile]) -> Group:
    nodes = [Node("validate_job", "validate: generated files up to date, tests")]
    edges = []
    pr_job = _job(jobs, "pr-check", spec.stages[0].name)
    if pr_job is not None:
        nodes.append(Node("pr_check", f"pr_check (pull requests only): job {pr_job.name}"))
        edges.append(Edge("validate_job", "pr_check"))
        task_nodes, task_edges = job_tasks(pr_job, "pr_check")
        nodes.extend(task_nodes)
        edges.extend(Edge("pr_check", n.id, dotted=True) for n in task_nodes[:1])
        edges.extend(task_edges)
    return Group("Validate", "Validate", tuple(nodes), tuple(edges))


def _train(spec: Spec, jobs: Sequence[JobFile]) -> Group:
    job = _job(jobs, "train", spec.stages[0].name)
    assert job is not None  # every spec has a train job
    task_nodes, task_edges = job_tasks(job, "train")
    runner = Node("train_job", f"train: job {job.name}")
    edges = (Edge(runner.id, task_nodes[0].id, dotted=True), *task_edges)
    return Group("Train", "Train", (runner, *task_nodes), edges, task_nodes[-1].id)


def _serving_nodes(spec: Spec, stage: Stage, prefix: str, jobs: Sequence[JobFile]) -> list[Node]:
    serving = stage.serving
    if spec.serving is None or serving is None:
        return []
    target = spec.serving.target
    if target == "databricks-serving":
        return [Node(f"{prefix}_serving", f"serving endpoint {serving.endpoint}", "serving")]
    if target == "azureml":
        label = f"Azure ML rollout on the agent: endpoint {serving.endpoint}, then promote"
        return [Node(f"{prefix}_azureml", label, "agent")]
    batch = _job(jobs, "batch", stage.name)
    when = spec.serving.batch_schedule
    schedule = f", {when.cron} {when.timezone}" if when is not None else ""
    name = batch.name if batch is not None else "batch"
    label = f"batch job {name}{schedule}: {serving.input_table} to {serving.output_table}"
    return [Node(f"{prefix}_batch", label, "serving")]


def _deploy(spec: Spec, stage: Stage, plan: DeployStage, jobs: Sequence[JobFile]) -> Group:
    prefix = plan.id
    nodes: list[Node] = []
    edges: list[Edge] = []
    if plan.environment is not None:
        nodes.append(
            Node(f"{prefix}_approval", f"checks of environment {plan.environment}", "approval")
        )
    elif plan.approval is not None:
        who = ", ".join(plan.approval.approvers)
        text = f"approval by {who} ({plan.approval.timeout_minutes} min)"
        nodes.append(Node(f"{prefix}_approval", text, "approval"))
    job = _job(jobs, "deploy", stage.name)
    assert job is not None  # every stage has a deploy job
    runner = Node(f"{prefix}_job", f"deploy: job {job.name}")
    task_nodes, task_edges = job_tasks(job, prefix)
    if nodes:
        edges.append(Edge(nodes[0].id, runner.id))
    nodes.append(runner)
    nodes.extend(task_nodes)
    edges.append(Edge(runner.id, task_nodes[0].id, dotted=True))
    edges.extend(task_edges)
    gates = [gate_text(g) for g in stage.gates] or ["no gates"]
    nodes.append(Node(f"{prefix}_gates", "gates: " + "; ".join(gates), "gates"))
    edges.append(Edge(f"{prefix}_gates", f"{prefix}_{contract.GATE}", dotted=True))
    # the endpoint hangs off the task that serves it; Azure ML and batch follow the job
    ids = {n.id for n in task_nodes}
    serves = f"{prefix}_{contract.DEPLOY_SERVING}"
    source = serves if serves in ids else task_nodes[-1].id
    for extra in _serving_nodes(spec, stage, prefix, jobs):
        nodes.append(extra)
        edges.append(Edge(source, extra.id, dotted=extra.shape != "agent"))
    after = next((n.id for n in nodes if n.shape == "agent"), task_nodes[-1].id)
    return Group(prefix, f"Deploy to {stage.name}", tuple(nodes), tuple(edges), after)


def _stage_edges(spec: Spec, groups: Sequence[Group]) -> tuple[Edge, ...]:
    """What starts what: the triggers start Validate, then each stage follows the one before.
    Edges join nodes, not subgraphs: older Mermaid releases (as Azure DevOps has shipped)
    cannot link a subgraph."""
    validate, train, *deploys = groups
    edges = [Edge(trigger.id, validate.nodes[0].id) for trigger in _triggers(spec)]
    edges.append(Edge(validate.nodes[0].id, train.nodes[0].id, "release branch, not a PR"))
    previous = train.exit
    label: str | None = "succeeded, or skipped for a given model_version"
    for group in deploys:
        edges.append(Edge(previous, group.nodes[0].id, label))
        previous, label = group.exit, None
    return tuple(edges)


def _stage_sentence(spec: Spec, stage: Stage, plan: DeployStage, jobs: Sequence[JobFile]) -> str:
    job = _job(jobs, "deploy", stage.name)
    assert job is not None
    keys = " → ".join(md(t["task_key"]) for t in job.settings["tasks"])
    if plan.environment is not None:
        wait = f"after the checks of the environment {md(plan.environment)}, "
    elif plan.approval is not None:
        who = ", ".join(md(a) for a in plan.approval.approvers)
        wait = f"after {who} approve (within {plan.approval.timeout_minutes} minutes), "
    else:
        wait = ""
    gates = ", ".join(md(gate_text(g)) for g in stage.gates) or "no gates"
    serving = "".join(md(n.label) for n in _serving_nodes(spec, stage, plan.id, jobs))
    served = f"; {serving}" if serving else ""
    return f"{md(stage.name)}: {wait}{keys} ({gates}){served}"


def what_runs_when(spec: Spec, plans: Sequence[DeployStage], jobs: Sequence[JobFile]) -> str:
    """One paragraph, in Markdown, every user string escaped."""
    branch = md(spec.pipeline.release_branch)
    pr_check = _job(jobs, "pr-check", spec.stages[0].name) is not None
    pr = f"A pull request into {branch} runs Validate only: the generated files must be up to "
    pr += "date and the repository's tests pass"
    pr += (
        ", and the training notebook runs in PR mode on Databricks (nothing is registered)."
        if pr_check
        else "."
    )
    schedule = pipeline_schedule(spec)
    when = f"A push to {branch}"
    if schedule is not None and schedule.lines:
        utc = ", ".join(md(line) for line in schedule.lines)
        when += (
            f" or the schedule ({utc} UTC, from {md(spec.schedule.cron if spec.schedule else '')}"
        )
        when += f" {md(spec.schedule.timezone if spec.schedule else '')})"
    train = f"{when} runs Validate, then Train (a new model version), then each deploy stage in "
    train += "turn, each only after the one before succeeded: "
    stages = "; ".join(
        _stage_sentence(spec, s, p, jobs) for s, p in zip(spec.stages, plans, strict=True)
    )
    # the pipeline's own parameters (templates/pipelines/azure-pipelines.yml.j2)
    version, mode = md("model_version"), md("deploy_mode")
    manual = (
        f"A manual run with a {version} deploys that version without training, and {mode} "
        f"{md(contract.MODE_ROLLBACK)} redeploys it with the gates but without the champion "
        "comparison."
    )
    return f"{pr} {train}{stages}. {manual}"


class Picture(NamedTuple):
    """What PIPELINE.md shows, before layout: the tests compare it with what Mermaid parsed."""

    triggers: tuple[Node, ...]
    groups: tuple[Group, ...]
    edges: tuple[Edge, ...]  # between stages, from the triggers
    paragraph: str  # Markdown, escaped


def picture(spec: Spec, jobs: Sequence[JobFile]) -> Picture:
    plans = deploy_stages(spec, jobs)
    stages = zip(spec.stages, plans, strict=True)
    groups = (
        _validate(spec, jobs),
        _train(spec, jobs),
        *(_deploy(spec, stage, plan, jobs) for stage, plan in stages),
    )
    return Picture(
        _triggers(spec), groups, _stage_edges(spec, groups), what_runs_when(spec, plans, jobs)
    )


def render_picture(spec: Spec, jobs: Sequence[JobFile]) -> str:
    return render_template(
        "picture/PIPELINE.md.j2",
        {
            # an HTML comment ends at "--": a spec path cannot end it early
            "header": tuple(line.replace("--", "- -") for line in header_lines(spec)),
            "name": spec.name,
            "picture": picture(spec, jobs),
        },
        spec.origin.layers,
    )
