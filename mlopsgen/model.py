"""The normalized spec: frozen, fully defaulted, the only thing renderers and commands see.

Its records are `typing.NamedTuple`s: immutable, typed, compared and hashed by value like
frozen dataclasses, and created by C code at import, where 26 frozen dataclasses cost ~10 ms of
generated methods in every process (issue 15: a third of what `render` may take beyond
Python and Jinja). Change one with `record._replace(field=...)`. Code that walks values
generically must not take a record for a sequence (`user_text.taint` checks the exact type).

`build_spec` runs after the schema and semantic layers have passed, so it may assume the
data has the right shape. Defaults are applied here and nowhere else, and they are declared
once, in the JSON Schema (`schema_defaults`); the defaults that depend on other values are
the workspace folder, the per-stage serving values (endpoint names, tables, scale to zero),
which follow the rules in `mlopsgen.layout` and `_stage_serving`, and the compute of the
other workloads, derived from the training compute when the spec omits it
(`_runtime_compute`, `_scoring_compute`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from mlopsgen.layout import default_endpoint, default_workspace_folder, stage_table
from mlopsgen.spec.schema import schema_defaults

Registry = Literal["unity-catalog", "workspace"]
ServingTarget = Literal["databricks-serving", "azureml", "batch"]


def frozen_map(data: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(data or {}))


class Patch(NamedTuple):
    """One declarative patch of a pack's `patches.toml` (issue 13), applied to the job
    settings of every generated file whose path matches `target` (a glob), after render."""

    target: str  # e.g. "databricks/*.json"
    path: tuple[str, ...]  # keys from the job settings' top, e.g. ("tags", "cost-center")
    op: Literal["set", "merge", "append"]
    value_json: str  # the value as canonical JSON: hashable, so a Layer stays a cache key


class Layer(NamedTuple):
    """One layer above mlopsgen's built-in templates (issue 13): a template pack, or the
    repository's own overrides folder. Found by `spec.packs` from the project configuration;
    render reads only these fields (no pack code runs)."""

    name: str  # the pack's name, or "overrides" for the repository's own folder
    version: str  # the pack's version ("" for the repository's folder)
    templates: str | None  # absolute path of its templates folder; None when it has none
    # an installed pack's pin as the project configuration gives it (name and versions
    # only), which the pipeline installs beside mlopsgen; None for a folder in the repository
    requirement: str | None = None
    patches: tuple[Patch, ...] = ()  # its patches.toml, in the file's order


class Origin(NamedTuple):
    """Where the spec sits: paths are POSIX and relative to the repository root."""

    spec_path: str  # e.g. "specs/wine-quality/model.yaml"
    spec_dir: str  # e.g. "specs/wine-quality" ("." when the spec is at the root)
    # the packs and overrides its project configuration names, lowest first (the built-in
    # templates lie under all of them); empty: rendered from the built-in templates alone
    layers: tuple[Layer, ...] = ()


class RegisteredModel(NamedTuple):
    name: str
    registry: Registry


class ClusterSettings(NamedTuple):
    """What a platform team asks of every new cluster (issue 12), beside its size."""

    policy_id: str | None  # a cluster policy
    apply_policy_default_values: bool  # only sent with policy_id
    instance_pool_id: str | None  # the pool decides the VM type: node_type is None then
    driver_instance_pool_id: str | None
    init_scripts: tuple[str, ...]  # /Workspace/... or /Volumes/... paths
    custom_tags: Mapping[str, str]  # the cluster's own; the spec's tags are added by render
    data_security_mode: str  # a Unity Catalog access mode (validation refuses the others)


class NewCluster(NamedTuple):
    spark_version: str
    node_type: str | None  # None with an instance pool
    workers: int | None  # exactly one of workers / autoscale is set
    autoscale_min: int | None
    autoscale_max: int | None
    settings: ClusterSettings


class RuntimeCluster(NamedTuple):
    """A single-node cluster for mlopsgen's own tasks on classic compute."""

    spark_version: str
    node_type: str | None  # None with an instance pool
    settings: ClusterSettings


class Compute(NamedTuple):
    kind: Literal["new_cluster", "existing_cluster", "serverless"]
    # the single-node cluster derived from this compute (its runtime and VM type, or the
    # schema's defaults beside an existing cluster), for tasks that must not share it
    runtime_cluster: RuntimeCluster
    new_cluster: NewCluster | None = None
    existing_cluster_id: str | None = None


class RuntimeCompute(NamedTuple):
    """Where mlopsgen's own tasks run: serverless, or a single-node cluster (`cluster`)."""

    serverless: bool
    cluster: RuntimeCluster | None  # set exactly when not serverless


class PrCheck(NamedTuple):
    parameters: Mapping[str, str]  # already merged over training.parameters


class Training(NamedTuple):
    notebook: str  # POSIX path relative to the spec folder, e.g. "notebooks/train.py"
    parameters: Mapping[str, str]
    compute: Compute
    libraries: tuple[str, ...]
    timeout_minutes: int
    max_retries: int
    pr_check: PrCheck | None


class Schedule(NamedTuple):
    """`schedule:` (the pipeline's, in UTC: render/pipeline_schedule) or a batch job's (Quartz)."""

    cron: str  # the user's 5-field cron, validated
    timezone: str
    paused: bool  # schedule: no `schedules:` in the pipeline; batch: never paused


class ThresholdGate(NamedTuple):
    metric: str
    min: float | None
    max: float | None


class ChampionGate(NamedTuple):
    metric: str
    higher_is_better: bool
    tolerance: float


Gate = ThresholdGate | ChampionGate


class Approval(NamedTuple):
    approvers: tuple[str, ...]
    timeout_minutes: int
    instructions: str
    allow_self_approval: bool  # false: whoever started the run cannot approve it


class AzureMLWorkspace(NamedTuple):
    resource_group: str
    workspace: str
    # the pipeline's AzureCLI@2 step logs in with it: its own, or the stage's (validate
    # refuses an azureml stage with neither, E360)
    service_connection: str


class StageServing(NamedTuple):
    """What this stage serves on: the spec's serving block with the stage's own overrides."""

    endpoint: str | None  # databricks-serving / azureml: this stage's endpoint name
    scale_to_zero: bool  # databricks-serving
    input_table: str | None  # batch: the table this stage scores
    output_table: str | None  # batch: the table this stage writes (its own)


class Stage(NamedTuple):
    name: str
    workspace: str  # https host, no trailing slash
    workspace_folder: str  # where deploy puts notebooks; may hold layout.CURRENT_USER
    service_connection: str | None
    variable_group: str | None
    group_variable: str  # the variable group's secret holding a PAT
    oidc_client_id: str | None  # azure-devops-oidc: the service principal's application ID
    oidc_client_id_variable: str | None  # ... or the pipeline variable holding it
    run_as: str | None  # the application ID of the service principal the jobs run as
    gates: tuple[Gate, ...]
    environment: str | None  # an Azure DevOps environment: the deploy job is a deployment job
    approval: Approval | None  # the inline ManualValidation@1 (unused with an environment)
    azureml: AzureMLWorkspace | None
    serving: StageServing | None  # None when the spec serves nothing


class Serving(NamedTuple):
    """The spec's serving block; what each stage gets is `Stage.serving`."""

    target: ServingTarget
    endpoint: str | None  # databricks-serving / azureml: the base of each stage's endpoint
    workload_size: str  # databricks-serving
    scale_to_zero: bool  # databricks-serving: for every stage but the last
    instance_type: str  # azureml
    instance_count: int  # azureml
    input_table: str | None  # batch, may hold {stage}
    output_table: str | None  # batch, may hold {stage}
    batch_schedule: Schedule | None  # batch, optional
    smoke_test: str | None  # POSIX path relative to the spec folder
    compute: Compute | None  # batch: where scoring runs (serving.compute, else training's)


class PackageSource(NamedTuple):
    """Where the pipeline installs mlopsgen from (issue 10): exactly one is set."""

    feed: str | None  # an Azure Artifacts feed, "feed" or "project/feed"
    wheels: str | None  # a repository folder (POSIX, relative to the root) with the wheel
    index_url: str | None  # a private https index


class Pool(NamedTuple):
    """The agent pool: a Microsoft-hosted image or a self-hosted pool (one is set)."""

    vm_image: str | None
    name: str | None


class Tests(NamedTuple):
    requirements: str | None  # repository-relative; None: <spec folder>/requirements.txt if any
    path: str  # what pytest collects, repository-relative


class Pipeline(NamedTuple):
    package: PackageSource
    pool: Pool
    tests: Tests
    release_branch: str  # a branch name, e.g. "main" (not refs/heads/main)


PrincipalKind = Literal["group_name", "user_name", "service_principal_name"]
# The spec's key for each kind of principal -> the Permissions API's field for it.
PRINCIPAL_FIELDS: Mapping[str, PrincipalKind] = {
    "group": "group_name",
    "user": "user_name",
    "service_principal": "service_principal_name",
}


class Principal(NamedTuple):
    kind: PrincipalKind
    name: str


class Permissions(NamedTuple):
    """Who may view (CAN_VIEW) and who may also run (CAN_MANAGE_RUN) the generated jobs."""

    can_view: tuple[Principal, ...]
    can_manage_run: tuple[Principal, ...]


class Spec(NamedTuple):
    api_version: str
    name: str
    description: str
    owners: tuple[str, ...]
    model: RegisteredModel
    training: Training
    schedule: Schedule | None
    stages: tuple[Stage, ...]
    serving: Serving | None
    pipeline: Pipeline
    permissions: Permissions
    origin: Origin
    tags: Mapping[str, str]  # the spec's own tags: jobs, clusters, serving endpoints
    runtime_compute: RuntimeCompute  # mlopsgen's own tasks (candidate, gate, serving, ...)

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        known = ", ".join(s.name for s in self.stages)
        raise KeyError(f"no stage named {name!r} (stages: {known})")


def build_spec(data: Mapping[str, Any], origin: Origin) -> Spec:
    """Turn validated data into the frozen model, applying every default."""
    data = _defaulted(data, "")
    name = str(data["name"])
    model = _defaulted(data["model"], "model")
    training = _training(_defaulted(data["training"], "training"))
    serving_data = data.get("serving")
    serving = (
        _serving(_defaulted(serving_data, "serving"), training.compute)
        if serving_data is not None
        else None
    )
    stages = data["stages"]
    return Spec(
        api_version=str(data["apiVersion"]),
        name=name,
        description=str(data["description"]),
        owners=tuple(data["owners"]),
        model=RegisteredModel(name=model["name"], registry=model["registry"]),
        training=training,
        schedule=_schedule(data.get("schedule")),
        stages=tuple(
            _stage(_defaulted(s, "stages[]"), name, serving, last=i == len(stages) - 1)
            for i, s in enumerate(stages)
        ),
        serving=serving,
        pipeline=_pipeline(_defaulted(data["pipeline"], "pipeline")),
        permissions=_permissions(_defaulted(data["permissions"], "permissions")),
        origin=origin,
        tags=frozen_map(data["tags"]),
        runtime_compute=_runtime_compute(data.get("runtime_compute"), training.compute),
    )


def _pipeline(p: Mapping[str, Any]) -> Pipeline:
    package = p["package"]  # the schema's default when omitted; validate allows one key
    return Pipeline(
        package=PackageSource(
            feed=package.get("feed"),
            wheels=package.get("wheels"),
            index_url=package.get("index_url"),
        ),
        pool=Pool(vm_image=p["pool"].get("vm_image"), name=p["pool"].get("name")),
        tests=_tests(_defaulted(p["tests"], "pipeline.tests")),
        release_branch=str(p["release_branch"]),
    )


def _permissions(p: Mapping[str, Any]) -> Permissions:
    def principals(items: list[Mapping[str, str]]) -> tuple[Principal, ...]:
        # validate allows exactly one key per item
        return tuple(
            Principal(PRINCIPAL_FIELDS[key], str(name))
            for item in items
            for key, name in item.items()
        )

    return Permissions(
        can_view=principals(p["can_view"]), can_manage_run=principals(p["can_manage_run"])
    )


def _tests(t: Mapping[str, Any]) -> Tests:
    return Tests(requirements=t.get("requirements"), path=str(t["path"]))


def _defaulted(node: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """`node` (the object at `where`, e.g. "stages[].approval") with the schema's default for
    every key it omits."""
    return {**schema_defaults()[where], **node}


def _training(t: Mapping[str, Any]) -> Training:
    parameters = frozen_map(t["parameters"])
    pr = t.get("pr_check")
    return Training(
        notebook=posixpath.normpath(str(t["notebook"])),
        parameters=parameters,
        compute=_compute(_defaulted(t["compute"], "training.compute")),
        libraries=tuple(t["libraries"]),
        timeout_minutes=int(t["timeout_minutes"]),
        max_retries=int(t["max_retries"]),
        pr_check=(
            _pr_check(_defaulted(pr, "training.pr_check"), parameters) if pr is not None else None
        ),
    )


def _pr_check(pr: Mapping[str, Any], training_parameters: Mapping[str, str]) -> PrCheck:
    return PrCheck(parameters=frozen_map({**training_parameters, **pr["parameters"]}))


def _settings(c: Mapping[str, Any]) -> ClusterSettings:
    return ClusterSettings(
        policy_id=c.get("policy_id"),
        apply_policy_default_values=bool(c["apply_policy_default_values"]),
        instance_pool_id=c.get("instance_pool_id"),
        driver_instance_pool_id=c.get("driver_instance_pool_id"),
        init_scripts=tuple(c["init_scripts"]),
        custom_tags=frozen_map(c["custom_tags"]),
        data_security_mode=str(c["data_security_mode"]),
    )


def _node_type(c: Mapping[str, Any]) -> str | None:
    """The VM type, unless an instance pool decides it: "All clusters attached to the pool
    inherit this node type" (Databricks, Instance Pools API, create: node_type_id)."""
    return None if "instance_pool_id" in c else str(c["node_type"])


def _runtime_compute(raw: Mapping[str, Any] | None, training: Compute) -> RuntimeCompute:
    """`runtime_compute`, or what it was before it could be set: serverless beside serverless
    training, else a single-node cluster of the training cluster's runtime and VM type."""
    if raw is None:
        if training.kind == "serverless":
            return RuntimeCompute(serverless=True, cluster=None)
        return RuntimeCompute(serverless=False, cluster=training.runtime_cluster)
    c = _defaulted(raw, "runtime_compute")
    if c["serverless"]:
        return RuntimeCompute(serverless=True, cluster=None)
    cluster = RuntimeCluster(str(c["spark_version"]), _node_type(c), _settings(c))
    return RuntimeCompute(serverless=False, cluster=cluster)


def _compute(c: Mapping[str, Any]) -> Compute:
    # `c` holds the schema's spark_version and node_type even beside an existing cluster; the
    # derived cluster takes none of the platform settings (a single node needs no GPU policy),
    # only the schema's defaults for a cluster that sets none (data_security_mode, ...)
    runtime = RuntimeCluster(
        spark_version=str(c["spark_version"]),
        node_type=str(c["node_type"]),
        settings=_settings(_defaulted({}, "runtime_compute")),
    )
    if c["serverless"]:
        return Compute(kind="serverless", runtime_cluster=runtime)
    if "existing_cluster_id" in c:
        return Compute(
            kind="existing_cluster",
            runtime_cluster=runtime,
            existing_cluster_id=str(c["existing_cluster_id"]),
        )
    autoscale = c.get("autoscale")
    return Compute(
        kind="new_cluster",
        runtime_cluster=runtime,
        new_cluster=NewCluster(
            spark_version=str(c["spark_version"]),
            node_type=_node_type(c),
            workers=None if autoscale else int(c["workers"]),  # the default is for fixed size
            autoscale_min=int(autoscale["min"]) if autoscale else None,
            autoscale_max=int(autoscale["max"]) if autoscale else None,
            settings=_settings(c),
        ),
    )


def _schedule(s: Mapping[str, Any] | None) -> Schedule | None:
    if s is None:
        return None
    s = _defaulted(s, "schedule")
    return Schedule(cron=str(s["cron"]), timezone=str(s["timezone"]), paused=bool(s["paused"]))


def _gate(g: Mapping[str, Any]) -> Gate:
    g = _defaulted(g, "stages[].gates[]")
    if "compare" in g:
        return ChampionGate(
            metric=str(g["metric"]),
            higher_is_better=bool(g["higher_is_better"]),
            tolerance=float(g["tolerance"]),
        )
    return ThresholdGate(
        metric=str(g["metric"]),
        min=float(g["min"]) if "min" in g else None,
        max=float(g["max"]) if "max" in g else None,
    )


def _stage(s: Mapping[str, Any], spec_name: str, serving: Serving | None, *, last: bool) -> Stage:
    approval = s.get("approval")
    azureml = s.get("azureml")
    return Stage(
        name=str(s["name"]),
        workspace=str(s["workspace"]).rstrip("/"),
        workspace_folder=str(s.get("workspace_folder", default_workspace_folder(spec_name))),
        service_connection=s.get("service_connection"),
        variable_group=s.get("variable_group"),
        group_variable=str(s["group_variable"]),
        oidc_client_id=s.get("oidc_client_id"),
        oidc_client_id_variable=s.get("oidc_client_id_variable"),
        run_as=s["run_as"]["service_principal"] if "run_as" in s else None,
        gates=tuple(_gate(g) for g in s["gates"]),
        environment=s.get("environment"),
        approval=(
            _approval(_defaulted(approval, "stages[].approval")) if approval is not None else None
        ),
        azureml=_azureml(azureml, s.get("service_connection")),
        serving=_stage_serving(serving, str(s["name"]), s.get("serving", {}), last=last),
    )


def _azureml(
    azureml: Mapping[str, Any] | None, stage_connection: str | None
) -> AzureMLWorkspace | None:
    if azureml is None:
        return None
    connection = azureml.get("service_connection") or stage_connection
    assert connection is not None  # E360
    return AzureMLWorkspace(azureml["resource_group"], azureml["workspace"], str(connection))


def _stage_serving(
    serving: Serving | None, stage: str, own: Mapping[str, Any], *, last: bool
) -> StageServing | None:
    """The spec's serving block as one stage gets it. Without an override the last stage's
    endpoint never scales to zero: Databricks does not recommend it for production endpoints
    ("Mosaic AI Model Serving concepts", Scale to zero)."""
    if serving is None:
        return None
    endpoint = serving.endpoint and default_endpoint(serving.endpoint, stage)
    tables = {
        key: own.get(key) or (template and stage_table(template, stage))
        for key, template in (
            ("input_table", serving.input_table),
            ("output_table", serving.output_table),
        )
    }
    return StageServing(
        endpoint=own.get("endpoint") or endpoint,
        scale_to_zero=bool(own.get("scale_to_zero", False if last else serving.scale_to_zero)),
        input_table=tables["input_table"],
        output_table=tables["output_table"],
    )


def _approval(a: Mapping[str, Any]) -> Approval:
    return Approval(
        approvers=tuple(a["approvers"]),
        timeout_minutes=int(a["timeout_minutes"]),
        instructions=str(a["instructions"]),
        allow_self_approval=bool(a["allow_self_approval"]),
    )


def _serving(s: Mapping[str, Any], training: Compute) -> Serving:
    batch_schedule = None
    if s["target"] == "batch" and "cron" in s:
        batch_schedule = Schedule(cron=str(s["cron"]), timezone=str(s["timezone"]), paused=False)
    return Serving(
        target=s["target"],
        endpoint=s.get("endpoint"),
        workload_size=str(s["workload_size"]),
        scale_to_zero=bool(s["scale_to_zero"]),
        instance_type=str(s["instance_type"]),
        instance_count=int(s["instance_count"]),
        input_table=s.get("input_table"),
        output_table=s.get("output_table"),
        batch_schedule=batch_schedule,
        smoke_test=posixpath.normpath(s["smoke_test"]) if "smoke_test" in s else None,
        compute=_scoring_compute(s, training),
    )


def _scoring_compute(s: Mapping[str, Any], training: Compute) -> Compute | None:
    if s["target"] != "batch":
        return None
    if "compute" not in s:
        return training
    return _compute(_defaulted(s["compute"], "serving.compute"))
