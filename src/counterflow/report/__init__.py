"""The HTML report of a comparison: one self-contained file that opens offline.

Everything in it is read from the recorded runs (nothing is re-simulated):
run the replications with ``keep_steps=True, keep_flows=True``.

Examples
--------
>>> from counterflow import load_scenario, resolve_strategies
>>> from counterflow.runner import run_replications
>>> from counterflow.report import write_report
>>> s = load_scenario("caribbean")
>>> st = resolve_strategies(s, ["port-strike"])
>>> res = run_replications(s, st, runs=2, steps=8, keep_steps=True, keep_flows=True)
>>> write_report(s, res, "report.html", st)  # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..runner import Results
from ..scenario import Scenario
from ..strategy import Strategy
from .content import build_content
from .html import render_html
from .tables import COMPARE_METRICS, PLAIN_LABELS, comparison

__all__ = ["write_report", "build_report", "build_content", "comparison", "COMPARE_METRICS", "PLAIN_LABELS"]


def build_report(scenario: Scenario, results: Results, strategies: Sequence[Strategy] | None = None,
                 metrics: Sequence[str] | None = None) -> tuple[str, dict[str, dict]]:
    """Render the report: ``(html, {figure_name: vega_lite_spec})``."""
    from .. import __version__

    c = build_content(scenario, results, strategies, metrics)
    specs = {f"time-{k}": v for k, v in c["time"].items()}
    specs.update({f"map-{name}": v for name, v in c["maps"].items()})
    return render_html(c, __version__), specs


def write_report(scenario: Scenario, results: Results, path: str | Path,
                 strategies: Sequence[Strategy] | None = None, *, metrics: Sequence[str] | None = None,
                 figures_dir: str | Path | None = None) -> Path:
    """Write the self-contained HTML report to ``path`` and each figure's Vega-Lite spec; return the HTML path.

    Parameters
    ----------
    scenario
        The scenario the results were run on.
    results
        :class:`~counterflow.runner.Results` from
        ``run_replications(..., keep_steps=True, keep_flows=True)``.
    path
        The HTML file to write (its folder is created).
    strategies
        The :class:`~counterflow.strategy.Strategy` objects that were run, for
        their descriptions; by default those the scenario carries.
    metrics
        The rows of the comparison table, in order (``compare -m``); default all.
    figures_dir
        Where to write each figure as a Vega-Lite spec (``<name>.vl.json``, to
        open in any Vega-Lite viewer); default a folder ``<stem>_figures``
        next to the HTML file.
    """
    path = Path(path)
    html, specs = build_report(scenario, results, strategies, metrics)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    folder = Path(figures_dir) if figures_dir is not None else path.with_name(path.stem + "_figures")
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in specs.items():
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        (folder / f"{safe}.vl.json").write_text(json.dumps(spec), encoding="utf-8")
    return path
