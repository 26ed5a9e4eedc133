"""Speed cost of route diversification's volume tranches (docs/model.md, "Route diversification").

With ``diversification`` above 0 every edge with perceived risk becomes 6 parallel tranche arcs in
each organisation's planning problem. This measures ``caribbean`` replications (104 steps, one
process) per CPU-second at ``diversification`` 0 and 1, A/B interleaved (the order alternates
from pair to pair), after both networks are compiled and warmed up, and prints the per-pair
ratios and their median.

Run: ``.venv/bin/python benchmarks/run_all.py diversification``
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import numpy as np

from counterflow import Engine, compile_network, load_scenario

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _rate(net, reps: int, first_seed: int) -> float:
    """Replications per CPU-second of the baseline, seeds first_seed .. first_seed + reps - 1."""
    cpu0 = time.process_time()
    for i in range(first_seed, first_seed + reps):
        Engine(net, None, np.random.default_rng(i), record_flows=False).run()
    return reps / (time.process_time() - cpu0)


def ab(pairs: int = 5, reps: int = 60) -> None:
    sc = load_scenario("caribbean")
    nets = {d: compile_network(dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters,
                                                                                      diversification=d)))
            for d in (0.0, 1.0)}
    for net in nets.values():  # compile, warm-up and first-touch costs out of the measurement
        Engine(net, None, 0, record_flows=False).run()
    ratios = []
    for p in range(pairs):
        order = (0.0, 1.0) if p % 2 == 0 else (1.0, 0.0)
        rate = {d: _rate(nets[d], reps, first_seed=p * reps) for d in order}
        ratios.append(rate[1.0] / rate[0.0])
        print(f"pair {p + 1}: diversification 0 {rate[0.0]:.1f}, 1 {rate[1.0]:.1f} replications/CPU-s "
              f"(1 / 0 = {ratios[-1]:.3f})", flush=True)
    print(f"caribbean, 104 steps, {reps} replications per side, {pairs} interleaved pairs: median rate ratio "
          f"diversification 1 / 0 = {statistics.median(ratios):.3f} (time ratio {1 / statistics.median(ratios):.3f}; "
          f"range {min(ratios):.3f}-{max(ratios):.3f})")


def main() -> None:
    ab()


if __name__ == "__main__":
    main()
