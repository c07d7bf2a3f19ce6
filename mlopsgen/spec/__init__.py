"""Reading and checking `model.yaml`: YAML with positions, the JSON Schema (and its compiled
fast check), semantic and value rules, secret detection, cron, and located diagnostics.

`mlopsgen.spec.compile` is the one entry point: text in, diagnostics and (when valid) the
frozen `mlopsgen.model.Spec` out.
"""
