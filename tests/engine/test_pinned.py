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
    "caribbean-baseline@div0": "14c67b06a78fba334b09db87b0a930babd2ee782b8566024f880977738bedece",
    "caribbean-baseline@div1": "14c67b06a78fba334b09db87b0a930babd2ee782b8566024f880977738bedece",
    "caribbean-port-strike@div0": "f55dd84ce6c376a4ad13f776f75a6a74831addddad9262e4193f7419403f0247",
    "caribbean-port-strike@div1": "f55dd84ce6c376a4ad13f776f75a6a74831addddad9262e4193f7419403f0247",
    "caribbean-boat-strikes@div0": "5ab03c07f7d0ead95e2b915e693aa8126ae58427d47c0878e974b1941f276011",
    "caribbean-boat-strikes@div1": "51d4e325113510c23fb53ffcd2766c9743b82876c6df076668c96a55395742dd",
    "caribbean-layered@div0": "72e279fef56f63c612b58f6f3b3a9c51630238bd95534cecb6e82387e63a526d",
    "caribbean-layered@div1": "e63df45ce6e071995142194db368cb70d52dbf2fa2816ca87c9ccac0a800bda8",
    "transatlantic-sanctions@div0": "122aaf61605a5c0bc9ec2944e8d8f180d90ed49b998fef20df475dd8540664e1",
    "transatlantic-sanctions@div1": "f584c7458abeb48319977c19519ddee8dfd2724e3e5051c66096af6180eb8d16",
    "generated-baseline@div0": "54a9d2e47d9c2fbf9c3bf424079b3e41d7b32d0ba024db3b71e072a7ac5a76b2",
    "generated-baseline@div1": "9b9f8e189c0165ea7230d9e05ac955c621133e2a52d11374496f699dae0cea79",
    "generated-strike@div0": "f06f2e0348d9dad93fe375e879b780f9b28bb876a74b1fc0c63b62f5166c9fd0",
    "generated-strike@div1": "d547f934587a81b841208fc4ee69539fc9aef98021bcc03c2f51798a31cc3f95",
    "generated-strike-simplex@div0": "af38b6250212ecf852b76c3311554affeeb6cc42925bcbac256f365b8bc049dc",
    "generated-strike-simplex@div1": "4875226803a1f5bc8dac5116b8af59966fb9619408acd2054e98c5ad7d3be8f1",
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
    binds (under boat strikes; caribbean's baseline and one port strike plan the same at 0 and 1 since plans value
    shipments on the demand curve alone, the variance premium being far below the margins between routes)."""
    base = trajectory_hash("caribbean-boat-strikes", 0.0)
    assert trajectory_hash("caribbean-boat-strikes", 1.0) != base
    assert PINS[_key("caribbean-port-strike", 0.0)] != PINS[_key("caribbean-baseline", 0.0)]


if __name__ == "__main__":  # print the table to paste over PINS (a model change re-pins in its own commit)
    for c in CASES:
        for d in DIVERSIFICATION:
            print(f'    "{_key(c, d)}": "{trajectory_hash(c, d)}",')
