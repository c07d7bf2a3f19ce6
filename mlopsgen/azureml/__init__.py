"""Serving on Azure ML from the pipeline agent (issue 10, "Azure ML from the agent").

A Databricks cluster has no Azure CLI, no `ml` extension and no Azure login, so nothing
Azure-ML-specific runs there: the stage's deploy job keeps the gate, and the pipeline's
`AzureCLI@2` step (logged in with the stage's Azure ML service connection) runs
`mlopsgen azureml-deploy`, which drives `az ml` from here. `commands` builds the command
lines (pure), `rollout` runs them in the safe-rollout order with an injectable runner.
"""
