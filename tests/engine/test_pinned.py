"""Pinned trajectories: whole runs hashed bit for bit, so a restructuring of the engine can show it changes no number.

Each case runs one replication with flows recorded and hashes, as raw float bytes, everything the
engine records per step: every series (delivered and price per market, seized, destroyed,
produced, stock, in transit, route counts and entropy, harm, hardship, backlash, lever cost,
revenue and cash per organisation), the mass-balance rows, the per-step flow on every edge and at
every node and the node-flow totals. ``diversification`` is stated in every case (0 and 1), so the
pins do not follow the parameter's default.

A change to the engine that is meant to change no number must leave every hash as it is. A model
change that moves numbers re-pins in its own commit, saying what changed: print the new table
with ``PYTHONPATH=src:. python -m tests.engine.test_pinned`` and paste it over ``PINS``. The hashes
are of IEEE floats computed on one platform; a different CPU, NumPy or Numba build may round a
last bit differently, which is reported as a difference (re-pin after checking the numbers agree
to rounding).
"""

from __future__ import annotations

import dataclasses
import hashlib
from functools import cache

import numpy as np
import pytest

from counterflow import Engine, compile_network, load_scenario, resolve_strategies
from counterflow.generate import generate_scenario
from counterflow.strategy import parse_strategy

STEPS = 40
SEED = 7

# (case, diversification) -> sha256 of the trajectory's bytes (see the module docstring)
PINS: dict[str, str] = {
    "caribbean-baseline@div0": "433000c6ed433c236d38616cb8e8d210b93eb9ed522478322c681db58c727c9e",
    "caribbean-baseline@div1": "433000c6ed433c236d38616cb8e8d210b93eb9ed522478322c681db58c727c9e",
    "caribbean-port-strike@div0": "35621a1320182816a194b6a1904618bdb368f33baf5bd074e0c610fb6922c5fc",
    "caribbean-port-strike@div1": "9154a852bd7a61cecf9f96933a606c48993797bb3b44752a4d7dd311e5073d74",
    "caribbean-boat-strikes@div0": "f77efd48f2ad24903ab4438f5a6125f725f4799707e62da8f9f11cca53da705d",
    "caribbean-boat-strikes@div1": "d464ea0cea46e052a37e18694a9e857638fb5a9bdbac2d744739e657d4e3f3e7",
    "caribbean-layered@div0": "c716578bd67545a80fe59b4ad05e2007d82bae7cff9589bf4ca119e8209006a6",
    "caribbean-layered@div1": "f77dd2c35c413aeab2d44503cccec128187c53fad8b47528121de5a684677ea9",
    "transatlantic-sanctions@div0": "278beea8288ea6575fba559e7a6f5ac9f11c924beb81963b0f37a858010b405d",
    "transatlantic-sanctions@div1": "4f6c190e372664d5ab400e2e2b00acdbff5a9e0cc8a70dc17852d26170dde037",
    "generated-baseline@div0": "8495565038aba8010578e44fa0581581b1e324daa965a3aae6c248ff69d7aa6e",
    "generated-baseline@div1": "96dd81a68cd94a163cb1d49442dc7d2a657f3207c1a6498a72562135d6d3a6ed",
    "generated-strike@div0": "1143d970df6e6af9c26e2b6505bf995a77399636907adb41a111711248caa87b",
    "generated-strike@div1": "2bfa9b3f933674fb0662ecca35600863dd3a114bd75c468d0bcd426fc8873ea6",
    "generated-strike-simplex@div0": "1143d970df6e6af9c26e2b6505bf995a77399636907adb41a111711248caa87b",
    "generated-strike-simplex@div1": "e24dc6e76e31abc08ba4c7fe8dc3d3f4ff86d4212db890791db0b6dd9d9f8053",
}

# case -> (scenario, strategy name or inline strategy, solver)
GENERATED_STRIKE = {"name": "hub-strike", "levers": [
    {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
     "schedule": {"start": 3, "every": 5}, "unit_cost": 1.0e6}]}
CASES = {
    "caribbean-baseline": ("caribbean", None, "auto"),
    "caribbean-port-strike": ("caribbean", "port-strike", "auto"),
    "caribbean-boat-strikes": ("caribbean", "boat-strikes", "auto"),
    "caribbean-layered": ("caribbean", "layered", "auto"),
    "transatlantic-sanctions": ("transatlantic", "sanctions", "auto"),
    "generated-baseline": ("generated", None, "auto"),
    "generated-strike": ("generated", GENERATED_STRIKE, "auto"),
    "generated-strike-simplex": ("generated", GENERATED_STRIKE, "simplex"),
}
DIVERSIFICATION = (0.0, 1.0)


def _scenario(name: str):
    if name == "generated":
        return generate_scenario(60, seed=2, organisations=2)
    return load_scenario(name)


@cache
def _network(name: str, diversification: float):
    sc = _scenario(name)
    sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, diversification=diversification))
    return compile_network(sc)


def trajectory_hash(case: str, diversification: float) -> str:
    """The sha256 of one pinned case's trajectory."""
    scenario, strat, solver = CASES[case]
    net = _network(scenario, diversification)
    strategy = None
    if isinstance(strat, dict):
        strategy = parse_strategy(strat, scenario=net.scenario)
    elif strat is not None:
        strategy = next(s for s in resolve_strategies(net.scenario, [strat]) if s.name == strat)
    traj = Engine(net, strategy, SEED, record_flows=True, solver=solver).run(STEPS)
    h = hashlib.sha256()
    for name in sorted(traj.series):
        h.update(name.encode())
        h.update(np.ascontiguousarray(traj.series[name], dtype=np.float64).tobytes())
    for name, arr in (("balance", traj.balance), ("edge_flow", traj.edge_flow), ("node_flow", traj.node_flow),
                      ("node_flow_total", traj.node_flow_total)):
        assert arr is not None
        h.update(name.encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _key(case: str, diversification: float) -> str:
    return f"{case}@div{diversification:g}"


@pytest.mark.parametrize("diversification", DIVERSIFICATION)
@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_is_pinned(case, diversification):
    """The whole trajectory (every series, the balance, per-step edge and node flows) is bit-identical to the pin."""
    assert trajectory_hash(case, diversification) == PINS[_key(case, diversification)]


def test_the_pins_can_fail():
    """A changed seed gives another hash (the hash sees the numbers), and so does the other diversification where it
    binds (under boat strikes; caribbean's baseline plans the same at 0 and 1 since plans value shipments on the
    demand curve alone, the variance premium being far below the margins between routes)."""
    base = trajectory_hash("caribbean-boat-strikes", 0.0)
    assert trajectory_hash("caribbean-boat-strikes", 1.0) != base
    assert PINS[_key("caribbean-port-strike", 0.0)] != PINS[_key("caribbean-baseline", 0.0)]


if __name__ == "__main__":  # print the table to paste over PINS (a model change re-pins in its own commit)
    for c in CASES:
        for d in DIVERSIFICATION:
            print(f'    "{_key(c, d)}": "{trajectory_hash(c, d)}",')
