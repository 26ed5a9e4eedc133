# Quick start: `make demo` and `make test` (need only Python 3.11 and make).
#   make demo   installs the core package (no test or docs tools) and runs a comparison with its report
#   make test   installs the test extras, then runs the lint, the strict docs build and the test suite
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.installed-core
FULL := $(VENV)/.installed-test

.PHONY: demo test test-fast bench lint docs docs-serve clean venv screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(CORE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(CORE)

$(FULL): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(FULL) $(CORE)

venv: $(FULL)

demo: $(CORE)
	$(BIN)/counterflow run caribbean --runs 20 --seed 1
	$(BIN)/counterflow compare caribbean --runs 20 --seed 1 --report out/caribbean-report.html \
		-m delivered_kg -m flow_reduction_pct -m civilian_harm -m backlash -m cost_per_kg_averted
	@echo "report: $(CURDIR)/out/caribbean-report.html"

test: $(FULL) lint docs
	$(BIN)/python -m pytest -q

test-fast: $(FULL)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(FULL)
	$(BIN)/python benchmarks/run_all.py

# the screenshots of the page and the report in docs/img (CI: make screenshots SCREENSHOTS=<untracked dir>)
SCREENSHOTS ?= docs/img
screenshots: $(FULL)
	$(BIN)/python -m counterflow.web.browser --out-dir $(SCREENSHOTS)

lint: $(FULL)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/vulture

# strict: a broken link, a missing page or a failing API reference stops the build (works offline)
docs: $(FULL)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

docs-serve: $(FULL)
	$(BIN)/python -m mkdocs serve

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .import_linter_cache build site *.egg-info
