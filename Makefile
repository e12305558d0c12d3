# Quick start: `make demo` (build everything, serve search over the bundled sample)
# and `make test` (the whole suite). Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: demo test lint serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/communiques demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/communiques serve

clean:
	rm -rf $(VENV) index/demo

# Benchmarks (not part of `make test`): figures go to docs/performance.md.
.PHONY: bench bench-large bench-tools
bench-tools: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench: bench-tools
	$(BIN)/python -m benchmarks.run --docs 10000 --repeat 5
	$(BIN)/python -m benchmarks.run --docs 100000 --repeat 3

bench-large: bench-tools
	$(BIN)/python -m benchmarks.run --docs 1000000 --repeat 3

# Reliability (not part of `make test`): fuzz every route, SIGKILL the writers, search
# during rebuilds, load past the cache, XSS in Chromium; figures go to docs/reliability.md.
.PHONY: reliability
reliability: bench-tools
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/python -m benchmarks.reliability
