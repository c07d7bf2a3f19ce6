"""The command layer: each command reads its inputs, calls the pure core, prints through
`mlopsgen.report` and returns an exit code. The only code that writes to the terminal.

Modules import only the standard library and mlopsgen.errors at the top: each command
imports what it needs, so `mlopsgen --help` pays for none of it.
"""
