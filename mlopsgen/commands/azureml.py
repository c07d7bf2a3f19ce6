"""`mlopsgen azureml-deploy`: the Azure ML rollout of one stage, run by the pipeline inside
`AzureCLI@2` after the Databricks deploy job (the gate) succeeded. Needs the `azureml` extra
(MLflow downloads the model); nothing imports MLflow until the rollout runs.
"""

from __future__ import annotations

from pathlib import Path

from mlopsgen.commands import console
from mlopsgen.errors import ExitCode, MlopsgenError, UsageError


def run_azureml_deploy(spec_path: Path, stage_name: str, version: str, mode: str) -> ExitCode:
    """Roll the version out on the stage's Azure ML endpoint, then promote it in the registry."""
    from mlopsgen import report
    from mlopsgen.azureml import stage as azureml_stage
    from mlopsgen.azureml.rollout import roll_out
    from mlopsgen.spec.compile import compile_spec

    if not spec_path.is_file():
        raise UsageError(f"no such spec file: {spec_path}")
    azureml_stage.check_options(version, mode)
    result = compile_spec(spec_path)
    if result.spec is None:
        console.err(report.as_text(result.diagnostics))
        raise MlopsgenError(f"{spec_path}: the spec is invalid; nothing was deployed")
    spec = result.spec
    stage = azureml_stage.azureml_stage(spec, stage_name)
    rollout = azureml_stage.rollout_for(spec, spec_path.parent, stage, version.strip())
    for change in roll_out(rollout, echo=console.line):
        console.line(change)
    for line in azureml_stage.promote(spec, stage, version.strip(), mode):
        console.line(line)
    return ExitCode.OK
