"""Facts about Azure DevOps that both validation and the pipeline renderer rely on."""

from __future__ import annotations

import re

# Where Azure DevOps expands text in a pipeline: `$(var)` macros, `${{ }}` template
# expressions and `$[ ]` runtime expressions. Validation rejects spec strings containing one
# (E320); the renderer refuses any other value that would reach the pipeline with one.
# https://learn.microsoft.com/azure/devops/pipelines/process/variables#understand-variable-syntax
MACRO_SYNTAX = re.compile(r"\$\(|\$\{\{|\$\[")
