# Development tasks; the README's "Development" section describes them.
# Every tool runs from the project's virtualenv (the versions pyproject.toml pins), through
# its python: `make test PY=/path/to/python` uses another environment. ARGS goes to pytest
# (`make test ARGS='-m "not slow"'`) and to the benchmark (`make bench ARGS='-n 200'`).
PY ?= .venv/bin/python
ARGS ?=

.PHONY: help lint fmt test regen bench

help:
	@echo "make lint    ruff check, ruff format --check, mypy (strict: mlopsgen, tests, benchmarks, scripts)"
	@echo "make fmt     sort imports and format with ruff"
	@echo "make test    the whole test suite (pytest)"
	@echo "make regen   rewrite golden/, the invalid cases' expected.txt and the spec reference"
	@echo "make bench   benchmarks/bench_render.py (render and check over 1,000 specs)"

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

fmt:
	$(PY) -m ruff check --select I --fix .
	$(PY) -m ruff format .

test:
	$(PY) -m pytest $(ARGS)

regen:
	$(PY) scripts/regen.py

bench:
	$(PY) benchmarks/bench_render.py $(ARGS)
