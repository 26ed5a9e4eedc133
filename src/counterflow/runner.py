"""Replications of strategies under common random numbers.

Replication ``i`` uses the seed ``SeedSequence(seed, spawn_key=(i,))`` under
every strategy (the ``i``-th child of ``SeedSequence(seed).spawn``), so
paired differences between strategies reflect the strategies, not the dice,
and results do not depend on how many workers ran them or in which order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .analysis import describe, paired_difference, summarize
from .engine import Engine
from .metrics import RunRecord, pair, run_record
from .network import Network, compile_network
from .outcomes import OUTCOMES
from .scenario import Scenario
from .strategy import Strategy

__all__ = ["replication_seed", "run_replication", "run_replications", "Results", "network_for", "describe",
           "paired_difference"]

_NETWORKS: dict[str, Network] = {}


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``replication`` of an experiment seeded ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def network_for(scenario: Scenario) -> Network:
    """Compiled network for ``scenario``, cached per process (the warm-up is cached with it)."""
    key = scenario.content_key()
    net = _NETWORKS.get(key)
    if net is None:
        if len(_NETWORKS) > 64:
            _NETWORKS.clear()
        net = _NETWORKS[key] = compile_network(scenario)
    return net


def run_replication(scenario: Scenario, strategies: Sequence[Strategy], replication: int, seed: int,
                    steps: int | None = None, keep_steps: bool = False, keep_flows: bool = False,
                    seed_sequence: np.random.SeedSequence | None = None) -> list[RunRecord]:
    """Run one replication of every strategy with the same seed; return one record per strategy.

    ``seed_sequence`` replaces the replication's seed (default ``replication_seed(seed, replication)``),
    for callers with their own common-random-number scheme (the search's futures x replications).
    """
    net = network_for(scenario)
    p = scenario.parameters
    source = net.kind_mask("source")
    out = []
    burned_in: Engine | None = None  # a lever-free engine after the burn-in, forked for the next strategies
    for i, strategy in enumerate(strategies):
        if burned_in is not None:
            eng = burned_in.fork(strategy, record_flows=keep_flows)
        else:
            ss = replication_seed(seed, replication) if seed_sequence is None else seed_sequence
            eng = Engine(net, strategy, np.random.default_rng(ss), record_flows=keep_flows)
            # same seed => same burn-in: share it (not under a caller's seed sequence: each Engine spawns its
            # dice from that one object, so there each strategy draws its own)
            if not eng.levers and i + 1 < len(strategies) and seed_sequence is None:
                burned_in = eng.fork(strategy, record_flows=keep_flows)
        traj = eng.run(steps)
        out.append(run_record(
            traj, replication, seed, keep_steps=keep_steps, keep_flows=keep_flows, source_mask=source,
            reference_price=net.market_price, recovery_window=p.recovery_window,
            recovery_band=p.recovery_band,
        ))
    return out


@dataclass
class Results:
    """Records of a set of replications, with tables and summaries."""

    scenario: str
    seed: int
    runs: int
    strategies: list[str]
    records: list[RunRecord] = field(default_factory=list)
    baseline: str = "baseline"
    _scenario: Scenario | None = field(default=None, repr=False, compare=False)
    _strategies: list[Strategy] | None = field(default=None, repr=False, compare=False)

    def table(self) -> pd.DataFrame:
        """One row per (strategy, replication): metrics and paired metrics against the baseline."""
        base = {r.replication: r for r in self.records if r.strategy == self.baseline}
        rows = []
        for r in self.records:
            row = {"strategy": r.strategy, "replication": r.replication, "seed": r.seed, **r.metrics}
            b = base.get(r.replication)
            if b is not None:
                row.update(pair(r, b))
            rows.append(row)
        df = pd.DataFrame(rows)
        order = {name: i for i, name in enumerate(self.strategies)}
        return df.sort_values(["strategy", "replication"], key=lambda c: c.map(order) if c.name == "strategy" else c,
                              ignore_index=True)

    def steps(self) -> pd.DataFrame:
        """Long per-step table of every run (needs ``keep_steps=True``)."""
        frames = [r.steps_frame for r in self.records if r.steps_frame is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def metric_names(self) -> list[str]:
        """Every outcome a run of these results has, in the registry's order."""
        return [n for n in OUTCOMES if not OUTCOMES[n].categories]

    def summary(self, metrics: Sequence[str] | None = None, *, paired: bool = False) -> dict:
        """Per strategy and metric: mean and 5/50/95 % quantiles over replications.

        With ``paired=True`` also the mean paired difference from the baseline
        with a 95 % t-interval (``diff_mean``, ``diff_lo``, ``diff_hi``) and the
        share of replications in which the strategy did better (``beats_pct``),
        as :func:`counterflow.analysis.summarize` computes them.
        Values that cannot be stated (never recovered, nothing averted) are ``None``.
        """
        metrics = list(metrics or self.metric_names())
        out = summarize(self.table(), self.strategies, self.baseline, metrics)
        if not paired:
            keep = ("mean", "p05", "p50", "p95", "shares", "recovery")
            out = {s: {m: {k: e[k] for k in keep if k in e} for m, e in per.items()} for s, per in out.items()}
        return out

    def to_json(self, *, paired: bool = False) -> dict:
        return {"scenario": self.scenario, "runs": self.runs, "seed": self.seed,
                "strategies": self.summary(paired=paired)}

    def __repr__(self) -> str:
        return (f"<Results {self.scenario}: {', '.join(self.strategies)}; {self.runs} runs, seed {self.seed}, "
                f"baseline '{self.baseline}', {len(self.records)} records>")

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(repr(self))}</p>" + self.table().head(20).to_html(index=False, float_format="%.4g")


def run_replications(
    scenario: Scenario,
    strategies: Sequence[Strategy],
    runs: int = 10,
    seed: int = 0,
    *,
    steps: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    keep_steps: bool = False,
    keep_flows: bool = False,
) -> Results:
    """Run ``runs`` replications of every strategy with common random numbers.

    Parameters
    ----------
    executor
        Any :class:`concurrent.futures.Executor`; ``None`` runs in this process.
        Results are identical whatever the executor.
    progress
        Called with the number of runs finished after each replication.
    keep_steps
        Keep every run's per-step series (for time figures and downloads).
    keep_flows
        Keep every run's flow total per edge and per node (for maps of the
        paired difference); strike hits per target are always kept.

    Examples
    --------
    >>> from counterflow import load_scenario, resolve_strategies
    >>> from counterflow.runner import run_replications
    >>> s = load_scenario("caribbean")
    >>> res = run_replications(s, resolve_strategies(s, ["port-strike"]), runs=2, steps=12)
    >>> sorted(res.table().strategy.unique())
    ['baseline', 'port-strike']
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    strategies = list(strategies)
    names = [s.name for s in strategies]
    res = Results(scenario.name, seed, runs, names, _scenario=scenario, _strategies=strategies)
    if executor is None:
        for i in range(runs):
            res.records.extend(run_replication(scenario, strategies, i, seed, steps, keep_steps,
                                               keep_flows))
            if progress:
                progress(len(strategies))
    else:
        futures = [executor.submit(run_replication, scenario, strategies, i, seed, steps, keep_steps, keep_flows)
                   for i in range(runs)]
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            res.records.extend(fut.result())
            if progress:
                progress(len(strategies))
    res.records.sort(key=lambda r: (names.index(r.strategy), r.replication))
    return res
