"""Route diversification: perceived risk convex in the volume an edge carries (docs/model.md, step 4).

The mechanism is exact (both planners solve the same tranche problem as an independent networkx
formulation), inert where it cannot bind (no perceived risk, or ``diversification`` 0 against the
linear formulation), and moves the outcome where it binds: under interdiction on every route the
organisations spread their loads over more edges than with linear risk, paired over seeds.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from counterflow import Engine, compile_network, load_scenario, simulate
from counterflow.engine import planning
from counterflow.engine._kernels import edge_tranches, risk_slope
from counterflow.generate import generate_scenario
from tests.engine.test_planning import check_every_plan


def _with(sc, **over):
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, **over))


@cache
def _generated():
    return generate_scenario(60, seed=2, organisations=2)


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.balance, b.balance)


def test_tranches_are_the_convex_cost():
    """Tranche costs rise with volume, cover exactly the arc's capacity, and sum to the quadratic cost at the
    breakpoints (the marginal is linear, so each tranche's midpoint cost is the tranche's mean)."""
    total, cost, slope = 1000, 250.0, 400.0
    caps, costs = edge_tranches(cost, slope, total, total)
    assert caps.sum() == total and (np.diff(costs) >= 0).all()
    edges = np.floor(planning.RISK_SHARES * total + 0.5)
    exact = cost * edges + slope * edges ** 2 / (2 * total)  # integral of cost + slope * x / total
    np.testing.assert_allclose(np.concatenate([[0], np.cumsum(caps * costs)]), exact, atol=len(caps) * total)
    caps, _ = edge_tranches(cost, slope, 300, total)  # capacity cuts the tranches above it
    assert caps.sum() == 300
    assert risk_slope(1.0, 0.0, 0.3, 5000.0, 20000.0) == 0.0  # diversification 0: linear risk
    assert risk_slope(1.0, 1.0, 0.0, 5000.0, 20000.0) == 0.0  # no perceived risk: nothing to spread
    assert risk_slope(1.0, 1.0, 0.3, 5000.0, 20000.0) > 0.0


@pytest.mark.parametrize("network", ["caribbean", "generated"])
@pytest.mark.parametrize("solver", ["ortools", "simplex"])
def test_both_planners_solve_the_same_tranche_problem(network, solver):
    """With tranches, the large path (OR-Tools or the network simplex), the compiled SSP (small path) and
    networkx give the same optimum at every planning call of real steps, and the tranches bind (the optimum
    differs from linear risk). On caribbean's baseline the premium at 10 is too small against the margins
    between its corridors to move a plan in the first steps (since plans value shipments on the demand curve
    alone), so there the tranches are made to bind with 50."""
    sc = _generated() if network == "generated" else load_scenario("caribbean")
    engine = Engine(_with(sc, diversification=10.0 if network == "generated" else 50.0), None, 2, solver=solver)
    linear = Engine(_with(sc, diversification=0.0), None, 2, solver=solver)
    costs = check_every_plan(engine)
    for _ in range(4):
        engine.step()
        linear.step()
    assert len(costs) == 4 * engine.net.n_orgs
    assert not np.array_equal(engine.state.edge_flow, linear.state.edge_flow)


@pytest.mark.parametrize("network", ["caribbean", "generated"])
def test_inert_without_perceived_risk(network):
    """Organisations that weigh no risk (risk_aversion 0) have nothing to spread: any diversification leaves
    the trajectory bit-identical to diversification 0, on both solver paths."""
    sc = _generated() if network == "generated" else load_scenario("caribbean")
    orgs = tuple(dataclasses.replace(o, risk_aversion=0.0) for o in sc.organisations)
    sc = dataclasses.replace(sc, organisations=orgs)
    for solver in ("ssp", "ortools", "simplex"):
        a = Engine(compile_network(_with(sc, diversification=0.0)), None, 4, solver=solver).run(30)
        b = Engine(compile_network(_with(sc, diversification=5.0)), None, 4, solver=solver).run(30)
        assert _same(a, b)


def test_diversification_changes_the_baseline_where_it_binds():
    """With perceived risk the same seed gives a different trajectory (the mechanism is live)."""
    sc = load_scenario("caribbean")
    a = simulate(compile_network(_with(sc, diversification=0.0)), seed=4, steps=20)
    b = simulate(compile_network(_with(sc, diversification=10.0)), seed=4, steps=20)
    assert not _same(a, b)


def _ci(x: np.ndarray) -> tuple[float, float]:
    """95 % t-interval of the mean of 30 paired differences (t(0.975, 29) = 2.045)."""
    assert len(x) == 30
    h = 2.045 * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean() - h, x.mean() + h


def _spread_response(sc, diversification: float, strategy, seeds: int, steps: int = 30, first: int = 4):
    """Per seed: mean active edges after the strategy starts, strategy minus paired baseline."""
    net = compile_network(_with(sc, diversification=diversification))
    out = []
    for i in range(seeds):
        ss = np.random.SeedSequence(0, spawn_key=(i,))
        runs = [Engine(net, st, np.random.default_rng(ss), record_flows=False).run(steps) for st in (None, strategy)]
        out.append(runs[1].series["active_edges"][first:].mean() - runs[0].series["active_edges"][first:].mean())
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize(("network", "strategy"), [("caribbean", "routes-0.2"),
                                                   ("narcologic-dormant", "campaign-volume")])
def test_pressure_spreads_loads_when_risk_is_convex(network, strategy):
    """Under pressure the rise in active edges over the paired baseline is larger with diversification 10 than
    with linear risk (30 paired seeds, 95 % interval of the difference above 0): interdiction 0.2 on every route
    of caribbean (where the mechanism was built), a strike every 4 steps on the busiest hub of the NarcoLogic
    import (not used to build it). The strategies are those of ``counterflow facts``."""
    from counterflow.facts import fact_strategies, network_setup
    from tests.facts_networks import narcologic_dormant

    sc = narcologic_dormant() if network == "narcologic-dormant" else load_scenario(network)
    sc = dataclasses.replace(_with(sc, diversification=0.0), strategies={})
    st = fact_strategies(sc, network_setup(sc, seed=0, steps=30))[strategy]
    diff = _spread_response(sc, 10.0, st, 30) - _spread_response(sc, 0.0, st, 30)
    lo, hi = _ci(diff)
    assert lo > 0.0, (diff.mean(), lo, hi)


def spread_table(diversification: float, seeds: int = 30, steps: int = 30) -> str:
    """docs/model.md's diversification table: ``PYTHONPATH=src:. python -m tests.engine.test_diversification D``.

    Per network and pressure (the ``counterflow facts`` strategies: interdiction 0.2 on every route, a strike
    every 4 steps on the busiest hub), the change in mean active edges and route entropy after step 4 over
    the paired baseline, and the difference of that change between ``diversification`` D and 0 (paired by
    seed, 95 % t-interval).
    """
    from scipy import stats

    from counterflow.facts import fact_strategies, network_setup
    from tests.facts_networks import narcologic_dormant

    def ci(x):
        h = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        return f"{x.mean():+.3f} [{x.mean() - h:+.3f}, {x.mean() + h:+.3f}]"

    lines = ["| network | pressure | active edges: change at 0 | at D | D minus 0 | route entropy (nats): D minus 0 |",
             "|---|---|---|---|---|---|"]
    for name in ("caribbean", "transatlantic", "corridor", "narcologic-dormant", "generated-2"):
        sc = (narcologic_dormant() if name == "narcologic-dormant" else
              _generated() if name == "generated-2" else load_scenario(name))
        sc = dataclasses.replace(_with(sc, diversification=0.0), strategies={})
        setup = network_setup(sc, seed=0, steps=steps)
        strategies = fact_strategies(sc, setup)
        runs = {}
        for d in (0.0, diversification):
            net = compile_network(_with(sc, diversification=d))
            for key in ("baseline", "routes-0.2", "campaign-volume"):
                rows = []
                for i in range(seeds):
                    rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(i,)))
                    s = Engine(net, strategies[key], rng, record_flows=False).run(steps).series
                    rows.append((s["active_edges"][setup.first:].mean(), s["route_entropy"][setup.first:].mean()))
                runs[d, key] = np.array(rows)
        for key, label in (("routes-0.2", "interdiction 0.2, every route"), ("campaign-volume", "strike campaign")):
            c0 = runs[0.0, key] - runs[0.0, "baseline"]
            c1 = runs[diversification, key] - runs[diversification, "baseline"]
            lines.append(f"| {name} | {label} | {ci(c0[:, 0])} | {ci(c1[:, 0])} | {ci(c1[:, 0] - c0[:, 0])} | "
                         f"{ci(c1[:, 1] - c0[:, 1])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(spread_table(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0))
