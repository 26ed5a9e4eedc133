# Quick start: `make demo` and `make test` (need only Python 3.11 and make).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench lint clean venv screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/counterflow run caribbean --runs 20 --seed 1
	$(BIN)/counterflow compare caribbean --runs 20 --seed 1 --report out/caribbean-report.html \
		-m delivered_kg -m flow_reduction_pct -m civilian_harm -m backlash -m cost_per_kg_averted
	@echo "report: $(CURDIR)/out/caribbean-report.html"

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# the screenshots of the page and the report in docs/img (CI: make screenshots SCREENSHOTS=<untracked dir>)
SCREENSHOTS ?= docs/img
screenshots: $(STAMP)
	$(BIN)/python -m counterflow.web.browser --out-dir $(SCREENSHOTS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
