"""Names vulture reports as unused in src/counterflow that are used, each with the reason.

`make lint` runs vulture over src/counterflow and this file (settings in pyproject.toml,
[tool.vulture]; FastAPI routes, Typer commands and registered targeting rules are recognised
by their decorators there). A name listed here is kept on purpose; anything else vulture
reports is dead: remove it, or add it here with the reason if something outside the package's
own code uses it. This file is never imported.
"""
# ruff: noqa: B018, F821
# (bare names and attributes on purpose: that is how vulture counts a use)

# Python and framework protocols, called by name from outside
__getattr__  # module __getattr__ (PEP 562): the package's lazy exports
__dir__  # module __dir__ (PEP 562)
_._repr_html_  # Jupyter's rich display (Comparison, Results, Scenario, Store, SearchStore)
_.add_command  # click.Group overrides (cli/__init__.py): Click calls them
_.list_commands
_.get_command
model_config  # pydantic model settings (web/app.py, web/stores.py)
_.should_exit  # uvicorn.Server: setting it stops the test server (web/browser.py)
worker  # distributed.WorkerPlugin.setup(worker=...): Dask passes it by this name (dask_watchdog.py)

# highspy model fields, set before passModel (optimize/_milp.py, optimize/_mcf_search.py)
_.col_cost_
_.col_lower_
_.col_upper_
_.row_lower_
_.row_upper_
_.format_
_.start_
_.index_
_.value_
_.integrality_
_.sense_

# enum members: values of the `optimize --objective` option (cli/optimize.py)
shortest_path
expected_max_flow

# public results and records, read by users, tests or by name
predicted  # CalibrationResult.predicted: the simulated series of the accepted draws
total_runs  # SweepReport fields (returned by run_sweep)
skipped_runs
failed_runs
price_expect  # RunState.price_expect and Trade.price_expect: read by name (engine/core.py's attrgetter for the Trade bundle)
edge_flow_total  # RunRecord field, read by name (report/effects.py: _paired(..., "edge_flow_total"))
edge_indices  # InterdictionResult fields
node_indices
_.reduction_pct  # InterdictionResult.reduction_pct
_.key_counts  # Store.key_counts, SearchStore.key_counts: one row per stored key (integrity checks)
_.edge_ids  # Network.edge_ids: (from, to) of every edge
_.process  # JobManager.process: a running job's process (tests check it ends)
recovery_threshold  # Parameters field no longer used; kept so that files carrying it load (docs/formats.md)
display_scale  # Outcome display scale and unit: the companions of the plain labels ("tonnes",
display_unit  # "USD millions"); no view reads them yet

# in optimize/, owned elsewhere: reported as unused, not yet decided
_.plan_cost  # InterdictionNetwork.plan_cost (tests only)
_.resolve_plan  # InterdictionNetwork.resolve_plan (tests only)

# _jit.py: numba reads its config.CACHE_DIR setting; the module's CACHE_DIR records the folder chosen
_.CACHE_DIR  # numba.config.CACHE_DIR, set for numba to read
CACHE_DIR  # counterflow._jit.CACHE_DIR, the folder chosen at import

# cli/common.py: Rich calls Console.on_broken_pipe when its output is closed; quiet is Rich's own attribute
_.on_broken_pipe  # the console's hook: raise BrokenPipeError (handles_errors ends with status 0) instead of exit 1
_.quiet  # rich.console.Console.quiet: drop what is left to print

# engine/core.warm_state records how many steps the warm-up ran (parameters.warmup_max); read by users and tests
warmup_steps  # RunState.warmup_steps

# engine/bundles.as_bundle's compiled form: Numba's @overload registers it, compiled callers of as_bundle run it
_as_bundle
