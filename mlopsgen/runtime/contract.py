"""The names the runtime shares with the renderer: its tasks.

This module ships to the cluster with the runtime, so it imports nothing from mlopsgen;
the renderer, the deploy code and validation import these names from here.
"""

from __future__ import annotations

CANDIDATE = "candidate"
GATE = "gate"
PROMOTE = "promote"
DEPLOY_SERVING = "deploy_serving"
SMOKE_TEST = "smoke_test"
BATCH_SCORE = "batch_score"
# Every task a generated notebook runs, in the order the jobs run them.
TASKS = (CANDIDATE, GATE, PROMOTE, DEPLOY_SERVING, SMOKE_TEST, BATCH_SCORE)
