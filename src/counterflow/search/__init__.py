"""Many-objective robust search over lever portfolios (pymoo), under deep uncertainty.

:func:`~counterflow.search.spec.load_search` reads a search file,
:func:`~counterflow.search.engine.run_search` runs it into a resumable store,
:func:`~counterflow.search.front.front` reads the robust Pareto front back.
pymoo is the optional extra ``counterflow[search]``.
"""

from .spec import SearchSpec, load_search, parse_search

__all__ = ["SearchSpec", "load_search", "parse_search"]
