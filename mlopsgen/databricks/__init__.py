"""The workspace side of `deploy` and `run`: the client, reading the workspace, the desired
state, the comparison, the plan and its application, PR submission, and watching a run.

Only the `deploy` and `run` commands import this package (databricks-sdk is an extra).
"""
