"""mlopsgen: compile one model.yaml into an Azure DevOps pipeline, Databricks jobs and notebooks."""

# The one declaration of the version: pyproject.toml reads it from here ([tool.hatch.version]).
# The generated pipeline pins exactly this version so that CI regenerates with the same templates.
__version__ = "0.1.0"
