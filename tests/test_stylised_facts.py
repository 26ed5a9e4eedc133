"""Stylised facts (docs/model.md), each over many seeds, on caribbean and on two generated networks.

Every experiment runs ``RUNS`` paired replications (common random numbers)
and the assertions are about means or paired 95 % intervals over them, never
about one run. The generated networks are ``generate_scenario(60, seed=s,
organisations=2)`` for s = 1, 2, chosen before looking at any result.

Where a fact does not hold on a network the test is marked ``xfail`` with
the mechanism that breaks it and the measured numbers (see docs/levers.md).
The configuration makes every xfail strict: when the fact starts to hold the
test fails (XPASS) until the mark and the note are removed.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from counterflow import load_scenario
from counterflow.generate import generate_scenario
from counterflow.runner import run_replications
from counterflow.strategy import BASELINE, parse_strategy

pytestmark = pytest.mark.slow

RUNS = 16
STRIKE_RUNS = 48  # one strike every 4 weeks averts 2-5 % of the flow: 16 runs cannot separate two rules reliably
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


def zone(name: str, where: str = "sea") -> dict:
    """Every sea edge, or on caribbean (``where="caribbean"``) only the Caribbean sea routes (its boat-strikes zone)."""
    return {"mode": "sea", "jurisdictions": ["VE", "CB"]} if where == "caribbean" else {"mode": "sea"}


def _strategy(sc, name, levers):
    return parse_strategy({"name": name, "levers": levers}, scenario=sc)


def _strike(rule: str, k: int) -> list[dict]:
    return [{"type": "strike", "targets": {"rule": rule, "k": k, "kind": "hub"},
             "schedule": {"start": 4, "every": 4}, "intel_accuracy": 1.0}]


@cache
def spread(name: str, where: str = "sea") -> dict:
    sc = scenario(name)
    strategies = [BASELINE] + [
        _strategy(sc, f"mi{x}", [{"type": "maritime_interdiction", "zone": zone(name, where), "intensity": x,
                                  "schedule": {"start": 4}}]) for x in INTENSITIES]
    res = run_replications(sc, strategies, runs=RUNS, seed=SEED, steps=STEPS)
    return res.summary(["active_nodes", "route_entropy", "delivered_kg", "seized_kg"], paired=True)


@cache
def strikes(name: str):
    """Averted kg per replication for top_throughput with k = 1..MAX_K, random and betweenness (k = 1)."""
    sc = scenario(name)
    strategies = [BASELINE]
    strategies += [_strategy(sc, f"top{k}", _strike("top_throughput", k)) for k in range(1, MAX_K + 1)]
    strategies += [_strategy(sc, rule, _strike(rule, 1)) for rule in ("random", "betweenness")]
    df = run_replications(sc, strategies, runs=STRIKE_RUNS, seed=SEED, steps=STEPS).table()
    wide = df.pivot(index="replication", columns="strategy", values="delivered_kg")
    return wide.rsub(wide["baseline"], axis=0)  # averted = baseline - strategy, paired by replication


SHOCK = [{"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.6,
          "schedule": {"start": 4, "until": 9}}]


@cache
def shock(name: str, **overrides) -> dict:
    sc = scenario(name)
    if overrides:
        sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, **overrides))
    strategies = [BASELINE, _strategy(sc, "shock", SHOCK)]
    res = run_replications(sc, strategies, runs=RUNS, seed=SEED, steps=STEPS)
    return {"summary": res.summary(["mean_price", "flow_reduction_pct"], paired=True), "table": res.table()}


def _t_interval(x: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean() - half), float(x.mean() + half)


CARIBBEAN_ZONE_ENTROPY = (
    "Interdiction of the Caribbean sea routes only (the boat-strikes zone) leaves the supplier group's Pacific "
    "route open; it shifts part of its flow there and that flow merges with the isthmus flow on the one Mexican "
    "trunk (mx_south->mx_north), so flow over edges is more concentrated: route entropy falls by 0.006-0.024 "
    "nats at intensities 0.05-0.3 (at 0.3: -0.0237 [-0.0312, -0.0162]; final rule of loads following their route, "
    "2026-11-28). A partial zone with an open alternative corridor concentrates flow on that corridor, as the "
    "1980s Caribbean campaign pushed it onto the Mexican route.")
CARIBBEAN_SEA_ENTROPY = (
    "With the stable supply response (supply elasticity 0.2, adaptive expectations) interdiction of every sea edge "
    "lowers caribbean route entropy: by 0.003-0.016 nats at intensities 0.05-0.3 (at 0.3: -0.0155 [-0.0246, "
    "-0.0064]; final rule of loads following their route, 2026-11-28). Production no longer rises enough to push "
    "flow onto second routes, and at diversification 1 the variance premium (a few USD/kg) is far below the cost "
    "differences between caribbean's corridors (hundreds of USD/kg): the organisations keep their cheapest "
    "corridor.")
STRANDED_SPREAD = (
    "Until loads followed their route (2026-11-28) stock that reached a node the next plan no longer used waited "
    "there, and a later plan sent it on from that node: re-planning under interdiction made more nodes carry "
    "flow without any organisation choosing a new site (generated-1: stock waiting at non-source nodes 0.73 t "
    "in the baseline, +0.44 t at intensity 0.1; active nodes +0.35 at 0.1). Now such stock goes on along its "
    "route (0.05 t waiting, measured on the first version of the rule the same day), and interdiction of every "
    "sea edge concentrates generated-1's flow on fewer, cheaper routes: on the final rule active nodes -0.23 "
    "[-0.44, -0.02] and route entropy -0.0126 [-0.0230, -0.0023] nats at 0.3 (16 paired runs, seed 11). At "
    "diversification 1 the variance premium does not spread loads where the alternatives cost more (as on "
    "caribbean, below).")
RETURNS_GENERATED = (
    "On generated-1 the marginal tonnes averted by the 5th-7th strike every 4 weeks (k = 5..7) are the largest "
    "(7.7, 7.1, 6.5, 6.3, 14.1, 18.7, 17.0 t for k = 1..7; final rule of loads following their route, 2026-11-28): "
    "when most hubs are down the network has nowhere left to go. The 7th is 91 % of the peak, above the 80 % the "
    "test asks (86 % before loads followed their route). generated-2: 67 %.")
BETWEENNESS_CARIBBEAN = (
    "On caribbean betweenness averts no more than random since loads follow their route (2026-11-28): 13.8 t "
    "against 14.5 t, difference [-2.8, 1.3] t on the final rule (48 paired runs, seed 11; before: 23.1 t against "
    "20.4 t, [0.5, 4.8] t). Why, measured on the first version of the rule the same day: betweenness strikes "
    "port_east in 345 of 576 firings (it keeps ranking a damaged port first) and each rule destroys as much as "
    "before (23.6 t and 22.5 t over the horizon), but production rebounds further after the strikes: +17.7 t over "
    "the baseline under betweenness (was +9.2 t), +12.7 t under random (was +7.0 t). Stock no longer waits at "
    "nodes after a re-plan (+0.35 t over the baseline, was +1.6 t), so production is no longer cut for stock "
    "piling up anywhere and answers the price rise fully.")
# ---------------------------------------------------------------------------------- 2. spread
SPREAD_CASES = [(n, "sea") for n in NETWORKS] + [("caribbean", "caribbean")]


@pytest.mark.parametrize(("name", "where"), [
    pytest.param(n, w, marks=pytest.mark.xfail(reason=STRANDED_SPREAD, strict=True)) if (n, w) == ("generated-1", "sea")
    else (n, w) for n, w in SPREAD_CASES])
def test_spread_active_nodes_do_not_fall(name, where):
    """More maritime interdiction never significantly lowers the number of active nodes (paired 95 % interval)."""
    s = spread(name, where)
    for x in INTENSITIES:
        assert s[f"mi{x}"]["active_nodes"]["diff_hi"] >= 0.0, (x, s[f"mi{x}"]["active_nodes"])


def test_spread_opens_new_sites_under_heavy_interdiction():
    """On caribbean the organisations answer heavy interdiction by opening sites: active places rise significantly."""
    for where in ("sea", "caribbean"):
        for x in (0.2, 0.3):
            assert spread("caribbean", where)[f"mi{x}"]["active_nodes"]["diff_lo"] > 0.0, (where, x)


_ZONE = pytest.mark.xfail(reason=CARIBBEAN_ZONE_ENTROPY, strict=True)
_SEA = pytest.mark.xfail(reason=CARIBBEAN_SEA_ENTROPY, strict=True)


_STRANDED = pytest.mark.xfail(reason=STRANDED_SPREAD, strict=True)


@pytest.mark.parametrize(("name", "where"), [pytest.param(n, w, marks=_ZONE) if w == "caribbean" else
                                             pytest.param(n, w, marks=_SEA) if n == "caribbean" else
                                             pytest.param(n, w, marks=_STRANDED) if n == "generated-1" else (n, w)
                                             for n, w in SPREAD_CASES])
def test_spread_route_entropy_does_not_fall(name, where):
    """More maritime interdiction never significantly lowers route entropy (paired 95 % interval)."""
    s = spread(name, where)
    for x in INTENSITIES:
        assert s[f"mi{x}"]["route_entropy"]["diff_hi"] >= 0.0, (x, s[f"mi{x}"]["route_entropy"])


@pytest.mark.parametrize(("x", "name", "where"), [(x, n, w) for x in INTENSITIES for n, w in SPREAD_CASES])
def test_spread_delivery_falls_far_less_than_seizures_rise(name, where, x):
    """Delivered kg fall by less than three quarters of the rise in seized kg (far from one-for-one)."""
    s = spread(name, where)[f"mi{x}"]
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


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=BETWEENNESS_CARIBBEAN, strict=True))
                                  if n == "caribbean" else n for n in NETWORKS])
def test_betweenness_beats_random(name):
    """Striking the most central hub (betweenness in the network in use) averts more than a random hub.

    On caribbean it did, narrowly, from plans valuing kilograms on the demand curve alone until loads followed
    their route (both 2026-11-28); see BETWEENNESS_CARIBBEAN and docs/levers.md."""
    a = strikes(name)
    lo, _ = _t_interval((a["betweenness"] - a["random"]).to_numpy())
    assert lo > 0, (a["betweenness"].mean(), a["random"].mean())


# ------------------------------------------------------------------------ 4. concave returns
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=RETURNS_GENERATED, strict=True))
                                  if n == "generated-1" else n for n in NETWORKS])
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


def _recovery(name: str, **overrides) -> np.ndarray:
    t = shock(name, **overrides)["table"]
    t = t[t.strategy == "shock"].sort_values("replication")
    return t.recovery_steps.astype(float).fillna(STEPS).to_numpy()


RECOVERY_BAND = (
    "Measured with the paired-band recovery (recovery_band 0.02), the stable supply response, route "
    "diversification 1 and the final rule of loads following their route (2026-11-28): after six weeks of "
    "interdiction at 0.6 most runs never return inside the band within 52 weeks (scored 52), so mean recovery is "
    "39-52 weeks and these comparisons do not separate or go the other way: free vs capped price caribbean 48.1 "
    "vs 39.4, generated-1 49.8 vs 43.6, generated-2 52.0 vs 49.4; supply elasticity 0.45 vs 0.1: caribbean 49.9 "
    "vs 44.6, generated-1 51.1 vs 48.6 (generated-2 holds: 50.8 vs 52.0). The flow the cut costs does separate: "
    "`counterflow facts` (fact 5) finds the flow reduction after the cut 5.3-11.6 points smaller with free prices "
    "on the four networks of its tier. A longer horizon is needed to test recovery times.")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=RECOVERY_BAND, strict=True))
                                  for n in NETWORKS])
def test_raised_price_speeds_recovery(name):
    """The same cut recovers sooner when prices may rise than when they are capped at the reference."""
    assert _recovery(name).mean() < _recovery(name, price_cap=1.0).mean()


# Supply elasticities below the markets' demand elasticity (0.5 on all three networks): by the cobweb theorem
# a lagged supply response is stable only there (see test_supply_above_demand_elasticity_cycles).
LOW_SUPPLY, HIGH_SUPPLY = 0.1, 0.45


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=RECOVERY_BAND, strict=True))
                                  if n != "generated-2" else n for n in NETWORKS])
def test_recovery_faster_with_higher_supply_elasticity(name):
    """The same cut recovers sooner when production responds more to price (supply elasticity 0.45 vs 0.1)."""
    assert _recovery(name, supply_elasticity=HIGH_SUPPLY).mean() < _recovery(name, supply_elasticity=LOW_SUPPLY).mean()


@cache
def price_variation(name: str, elasticity: float) -> float:
    """Mean over baseline runs and markets of the coefficient of variation of the price over the horizon."""
    sc = scenario(name)
    sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, supply_elasticity=elasticity,
                                                                price_expectation_rate=1.0))
    res = run_replications(sc, [BASELINE], runs=RUNS, seed=SEED, steps=STEPS, keep_steps=True)
    st = res.steps()
    g = st[st.variable == "price"].groupby(["replication", "entity"]).value
    return float((g.std() / g.mean()).mean())


@pytest.mark.parametrize("name", NETWORKS)
def test_supply_above_demand_elasticity_cycles(name):
    """Cobweb: production answering today's price (naive expectations) more than demand does (1.5 vs 0.5) cycles.

    Production responds to today's price but reaches the market weeks later;
    above the demand elasticity each shortfall is over-corrected. The baseline
    price varies at least twice as much over the horizon as at 0.1.
    """
    assert price_variation(name, 1.5) > 2.0 * price_variation(name, LOW_SUPPLY)


def table() -> str:
    """The table of docs/levers.md ("Stylised facts"), measured: ``PYTHONPATH=src:. python -m tests.test_stylised_facts``."""
    def rng(vals, fmt="{:+.2f}"):
        return f"{fmt.format(min(vals))} to {fmt.format(max(vals))}"

    rows = []
    cases = {n: spread(n) for n in NETWORKS}
    zone_c = spread("caribbean", "caribbean")

    def diffs(s, key):
        return [s[f"mi{x}"][key]["diff_mean"] for x in INTENSITIES]

    def worst(s, key):
        x = min(INTENSITIES, key=lambda x: s[f"mi{x}"][key]["diff_hi"])
        e = s[f"mi{x}"][key]
        return f"at {x}: {e['diff_mean']:+.4f} [{e['diff_lo']:+.4f}, {e['diff_hi']:+.4f}]"

    def ratio(s):
        return [-s[f"mi{x}"]["delivered_kg"]["diff_mean"] / s[f"mi{x}"]["seized_kg"]["diff_mean"] for x in INTENSITIES]

    rows.append(["spread: active nodes, interdiction 0.05-0.3 on every sea edge"]
                + [f"{rng(diffs(cases[n], 'active_nodes'))}; lowest upper bound {worst(cases[n], 'active_nodes')}"
                   for n in NETWORKS])
    rows.append(["spread: active nodes, Caribbean zone only", rng(diffs(zone_c, "active_nodes")), "", ""])
    rows.append(["spread: route entropy (nats), every sea edge"]
                + [f"{rng(diffs(cases[n], 'route_entropy'), '{:+.4f}')}; {worst(cases[n], 'route_entropy')}"
                   for n in NETWORKS])
    rows.append(["spread: route entropy (nats), Caribbean zone only",
                 f"{rng(diffs(zone_c, 'route_entropy'), '{:+.4f}')}; {worst(zone_c, 'route_entropy')}", "", ""])
    rows.append(["spread: delivered fall / seized rise (< 0.75), every sea edge; zone only"]
                + [rng(ratio(cases[n])) + (f"; zone {rng(ratio(zone_c))}" if n == "caribbean" else "")
                   for n in NETWORKS])
    a = {n: strikes(n) for n in NETWORKS}
    for rule in ("top1", "betweenness"):
        cells = []
        for n in NETWORKS:
            lo, hi = _t_interval((a[n][rule] - a[n]["random"]).to_numpy())
            cells.append(f"{a[n][rule].mean() / 1e3:.1f} t vs {a[n]['random'].mean() / 1e3:.1f} t "
                         f"(difference [{lo / 1e3:.1f}, {hi / 1e3:.1f}] t)")
        rows.append([f"{'top_throughput' if rule == 'top1' else 'betweenness'} beats random (k = 1 every 4 weeks)"]
                    + cells)
    cells = []
    for n in NETWORKS:
        m = a[n].mean()
        averted = np.array([0.0] + [m[f"top{k}"] for k in range(1, MAX_K + 1)])
        marg = np.diff(averted) / 1e3
        cells.append(", ".join(f"{x:.1f}" for x in marg) + f" t (7th / peak {marg[-1] / marg.max():.2f})")
    rows.append(["returns: marginal t averted by the k-th strike, k = 1..7 (diminish: 7th < 0.8 of peak)"] + cells)
    rows.append(["a supply cut raises the price index"]
                + ["{diff_mean:+.3f} [{diff_lo:+.3f}, {diff_hi:+.3f}]".format(**shock(n)["summary"]["shock"]["mean_price"])
                   for n in NETWORKS])
    rows.append(["rising prices blunt the cut (flow reduction %, free vs capped)"]
                + [f"{shock(n)['summary']['shock']['flow_reduction_pct']['mean']:.1f} vs "
                   f"{shock(n, price_cap=1.0)['summary']['shock']['flow_reduction_pct']['mean']:.1f}" for n in NETWORKS])
    rows.append(["raised price speeds recovery (mean weeks, never = 52; free vs capped)"]
                + [f"{_recovery(n).mean():.1f} vs {_recovery(n, price_cap=1.0).mean():.1f}" for n in NETWORKS])
    rows.append(["recovery faster with supply elasticity 0.45 vs 0.1 (mean weeks)"]
                + [f"{_recovery(n, supply_elasticity=HIGH_SUPPLY).mean():.1f} vs "
                   f"{_recovery(n, supply_elasticity=LOW_SUPPLY).mean():.1f}" for n in NETWORKS])
    rows.append(["cobweb: baseline price CV, naive expectations, supply elasticity 1.5 vs 0.1"]
                + [f"{price_variation(n, 1.5):.2f} vs {price_variation(n, LOW_SUPPLY):.2f}" for n in NETWORKS])
    out = ["| fact | " + " | ".join(NETWORKS) + " |", "|---" * (len(NETWORKS) + 1) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


if __name__ == "__main__":
    print(table())
