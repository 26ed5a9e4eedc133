"""A report people would rather look at than read: one self-contained HTML file plus PNG figures.

Examples
--------
>>> from counterflow import load_scenario, resolve_strategies
>>> from counterflow.runner import run_replications
>>> from counterflow.report import write_report
>>> s = load_scenario("caribbean")
>>> st = resolve_strategies(s, ["port-strike"])
>>> res = run_replications(s, st, runs=2, steps=8, keep_steps=True)
>>> write_report(s, res, "report.html", st)  # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..engine import Engine
from ..errors import InputError
from ..runner import Results, network_for, replication_seed
from ..scenario import Scenario
from ..strategy import Strategy, resolve_strategies
from .figures import fig_delivery, fig_indicators, fig_map, strategy_colours
from .html import render_html
from .tables import COMPARE_METRICS, PLAIN_LABELS, comparison

__all__ = ["write_report", "build_report", "map_flows", "comparison", "COMPARE_METRICS", "PLAIN_LABELS"]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def map_flows(scenario: Scenario, strategies: Sequence[Strategy], seed: int, steps: int,
              window: int = 8) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Mean flow per edge before and after each strategy's first action, in replication 0.

    "Before" is the mean over the ``window`` steps before the first action
    (the warm steady state when the action is at step 0); "after" is the
    mean from the first action to the end of the horizon. Replication 0 uses
    the same seed as replication 0 of :func:`~counterflow.runner.run_replications`.
    """
    net = network_for(scenario)
    out = []
    for st in strategies:
        traj = Engine(net, st, np.random.default_rng(replication_seed(seed, 0)), record_flows=True).run(steps)
        flow = traj.edge_flow.astype(float)
        t0 = traj.first_action
        if t0 is None or t0 >= steps:
            t0 = steps // 2
        if t0 > 0:
            before = flow[max(0, t0 - window):t0].mean(axis=0)
        else:
            from ..engine.core import warm_state

            before = warm_state(net).edge_flow.astype(float)
        after = flow[t0:].mean(axis=0)
        out.append((st.name, before, after))
    return out


def build_report(scenario: Scenario, results: Results, strategies: Sequence[Strategy] | None = None
                 ) -> tuple[str, dict[str, bytes]]:
    """Render the report: ``(html, {figure_name: png_bytes})``."""
    steps = results.steps()
    if steps.empty:
        raise InputError("the report needs per-step results: run the replications with keep_steps=True")
    net = network_for(scenario)
    order = list(results.strategies)
    if strategies is None:
        known = resolve_strategies(scenario, [n for n in order if n in scenario.strategies])
        strategies = [s for s in known if s.name in order]
    by_name = {s.name: s for s in strategies}
    colours = strategy_colours(order, results.baseline)
    first = {n: (by_name[n].first_action() if n in by_name else None) for n in order}
    markets = [net.node_ids[i] for i in net.market_node]
    horizon = int(steps.step.max()) + 1
    figs = {
        "delivery": _png(fig_delivery(steps, markets, order, colours, first, net.market_demand)),
        "indicators": _png(fig_indicators(steps, markets, net.market_price, order, colours, first)),
    }
    acting = [by_name[n] for n in order if n in by_name and n != results.baseline and by_name[n].levers]
    if not acting and order:
        acting = [by_name[order[0]]] if order[0] in by_name else []
    if acting:
        flows = map_flows(scenario, acting, results.seed, horizon)
        figs["map"] = _png(fig_map(net, flows, {n: first[n] for n, _, _ in flows}))
    table = comparison(results)
    html = render_html(scenario, results, table, by_name, colours,
                       {k: base64.b64encode(v).decode("ascii") for k, v in figs.items()})
    return html, figs


def write_report(scenario: Scenario, results: Results, path: str | Path,
                 strategies: Sequence[Strategy] | None = None, *, png_dir: str | Path | None = None) -> Path:
    """Write the self-contained HTML report to ``path`` and each figure as PNG; return the HTML path.

    Parameters
    ----------
    scenario
        The scenario the results were run on.
    results
        :class:`~counterflow.runner.Results` from ``run_replications(..., keep_steps=True)``.
    path
        The HTML file to write (its folder is created).
    strategies
        The :class:`~counterflow.strategy.Strategy` objects that were run, for
        their descriptions and the map; by default those the scenario carries.
    png_dir
        Where to write ``delivery.png``, ``indicators.png`` and ``map.png``;
        default: a folder ``<stem>_figures`` next to the HTML file.
    """
    path = Path(path)
    html, figs = build_report(scenario, results, strategies)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    png_dir = Path(png_dir) if png_dir is not None else path.with_name(path.stem + "_figures")
    png_dir.mkdir(parents=True, exist_ok=True)
    for name, data in figs.items():
        (png_dir / f"{name}.png").write_bytes(data)
    return path
