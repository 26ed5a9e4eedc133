"""What makes a network's baseline move without seizure dice (docs/model.md, step 2, "caribbean's wander is the
planning order").

Runs the warm-up's engine (no seizure dice, no levers; as ``tests/engine/test_stability.py`` does) started empty for
300 steps, and prints the mean price index's coefficient of variation and largest swing over steps 150-300 and each
market's largest swing, for the defaults and for each variant given on the command line. A variant is a comma-separated
list of ``parameter=value`` (any scenario parameter), ``order=01`` (plan the organisations in this fixed order every
step instead of the engine's drawn order), ``production=0.85`` (every organisation's production scaled) or
``edge_time=1`` (every edge this many steps long). Examples (about 1 minute the first time, for the compilation)::

    PYTHONPATH=src python benchmarks/wander_probe.py caribbean default supply_elasticity=0 order=01 order=10
    PYTHONPATH=src python benchmarks/wander_probe.py caribbean supply_elasticity=0,production=0.85
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from counterflow import Engine, compile_network, load_scenario
from counterflow.engine.state import RunState

STEPS, START = 300, 150


class FixedOrder:
    """Stands in for the engine's planning-order generator: the same order every step."""

    def __init__(self, order: tuple[int, ...]) -> None:
        self.order = np.array(order)

    def permutation(self, n: int) -> np.ndarray:
        assert n == self.order.size
        return self.order.copy()


def variant(sc, spec: str):
    """The scenario ``sc`` changed as ``spec`` says, and the fixed planning order it asks for (or None)."""
    params, order = {}, None
    for item in spec.split(","):
        if item in ("", "default"):
            continue
        key, value = item.split("=")
        if key == "order":
            order = tuple(int(c) for c in value)
        elif key == "production":
            orgs = tuple(dataclasses.replace(o, production={k: v * float(value) for k, v in o.production.items()})
                         for o in sc.organisations)
            sc = dataclasses.replace(sc, organisations=orgs)
        elif key == "edge_time":
            sc = dataclasses.replace(sc, edges=tuple(dataclasses.replace(e, time=int(value)) for e in sc.edges))
        else:
            params[key] = float(value)
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, warmup=0, **params)), order


def trace(sc, order: tuple[int, ...] | None = None, steps: int = STEPS) -> dict[str, np.ndarray]:
    """Price index [T, M], kg sold [T, M] and kg produced [T, O] at each step of the warm-up's engine."""
    net = compile_network(sc)
    eng = Engine.__new__(Engine)
    eng._init_from_state(net, RunState.initial(net))
    if order is not None:
        eng.rng_plan = FixedOrder(order)
    out: dict[str, list] = {"price": [], "sold": [], "produced": []}
    for _ in range(steps):
        eng.step()
        out["price"].append(eng.state.price / net.market_price)
        out["sold"].append(eng._sales.delivered.copy())
        out["produced"].append(eng._sales.produced.copy())
    return {k: np.array(v) for k, v in out.items()}


def summary(tr: dict[str, np.ndarray], start: int = START) -> str:
    p = tr["price"][start:]
    mean = p.mean(axis=1)
    swing = np.abs(p / p.mean(axis=0) - 1.0).max(axis=0)
    return (f"mean price index: CV {mean.std() / mean.mean() * 100:.3f} %, largest swing "
            f"{np.abs(mean / mean.mean() - 1.0).max() * 100:.2f} % | each market's largest swing "
            f"{np.round(swing * 100, 1)} %")


if __name__ == "__main__":
    name = sys.argv[1]
    for spec in sys.argv[2:] or ["default"]:
        sc, order = variant(load_scenario(name), spec)
        print(f"{name} {spec:32s} {summary(trace(sc, order))}", flush=True)
