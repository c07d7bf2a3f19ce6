"""mlopsgen: compile one model.yaml into an Azure DevOps pipeline, Databricks jobs and notebooks."""

# Kept in step with pyproject.toml by tests/test_packaging.py; the generated pipeline pins
# exactly this version so that CI regenerates with the same templates.
__version__ = "0.1.0"
