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
    "caribbean-baseline@div0": "0cc535b8f931e4ba88ea61e1b779b8ab6479ee399609ee1c5f5073479e2b1247",
    "caribbean-baseline@div1": "0cc535b8f931e4ba88ea61e1b779b8ab6479ee399609ee1c5f5073479e2b1247",
    "caribbean-port-strike@div0": "07716eeff36e7e2c1aabf3ab456ca632d1522f3e6829fd8541813ee45dc708d7",
    "caribbean-port-strike@div1": "715be987f325d5d9e951d03fc9cc60c257e56d8dc95a28bd9db863c4d3a90498",
    "caribbean-boat-strikes@div0": "aab666e645cb7902d6c939602a7a2b601a3df91aa069c348819152bff6e10f1b",
    "caribbean-boat-strikes@div1": "1b9f651569e8ebe29565555a7fbcbd9c17ac4cd096f910e70e641a7ca6608b7e",
    "caribbean-layered@div0": "18770764b40d6b1eb4e97a4da39ff3ab95430fee6b32addc0ca2487317976e8c",
    "caribbean-layered@div1": "8bf639a513a6360258fa07aba35e3b1b40b2b3d2ca94e38dc0b3bb931085db3f",
    "transatlantic-sanctions@div0": "c49152e509bd1848ff1a01de5f36c84fb5fe50341866a42aed57a5aceaef4a79",
    "transatlantic-sanctions@div1": "c49152e509bd1848ff1a01de5f36c84fb5fe50341866a42aed57a5aceaef4a79",
    "generated-baseline@div0": "b45fbf2a124e051ea7191f46cfec64959b9d686e2a8616acd5aff8c31c52b228",
    "generated-baseline@div1": "f112f5b4c830764db6b66b97a8bc502a0c32b64ad22c371419d96b5382cd2c25",
    "generated-strike@div0": "69a76d9f4336489b1085468383b69795fcaf463c4d0889cf435052827056a231",
    "generated-strike@div1": "53a2bdb5ca53acbb7d06b550ef9a380771580520c4a185cd1ba8c006527e16c0",
    "generated-strike-simplex@div0": "69a76d9f4336489b1085468383b69795fcaf463c4d0889cf435052827056a231",
    "generated-strike-simplex@div1": "53a2bdb5ca53acbb7d06b550ef9a380771580520c4a185cd1ba8c006527e16c0",
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
