"""``counterflow.compare``: strategies against a baseline, as the numbers ``compare --json`` prints.

>>> import counterflow
>>> c = counterflow.compare("caribbean", ["port-strike"], runs=2, seed=0, steps=8)
>>> sorted(c.to_dict())[:4]
['baseline', 'metrics', 'runs', 'scenario']
>>> c.to_frame().columns[:4].tolist()
['strategy', 'metric', 'label', 'unit']
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .outcomes import CATEGORICAL_OUTCOMES, LABELS, OUTCOMES, SUMMARY_OUTCOMES, check_names

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .runner import Results
    from .scenario import Scenario
    from .strategy import Strategy

__all__ = ["Comparison", "compare", "COMPARE_METRICS", "METRIC_UNITS"]

#: the metrics a comparison shows by default (the outcomes registry's summary outcomes)
COMPARE_METRICS = list(SUMMARY_OUTCOMES)
#: the metrics a comparison can show (``-m``): every numeric outcome of the registry
COMPARABLE = [name for name in OUTCOMES if name not in CATEGORICAL_OUTCOMES]

#: the unit of each outcome (printed next to every number)
METRIC_UNITS = {name: o.unit for name, o in OUTCOMES.items()}

_STATS = ("mean", "p05", "p50", "p95", "diff_mean", "diff_lo", "diff_hi", "beats_pct")


@dataclass
class Comparison:
    """The comparison of strategies with a baseline over paired replications.

    ``strategies[name][metric]`` holds ``mean``, ``p05``/``p50``/``p95``, the mean paired
    difference from the baseline ``diff_mean`` with its 95 % interval ``diff_lo``..``diff_hi``,
    and ``beats_pct`` (share of replications in which the strategy did better).
    """

    scenario: str
    baseline: str
    runs: int
    seed: int
    steps: int | None
    metrics: list[str]
    strategies: dict[str, dict[str, dict]]
    results: Results | None = field(default=None, repr=False, compare=False)
    _scenario: Any = field(default=None, repr=False, compare=False)
    _strategy_objs: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The JSON document of ``counterflow compare --json``."""
        from .report.tables import comparison_doc

        return comparison_doc(self.scenario, self.baseline, self.runs, self.seed, self.steps, self.metrics,
                              self.strategies)

    def to_frame(self) -> pd.DataFrame:
        """One row per (strategy, metric): label, unit and the statistics of :meth:`to_dict`."""
        import pandas as pd

        rows = []
        for name, per in self.strategies.items():
            for m in self.metrics:
                e = per.get(m)
                if e is None:
                    continue
                rows.append({"strategy": name, "metric": m, "label": LABELS.get(m, m),
                             "unit": METRIC_UNITS.get(m, ""), **{k: e.get(k) for k in _STATS}})
        return pd.DataFrame(rows, columns=["strategy", "metric", "label", "unit", *_STATS])

    @property
    def frame(self) -> pd.DataFrame:
        """Same as :meth:`to_frame`."""
        return self.to_frame()

    def report(self, path: str | Path) -> Path:
        """Write the HTML report of these runs, its table limited to this comparison's metrics.

        Needs ``keep_steps=True`` and ``keep_flows=True``, the defaults of :func:`compare`."""
        if self.results is None:
            raise InputError("this comparison kept no runs to report")
        from .report import write_report
        from .scenario import load_scenario

        sc = self._scenario or self.results._scenario or load_scenario(self.results.scenario)
        return write_report(sc, self.results, path, self._strategy_objs or self.results._strategies,
                            metrics=self.metrics)

    def __repr__(self) -> str:
        names = ", ".join(self.strategies)
        return (f"<Comparison {self.scenario}: {names} vs '{self.baseline}', {self.runs} runs, seed {self.seed}, "
                f"{len(self.metrics)} metrics>")

    def _repr_html_(self) -> str:
        from .report.words import delta, fmt

        head = "".join(f"<th>{html.escape(n)}</th>" for n in self.strategies)
        rows = []
        for m in self.metrics:
            cells = []
            for name, per in self.strategies.items():
                e = per.get(m) or {}
                value = e.get("mean") if e.get("mean") is not None else e.get("p50")
                text = fmt(value)
                if name != self.baseline and e.get("diff_mean") is not None:
                    text += f"<br><small>{html.escape(delta(e['diff_mean'], e['diff_lo'], e['diff_hi']))}</small>"
                cells.append(f"<td style='text-align:right'>{text}</td>")
            unit = METRIC_UNITS.get(m, "")
            rows.append(f"<tr><th style='text-align:left'>{html.escape(m)} ({html.escape(unit)})</th>"
                        f"{''.join(cells)}</tr>")
        return (f"<p><b>{html.escape(self.scenario)}</b>: {self.runs} paired runs, seed {self.seed}, against "
                f"'{html.escape(self.baseline)}' (mean; Δ = mean paired difference [95 % CI])</p>"
                f"<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>")


def compare(
    scenario: str | Scenario,
    strategies: Sequence[str | Strategy] | None = None,
    runs: int = 20,
    seed: int = 0,
    baseline: str = "baseline",
    *,
    steps: int | None = None,
    metrics: Sequence[str] | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    keep_steps: bool = True,
    keep_flows: bool = True,
) -> Comparison:
    """Compare strategies with a baseline under common random numbers.

    Parameters
    ----------
    scenario
        A :class:`~counterflow.scenario.Scenario`, a built-in name or a scenario YAML path.
    strategies
        Names the scenario carries, strategy YAML paths, or :class:`~counterflow.strategy.Strategy`
        objects (default: all the scenario carries).
    runs, seed
        Replications; replication ``i`` uses the same random numbers under every strategy.
    baseline
        The strategy differences are measured against (default: no action).
    steps
        Horizon (default: the scenario's).
    metrics
        Metrics to compare (default: :data:`COMPARE_METRICS`; any numeric outcome of
        :data:`counterflow.outcomes.OUTCOMES`).
    keep_steps, keep_flows
        Keep the per-step series and the flow totals per edge and place (both needed by
        :meth:`Comparison.report`).

    Returns
    -------
    Comparison
        ``.to_dict()`` is what ``counterflow compare --json`` prints; ``.to_frame()`` a DataFrame.
    """
    from .report.tables import comparison
    from .runner import run_replications
    from .scenario import Scenario, load_scenario
    from .strategy import Strategy, resolve_strategies

    try:
        metrics = check_names(metrics or COMPARE_METRICS, COMPARABLE)
    except ValueError as exc:
        raise InputError(str(exc), path="--metric") from None
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    given = list(strategies or [])
    objs = [s for s in given if isinstance(s, Strategy)]
    names = [s for s in given if not isinstance(s, Strategy)]
    if not given:
        names = sc.strategy_names()
    resolved = resolve_strategies(sc, names or ["baseline"])
    for o in objs:
        if o.name not in {s.name for s in resolved}:
            resolved.append(o)
    if baseline not in {s.name for s in resolved}:
        # a carried name, or a strategy file: one given with -s as well is named by the strategy it holds
        extra = resolve_strategies(sc, [baseline])[1:]
        if Path(baseline).is_file() and len(extra) == 1:
            clash = [r for r in resolved if r.name == extra[0].name and r != extra[0]]
            if clash:  # running the other one under this name would compare against the wrong strategy
                raise InputError(f"the strategy in '{baseline}' is named '{extra[0].name}', as another strategy of "
                                 "this comparison; give it another name", path="--baseline")
            baseline = extra[0].name
        resolved += [s for s in extra if s.name not in {r.name for r in resolved}]
    if baseline not in {s.name for s in resolved}:
        raise InputError(f"baseline '{baseline}' is not among the strategies run", path="--baseline")
    resolved.sort(key=lambda s: s.name not in ("baseline", baseline))  # no action, then the baseline, then the rest
    res = run_replications(sc, resolved, runs=runs, seed=seed, steps=steps, executor=executor,
                           progress=progress, keep_steps=keep_steps, keep_flows=keep_flows)
    res.baseline = baseline
    return Comparison(sc.name, baseline, runs, seed, steps or sc.steps, metrics, comparison(res, metrics),
                      res, sc, resolved)
