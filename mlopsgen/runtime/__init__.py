"""The code the generated deploy notebooks import on the cluster (shipped as `mlopsgen_runtime`)."""
