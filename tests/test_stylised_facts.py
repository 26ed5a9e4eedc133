"""Stylised facts (DESIGN.md), each over many seeds, on caribbean and on two generated networks.

Every experiment runs ``RUNS`` paired replications (common random numbers)
and the assertions are about means or paired 95 % intervals over them, never
about one run. The generated networks are ``generate_scenario(60, seed=s,
organisations=2)`` for s = 1, 2, chosen before looking at any result.

Where a fact does not hold on a network the test is marked ``xfail`` with
the mechanism that breaks it (found by inspecting the runs; see the
module-level notes in docs/levers.md). They are not strict, because the
engine's calibration is still moving; they still run, and report XPASS when
the fact starts to hold.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from counterflow import load_scenario
from counterflow.generate import generate_scenario
from counterflow.runner import run_replications
from counterflow.strategy import parse_strategy

pytestmark = pytest.mark.slow

RUNS = 16
STEPS = 52
SEED = 11
NETWORKS = ("caribbean", "generated-1", "generated-2")
INTENSITIES = (0.05, 0.1, 0.2, 0.3)
MAX_K = 7


@cache
def scenario(name: str):
    if name == "caribbean":
        return load_scenario("caribbean")
    return generate_scenario(60, seed=int(name.split("-")[1]), organisations=2)


def zone(name: str) -> dict:
    # caribbean: the Caribbean sea routes (as in its boat-strikes strategy); generated: every sea edge
    return {"mode": "sea", "jurisdictions": ["VE", "CB"]} if name == "caribbean" else {"mode": "sea"}


def _strategy(sc, name, levers):
    return parse_strategy({"name": name, "levers": levers}, scenario=sc)


def _strike(rule: str, k: int) -> list[dict]:
    return [{"type": "strike", "targets": {"rule": rule, "k": k, "kind": "hub"},
             "schedule": {"start": 4, "every": 4}, "intel_accuracy": 1.0}]


@cache
def spread(name: str) -> dict:
    sc = scenario(name)
    strategies = [_strategy(sc, "baseline", [])] + [
        _strategy(sc, f"mi{x}", [{"type": "maritime_interdiction", "zone": zone(name), "intensity": x,
                                  "schedule": {"start": 4}}]) for x in INTENSITIES]
    res = run_replications(sc, strategies, runs=RUNS, seed=SEED, steps=STEPS)
    return res.summary(["active_nodes", "route_entropy", "delivered_kg", "seized_kg"], paired=True)


@cache
def strikes(name: str):
    """Averted kg per replication for top_throughput with k = 1..MAX_K, random and betweenness (k = 1)."""
    sc = scenario(name)
    strategies = [_strategy(sc, "baseline", [])]
    strategies += [_strategy(sc, f"top{k}", _strike("top_throughput", k)) for k in range(1, MAX_K + 1)]
    strategies += [_strategy(sc, rule, _strike(rule, 1)) for rule in ("random", "betweenness")]
    df = run_replications(sc, strategies, runs=RUNS, seed=SEED, steps=STEPS).table()
    wide = df.pivot(index="replication", columns="strategy", values="delivered_kg")
    return wide.rsub(wide["baseline"], axis=0)  # averted = baseline - strategy, paired by replication


SHOCK = [{"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.6,
          "schedule": {"start": 4, "until": 9}}]


@cache
def shock(name: str, **overrides) -> dict:
    sc = scenario(name)
    if overrides:
        sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, **overrides))
    strategies = [_strategy(sc, "baseline", []), _strategy(sc, "shock", SHOCK)]
    res = run_replications(sc, strategies, runs=RUNS, seed=SEED, steps=STEPS)
    return {"summary": res.summary(["mean_price", "flow_reduction_pct"], paired=True), "table": res.table()}


def _t_interval(x: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean() - half), float(x.mean() + half)


CARIBBEAN_SPREAD = ("On caribbean, interdiction on the Caribbean sea routes moves flow onto the Pacific-Mexico "
                    "corridor and the air bridge to the isthmus: the number of active places holds but the flow "
                    "concentrates on fewer, longer routes, so its entropy over edges falls (about 2.73 to 2.65 "
                    "nats at intensity 0.3). On this geography zonal interdiction concentrates rather than "
                    "spreads the flow (as the 1980s Caribbean campaign pushed it onto the Mexican corridor).")
CARIBBEAN_ONE_FOR_ONE = ("At intensity 0.2-0.3 each Caribbean leg loses about one load in four to three: the risk "
                         "charge makes the routes through the zone unprofitable for all but the first market "
                         "tranches, stock piles up at the sources and the stock buffer caps production, so seized "
                         "kilograms are only partly replaced; the ratio sits near the 0.75 threshold (0.78 at 0.2, "
                         "0.7-0.8 at 0.3 depending on the seeds), against 0.4-0.6 at 0.05-0.1.")


CARIBBEAN_FRAGILE = ("Fragile on caribbean: with the market demand curve cut into 6 tranches instead of 8 "
                     "(a coarser discretisation of the same curve, adopted for speed) active places fall very "
                     "slightly under maritime interdiction 0.1 (upper end of the paired interval -0.03 nodes); "
                     "with 8 tranches they held by +0.01. The fact sits at its threshold in this model.")
ELASTICITY_RECOVERY = ("Not robust: since each run draws its own burn-in (runs no longer share one start state) "
                       "and with the 6-tranche demand curve, a higher supply elasticity does not shorten "
                       "recovery on any of the three networks (caribbean 17.8 vs 16.1 weeks, generated-1 12.8 "
                       "vs 12.1, generated-2 13.9 vs 13.0 with 8 tranches/6 tranches): the mechanism is not yet "
                       "established. Observed: during the "
                       "cut the extra production piles up at the sources behind the interdicted sea routes, so "
                       "recovery is set by the cut's length and the transit times; the price response blunts the "
                       "cut itself (see test_price_response_blunts_the_cut) rather than shortening it.")


# ---------------------------------------------------------------------------------- 2. spread
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=CARIBBEAN_FRAGILE))
                                  if n == "caribbean" else n for n in NETWORKS])
def test_spread_active_nodes_do_not_fall(name):
    """More maritime interdiction never significantly lowers the number of active nodes (paired 95 % interval)."""
    s = spread(name)
    for x in INTENSITIES:
        assert s[f"mi{x}"]["active_nodes"]["diff_hi"] >= 0.0, (x, s[f"mi{x}"]["active_nodes"])


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=CARIBBEAN_SPREAD))
                                  if n == "caribbean" else n for n in NETWORKS])
def test_spread_route_entropy_does_not_fall(name):
    """More maritime interdiction never significantly lowers route entropy (paired 95 % interval)."""
    s = spread(name)
    for x in INTENSITIES:
        assert s[f"mi{x}"]["route_entropy"]["diff_hi"] >= 0.0, (x, s[f"mi{x}"]["route_entropy"])


def _spread_cases():
    for name in NETWORKS:
        for x in INTENSITIES:
            if name == "caribbean" and x >= 0.1:
                yield pytest.param(name, x, marks=pytest.mark.xfail(reason=CARIBBEAN_ONE_FOR_ONE))
            else:
                yield name, x


@pytest.mark.parametrize(("name", "x"), list(_spread_cases()))
def test_spread_delivery_falls_far_less_than_seizures_rise(name, x):
    """Delivered kg fall by less than three quarters of the rise in seized kg (far from one-for-one)."""
    s = spread(name)[f"mi{x}"]
    rise = s["seized_kg"]["diff_mean"]
    fall = -s["delivered_kg"]["diff_mean"]
    assert rise > 0
    assert fall < 0.75 * rise, f"delivered fell {fall:.0f} kg for {rise:.0f} kg more seized"


# ----------------------------------------------------------------- 3. position beats random
@pytest.mark.parametrize("name", NETWORKS)
def test_top_throughput_beats_random(name):
    """Striking the busiest hub averts more flow than striking a random hub, same number of strikes."""
    a = strikes(name)
    lo, _ = _t_interval((a["top1"] - a["random"]).to_numpy())
    assert lo > 0, (a["top1"].mean(), a["random"].mean())


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    reason="On caribbean source-to-market betweenness picks the eastern port (on 3 of the cheapest "
           "origin-market paths), which averts more than a random hub on average (39 t vs 35 t over 52 weeks) "
           "but not significantly over 16 paired runs: the small network has few hubs, so random strikes often "
           "hit the big ports too; the busiest hub (top_throughput) averts 53 t."))
    if n == "caribbean" else n for n in NETWORKS])
def test_betweenness_beats_random(name):
    """Striking the most central hub (betweenness in the network in use) averts more than a random hub."""
    a = strikes(name)
    lo, _ = _t_interval((a["betweenness"] - a["random"]).to_numpy())
    assert lo > 0, (a["betweenness"].mean(), a["random"].mean())


# ------------------------------------------------------------------------ 4. concave returns
@pytest.mark.parametrize("name", NETWORKS)
def test_returns_diminish(name):
    """Flow averted per extra strike falls as strikes are added: at k = 7 it is below 80 % of its peak."""
    a = strikes(name).mean()
    averted = np.array([0.0] + [a[f"top{k}"] for k in range(1, MAX_K + 1)])
    marginal = np.diff(averted)
    assert (averted[1:] > 0).all()
    assert marginal[-1] < 0.8 * marginal.max(), marginal.round()


@pytest.mark.parametrize("name", NETWORKS)
def test_more_strikes_avert_more(name):
    """Averted flow grows with the number of strikes (returns diminish but stay positive on average)."""
    a = strikes(name).mean()
    averted = [a[f"top{k}"] for k in range(1, MAX_K + 1)]
    assert averted[-1] > averted[0] > 0


# ------------------------------------------------------------------------- 5. price response
@pytest.mark.parametrize("name", NETWORKS)
def test_supply_cut_raises_price(name):
    """Six weeks of heavy interdiction raise the mean price index (paired 95 % interval above zero)."""
    e = shock(name)["summary"]["shock"]["mean_price"]
    assert e["diff_lo"] > 0, e


@pytest.mark.parametrize("name", NETWORKS)
def test_price_response_blunts_the_cut(name):
    """With prices free to rise the same cut removes less flow than with prices capped at the reference."""
    free = shock(name)["summary"]["shock"]["flow_reduction_pct"]["mean"]
    capped = shock(name, price_cap=1.0)["summary"]["shock"]["flow_reduction_pct"]["mean"]
    assert free < capped, (free, capped)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=ELASTICITY_RECOVERY))
                                  for n in NETWORKS])
def test_recovery_faster_with_higher_supply_elasticity(name):
    """The same cut recovers sooner when production responds more to price (supply elasticity 1.5 vs 0.2)."""
    def mean_recovery(el):
        t = shock(name, supply_elasticity=el)["table"]
        return t[t.strategy == "shock"].recovery_steps.astype(float).fillna(STEPS).mean()

    assert mean_recovery(1.5) < mean_recovery(0.2)
