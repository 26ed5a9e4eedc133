"""What the facts check's one strike on caribbean destroys, and the stock waiting when it comes.

The numbers behind `docs/model.md` ("What the facts check finds"): the tier's one-strike strategy
(`counterflow.facts.fact_strategies`, the main hub struck once at the first action) on the built-in
caribbean scenario, paired with the baseline over the tier's first 20 replications (experiment seed 0,
30 steps). Run from the repository root: `PYTHONPATH=src python docs/measure/one_strike.py [SEEDS]`.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from counterflow import Engine, load_scenario
from counterflow.facts import fact_strategies, network_setup
from counterflow.runner import network_for, replication_seed


def _ci(x: np.ndarray) -> str:
    from scipy import stats

    h = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{x.mean():,.0f} kg [{x.mean() - h:,.0f}, {x.mean() + h:,.0f}]"


def main(seeds: int = 20, steps: int = 30) -> None:
    sc = load_scenario("caribbean")
    setup = network_setup(sc, seed=0, steps=steps)
    strategies = fact_strategies(sc, setup)
    net = network_for(dataclasses.replace(sc, strategies={}))
    inner = ~net.kind_mask("source")
    a = setup.first
    destroyed, waiting, cut = [], [], []
    for i in range(seeds):
        runs = {}
        for name in ("baseline", "one-strike"):
            eng = Engine(net, strategies[name], np.random.default_rng(replication_seed(0, i)), record_flows=False)
            for _ in range(a):
                eng.step()
            if name == "one-strike":  # the same as the baseline until now: the stock the strike meets
                waiting.append(eng.state.stock[:, inner].sum())
            for _ in range(steps - a):
                eng.step()
            runs[name] = eng.state
        destroyed.append(runs["one-strike"].destroyed - runs["baseline"].destroyed)
        cut.append(runs["baseline"].delivered - runs["one-strike"].delivered)
    print(f"caribbean, main hub {setup.main_hub}, struck at step {a}; {seeds} replications, {steps} steps")
    print("destroyed by the strike (strike minus baseline):", _ci(np.array(destroyed)))
    print("stock at nodes other than sources when the strike comes:", _ci(np.array(waiting)))
    print("delivered, baseline minus strike, over the horizon:", _ci(np.array(cut)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
