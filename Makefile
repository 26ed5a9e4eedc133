# Quick start: `make demo` and `make test` (need only Python 3.11 and make).
#   make demo   installs the core package (no test or docs tools) and runs a comparison with its report
#   make test   installs the test extras, then runs the lint, the strict docs build and the test suite
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.installed-core
FULL := $(VENV)/.installed-test

.PHONY: demo test test-fast bench lint coverage docs docs-serve clean venv screenshots

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

# the suite runs on every core (pytest-xdist; work stealing, since a few statistical cases take minutes)
test: $(FULL) lint docs
	$(BIN)/python -m pytest -q -n auto --dist worksteal

test-fast: $(FULL)
	$(BIN)/python -m pytest -q -n auto --dist worksteal -m "not slow"

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

# the compiled kernels (engine/_kernels, _netsimplex, _ssp, society, optimize/_cover_search, _detour, _evader, _heap) run interpreted
# (NUMBA_DISABLE_JIT=1) so that coverage sees them, on a cheap selection of their tests: pinned trajectories
# (bit-identical to the compiled runs) on both planners, with and without diversification; the binomial
# sampler against scipy; the society kernel; the cover search against brute force; the min-cost detour bound against re-solved LPs;
# the A* evader against Dijkstra; loads following their route. Prints the kernels'
# coverage and fails below 95 %. Not part of `make test`: about 2 minutes on a loaded 2-core host.
KERNEL_TESTS := \
	"tests/engine/test_pinned.py::test_trajectory_is_pinned[caribbean-layered-0.0]" \
	"tests/engine/test_pinned.py::test_trajectory_is_pinned[transatlantic-sanctions-1.0]" \
	"tests/engine/test_pinned.py::test_trajectory_is_pinned[generated-strike-simplex-1.0]" \
	tests/engine/test_binomial.py::test_exact_regime_is_the_binomial_quantile_function \
	tests/engine/test_binomial.py::test_edge_cases \
	"tests/engine/test_binomial.py::test_normal_regime_matches_the_binomial_distribution[2000-0.3]" \
	tests/test_society.py::test_backlash_decays_geometrically_without_pressure \
	tests/test_society.py::test_org_jurisdiction_weights \
	tests/optimize/test_cover_search.py \
	tests/optimize/test_mincost_search.py::test_detour_bound_is_the_reoptimised_cost \
	tests/optimize/test_evader.py \
	tests/engine/test_planning.py::test_plan_conserves_flow_within_capacity \
	tests/engine/test_follow_route.py \
	tests/engine/test_warm_planning.py::test_warm_start_saves_pivots
coverage: $(FULL)
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m pytest -q --cov --cov-report=term-missing --cov-fail-under=95 $(KERNEL_TESTS)

# strict: a broken link, a missing page or a failing API reference stops the build (works offline)
docs: $(FULL)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

docs-serve: $(FULL)
	$(BIN)/python -m mkdocs serve

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .import_linter_cache .coverage build site *.egg-info
