"""Stylised facts and seed claims, checked on any scenario with paired replications.

:func:`check_facts` reads what to act on from the network itself (a pilot
baseline run, see :func:`network_setup`), runs a fixed set of strategies under
common random numbers (replication ``i`` uses the same seed under every
strategy), and judges each claim on the 95 % t-interval of a paired quantity:
a claim PASSes when its interval lies on the claimed side. The facts, the
rules and their sources are written in ``docs/model.md`` ("Stylised facts and
how to check them").

Examples
--------
>>> from counterflow import load_scenario
>>> from counterflow.facts import network_setup
>>> setup = network_setup(load_scenario("transatlantic"), steps=14)
>>> setup.hub_kind, setup.alternatives
('hub', ('port_south', 'wa_coast_a'))

``check_facts(scenario, seeds=50)`` then runs every claim (a few minutes).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from .analysis import mean_interval
from .engine import Engine
from .errors import InputError
from .metrics import displacement_pct
from .network import Network
from .runner import network_for, replication_seed
from .scenario import Scenario
from .strategy import BASELINE, TARGET_RULES, Strategy, parse_strategy

__all__ = ["Claim", "FactsResult", "Setup", "network_setup", "fact_strategies", "check_facts", "FACTS"]

#: The facts and seed claims, in the order they are printed.
FACTS = ("1 displacement", "2 spread", "3 targeting", "4 concave returns", "5 prices",
         "seed: symbolic strike", "seed: lethal force", "seed: aid", "seed: rally")
FIRST = 4                      # step of the first action (after 4 steps of the run's own dice)
CUT_WINDOW = 8                 # steps after a strike in which the cut is measured
INTENSITIES = (0.1, 0.2, 0.4)  # maritime/route interdiction intensities for the spread fact
COVER_INTENSITY = 0.4          # interdiction intensity of the concave-returns fact (= the highest spread run)
FEW_SHARE, HALF_SHARE = 0.25, 0.5
SHOCK_INTENSITY, SHOCK_STEPS = 0.6, 6
LETHAL_INTENSITY = 0.2
ONE_FOR_ONE = 0.75             # "far less than one-for-one": delivered falls by less than 0.75 kg per kg seized
SYMBOLIC_PCT = 1.0             # "symbolic": the 95 % interval of |flow reduction| stays below 1 %
# rules that account for position, best first: the first one the engine knows is used
POSITION_RULES = ("flow_betweenness", "criticality", "min_cut", "betweenness")


@dataclass(frozen=True)
class Setup:
    """What the checks act on, read from the network by :func:`network_setup`."""

    main_hub: str
    hub_kind: str | None          # node kind the strike rules choose among (None: any non-source, non-market)
    jurisdiction: str             # the main hub's jurisdiction (blockade and aid)
    routes: tuple[tuple[str, str], ...]  # edges carrying baseline flow, busiest first
    alternatives: tuple[str, ...]  # nodes neither upstream nor downstream of the main hub (dormant ones included)
    position_rule: str
    steps: int
    first: int = FIRST


@dataclass
class Claim:
    """One checked claim: a paired quantity's mean and 95 % interval, and whether it lies on the claimed side."""

    fact: str
    claim: str
    quantity: str
    unit: str
    mean: float
    lo: float
    hi: float
    rule: str                     # the side, in words ("> 0", "< 1 % in absolute value"...)
    passed: bool
    n: int

    def to_dict(self) -> dict:
        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {"fact": self.fact, "claim": self.claim, "quantity": self.quantity, "unit": self.unit,
                "mean": num(self.mean), "lo": num(self.lo), "hi": num(self.hi), "rule": self.rule,
                "result": "PASS" if self.passed else "FAIL", "n": self.n}


@dataclass
class FactsResult:
    """The claims of :func:`check_facts` with the setup they were run on."""

    scenario: str
    seeds: int
    seed: int
    setup: Setup
    claims: list[Claim] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)  # the names of :func:`fact_strategies`, baseline first

    def passed(self, fact: str) -> bool:
        """Whether every claim of ``fact`` passed."""
        return all(c.passed for c in self.claims if c.fact == fact)

    def to_json(self) -> dict:
        s = self.setup
        return {"scenario": self.scenario, "strategies": list(self.strategies), "runs": self.seeds, "seed": self.seed,
                "steps": s.steps,
                "setup": {"main_hub": s.main_hub, "hub_kind": s.hub_kind, "jurisdiction": s.jurisdiction,
                          "routes": [list(e) for e in s.routes], "alternatives": list(s.alternatives),
                          "position_rule": s.position_rule,
                          "first_action": s.first},
                "facts": {f: ("PASS" if self.passed(f) else "FAIL") for f in FACTS
                          if any(c.fact == f for c in self.claims)},
                "claims": [c.to_dict() for c in self.claims]}


# ------------------------------------------------------------------------------------------ setup
def network_setup(scenario: Scenario, *, seed: int = 0, steps: int | None = None) -> Setup:
    """Read the main hub, the routes and the position rule from a pilot baseline run.

    - the **main hub** is the node of kind ``hub`` (``transit`` when the network has
      no hub; any node that is neither source nor market when it has neither) that
      carries the most flow in one baseline run (seed key ``(seed, -1)``, not one of
      the replications);
    - the **alternatives** are the nodes, other than sources and markets, that are neither
      upstream nor downstream of the main hub in the scenario's graph (dormant sites and
      edges included): the places flow can move to when the hub is down;
    - the **routes** are the edges that carry flow in that run, busiest first;
    - the **position rule** is the first of :data:`POSITION_RULES` the engine knows.
    """
    net = network_for(dataclasses.replace(scenario, strategies={}))
    steps = int(steps or min(scenario.steps, 52))
    if steps < FIRST + SHOCK_STEPS + 4:
        raise InputError(f"the facts need a horizon of at least {FIRST + SHOCK_STEPS + 4} steps, got {steps}")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31 - 1,)))
    traj = Engine(net, BASELINE, rng, record_flows=True).run(steps)
    kind_of = {n.id: n.kind for n in scenario.nodes}
    kinds = np.array([kind_of[i] for i in net.node_ids])
    flow = traj.node_flow_total
    hub_kind: str | None = None
    for kind in ("hub", "transit"):
        if ((kinds == kind) & (flow > 0)).any():
            hub_kind = kind
            break
    cand = (kinds == hub_kind) if hub_kind else ~np.isin(kinds, ("source", "market"))
    cand &= flow > 0
    if not cand.any():
        raise InputError(f"scenario '{scenario.name}': no node between sources and markets carries flow in the "
                         "baseline; the facts need a hub to strike")
    hub = int(np.flatnonzero(cand)[np.argmax(flow[cand])])
    node_ids = list(net.node_ids)
    assert traj.edge_flow is not None  # recorded: record_flows=True above
    edge_total = traj.edge_flow.sum(axis=0)
    used = np.flatnonzero(edge_total > 0)
    used = used[np.argsort(-edge_total[used], kind="stable")]
    routes = tuple((node_ids[net.edge_src[e]], node_ids[net.edge_dst[e]]) for e in used)
    rule = next(r for r in POSITION_RULES if r in TARGET_RULES)
    juris = next(n.jurisdiction for n in scenario.nodes if n.id == node_ids[hub])
    down = _reach(scenario, node_ids[hub], forward=True)
    up = _reach(scenario, node_ids[hub], forward=False)
    alternatives = tuple(n.id for n in scenario.nodes if n.kind not in ("source", "market")
                         and n.id != node_ids[hub] and n.id not in down and n.id not in up)
    return Setup(main_hub=node_ids[hub], hub_kind=hub_kind, jurisdiction=juris,
                 routes=routes, alternatives=alternatives, position_rule=rule, steps=steps)


def _reach(scenario: Scenario, start: str, *, forward: bool) -> set[str]:
    """Nodes reachable from ``start`` along edges (``forward``) or against them."""
    nxt: dict[str, list[str]] = {}
    for e in scenario.edges:
        a, b = (e.src, e.dst) if forward else (e.dst, e.src)
        nxt.setdefault(a, []).append(b)
    seen, todo = set(), [start]
    while todo:
        for w in nxt.get(todo.pop(), ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    seen.discard(start)
    return seen


def _share(routes: tuple, share: float) -> list[list[str]]:
    return [list(e) for e in routes[:max(1, int(round(share * len(routes))))]]


def fact_strategies(scenario: Scenario, setup: Setup) -> dict[str, Strategy]:
    """The strategies the checks run (the baseline first), built from ``setup``."""
    a = setup.first
    kind = {"kind": setup.hub_kind} if setup.hub_kind else {}
    every = {"start": a, "every": 4}

    def strike(targets: dict, schedule: dict) -> dict:
        return {"type": "strike", "targets": targets, "schedule": schedule, "intel_accuracy": 1.0}

    def routes(edges: list, x: float, schedule: dict | None = None, lethal: bool = False) -> dict:
        return {"type": "maritime_interdiction", "zone": {"edges": edges}, "intensity": x, "lethal": lethal,
                "schedule": schedule or {"start": a}}

    every_route = _share(setup.routes, 1.0)
    j = setup.jurisdiction
    levers: dict[str, list] = {
        "one-strike": [strike({"nodes": [setup.main_hub]}, {"at": a})],
        **{f"routes-{x}": [routes(every_route, x)] for x in INTENSITIES},
        "campaign-volume": [strike({"rule": "top_throughput", "k": 1, **kind}, every)],
        "campaign-position": [strike({"rule": setup.position_rule, "k": 1, **kind}, every)],
        "campaign-random": [strike({"rule": "random", "k": 1, **kind}, every)],
        "cover-few": [routes(_share(setup.routes, FEW_SHARE), COVER_INTENSITY)],
        "cover-half": [routes(_share(setup.routes, HALF_SHARE), COVER_INTENSITY)],
        "shock": [routes(every_route, SHOCK_INTENSITY, {"start": a, "until": a + SHOCK_STEPS - 1})],
        "lethal": [routes(every_route, LETHAL_INTENSITY, lethal=True)],
        "blockade": [{"type": "blockade", "jurisdiction": j, "intensity": 0.5, "schedule": {"start": a}}],
        "blockade-aid": [{"type": "blockade", "jurisdiction": j, "intensity": 0.5, "schedule": {"start": a}},
                         {"type": "humanitarian_aid", "jurisdiction": j, "intensity": 0.3, "schedule": {"start": a}}],
    }
    out = {"baseline": BASELINE}
    for name, lv in levers.items():
        out[name] = parse_strategy({"name": name, "levers": lv}, scenario=scenario)
    return out


# ------------------------------------------------------------------------------------- replication
def _capped(scenario: Scenario) -> Scenario:
    return dataclasses.replace(scenario, strategies={},
                               parameters=dataclasses.replace(scenario.parameters, price_cap=1.0))


def _one(net: Network, strategy: Strategy, ss: np.random.SeedSequence, steps: int) -> tuple:
    eng = Engine(net, strategy, np.random.default_rng(ss), record_flows=True)
    traj = eng.run(steps)
    return traj, float(eng.state.labour.sum())


def _replicate(scenario: Scenario, setup: Setup, strategies: dict[str, Strategy], i: int,
               seed: int) -> dict[str, dict[str, float]]:
    """One replication of every strategy of :func:`fact_strategies` (and the price-capped pair): the per-run
    quantities the claims use."""
    net = network_for(dataclasses.replace(scenario, strategies={}))
    steps, a = setup.steps, setup.first
    others = np.array([net.node_index[v] for v in setup.alternatives], dtype=np.int64)
    late = slice(steps - max(1, steps // 4), steps)
    cut = slice(a, min(steps, a + CUT_WINDOW))
    post = slice(a + SHOCK_STEPS, steps)
    ref = net.market_price
    out: dict[str, dict[str, float]] = {}
    base_flow = None
    for name, st in strategies.items():
        traj, labour = _one(net, st, replication_seed(seed, i), steps)
        s = traj.series
        d = traj.delivered_total
        if base_flow is None:
            base_flow = traj.node_flow_total
        out[name] = {
            "delivered": float(d.sum()), "delivered_cut": float(d[cut].sum()), "delivered_late": float(d[late].sum()),
            "delivered_post": float(d[post].sum()), "seized": float(s["seized"].sum()),
            "active_nodes": float(s["active_nodes"].mean()), "route_entropy": float(s["route_entropy"].mean()),
            "price": float((s["price"] / ref).mean()), "harm": float(s["harm"].sum()),
            "hardship": float(s["hardship"].mean()), "backlash": float(s["backlash"].mean()), "labour": labour,
            "others_cut": float(traj.node_flow[a + 1:min(steps, a + 1 + CUT_WINDOW)][:, others].sum()),
            "displacement": displacement_pct(traj.node_flow_total, base_flow),
        }
    cnet = network_for(_capped(scenario))
    for name in ("baseline", "shock"):
        traj, _ = _one(cnet, strategies[name], replication_seed(seed, i), steps)
        d = traj.delivered_total
        out[f"capped-{name}"] = {"delivered": float(d.sum()), "delivered_post": float(d[post].sum())}
    return out


# ------------------------------------------------------------------------------------------ claims
def _pct_cut(b: np.ndarray, s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, 100.0 * (1.0 - s / b), 0.0)


def _claims(runs: list[dict], setup: Setup, band_pct: float) -> list[Claim]:
    def v(strategy: str, key: str) -> np.ndarray:
        return np.array([r[strategy][key] for r in runs])

    def red(strategy: str, key: str = "delivered", base: str = "baseline") -> np.ndarray:
        return _pct_cut(v(base, key), v(strategy, key))

    out: list[Claim] = []

    def claim(fact, text, quantity, unit, x, side, bound=0.0):
        m, lo, hi = mean_interval(x)
        if side == ">":
            ok, rule = lo > bound, f"interval above {bound:g}"
        elif side == "<":
            ok, rule = hi < bound, f"interval below {bound:g}"
        elif side == "not<":
            ok, rule = hi >= bound, f"interval not below {bound:g} (no significant fall)"
        else:  # "abs<"
            ok, rule = max(abs(lo), abs(hi)) < bound, f"interval inside ±{bound:g}"
        out.append(Claim(fact, text, quantity, unit, m, lo, hi, rule, bool(ok), len(x)))

    f = "1 displacement"
    claim(f, f"one strike on the main hub ({setup.main_hub}) cuts delivery in the {CUT_WINDOW} steps after it",
          "flow reduction, steps after the strike", "%", red("one-strike", "delivered_cut"), ">")
    claim(f, f"flow moves to alternatives ({len(setup.alternatives)} places neither up- nor downstream of the hub) "
             "while the hub is down", f"kg through the alternatives, {CUT_WINDOW} steps after the strike, minus "
             "baseline", "kg",
          v("one-strike", "others_cut") - v("baseline", "others_cut"), ">")
    claim(f, f"delivery recovers within the horizon: last quarter's flow reduction inside the recovery band "
             f"(±{band_pct:g} %; an overshoot above the baseline is not a recovery)",
          "flow reduction, last quarter of the horizon", "%", red("one-strike", "delivered_late"), "abs<", band_pct)

    f = "2 spread"
    for x in INTENSITIES:
        s = f"routes-{x}"
        claim(f, f"interdiction {x} on every route keeps or raises the active nodes", "active nodes, minus baseline",
              "nodes", v(s, "active_nodes") - v("baseline", "active_nodes"), "not<")
        claim(f, f"interdiction {x} keeps or raises route entropy", "route entropy, minus baseline", "nats",
              v(s, "route_entropy") - v("baseline", "route_entropy"), "not<")
        dd = v(s, "delivered") - v("baseline", "delivered")
        ds = v(s, "seized") - v("baseline", "seized")
        claim(f, f"interdiction {x}: delivered falls far less than one-for-one with seizures "
                 f"(by less than {ONE_FOR_ONE:g} kg per extra kg seized)",
              f"{ONE_FOR_ONE:g} x extra seized + change in delivered", "kg", ONE_FOR_ONE * ds + dd, ">")

    f = "3 targeting"
    averted = {r: v("baseline", "delivered") - v(f"campaign-{r}", "delivered") for r in ("position", "volume", "random")}
    claim(f, f"targeting by position ({setup.position_rule}) averts more than by volume (top_throughput), "
             "same number of strikes", "kg averted, position minus volume", "kg",
          averted["position"] - averted["volume"], ">")
    claim(f, "targeting by volume averts more than random targeting", "kg averted, volume minus random", "kg",
          averted["volume"] - averted["random"], ">")

    f = "4 concave returns"
    full = red(f"routes-{COVER_INTENSITY}")
    claim(f, f"pressure on a few routes ({100 * FEW_SHARE:.0f} % of them, busiest first) does little: less than half "
             "the effect of covering every route", "half the reduction with every route covered minus with a few",
          "%", 0.5 * full - red("cover-few"), ">")
    claim(f, f"large effects need most routes covered: covering every route cuts more than covering the busiest "
             f"{100 * HALF_SHARE:.0f} %", "flow reduction, every route minus half", "%", full - red("cover-half"), ">")

    f = "5 prices"
    claim(f, f"a supply cut ({SHOCK_STEPS} steps of interdiction {SHOCK_INTENSITY:g} on every route) raises the price",
          "mean price index, minus baseline", "ratio", v("shock", "price") - v("baseline", "price"), ">")
    claim(f, "the raised price speeds recovery: after the cut, less flow is lost when prices may rise than when "
             "they are capped at the reference", "flow reduction after the cut, capped minus free", "%",
          red("capped-shock", "delivered_post", "capped-baseline") - red("shock", "delivered_post"), ">")

    f = "seed: symbolic strike"
    claim(f, f"one strike is symbolic: its flow reduction over the horizon stays within ±{SYMBOLIC_PCT:g} %",
          "flow reduction, one strike", "%", red("one-strike"), "abs<", SYMBOLIC_PCT)
    claim(f, "a sustained campaign (a strike every 4 steps) cuts more than one strike", "flow reduction, campaign "
          "minus one strike", "%", red("campaign-volume") - red("one-strike"), ">")

    f = "seed: lethal force"
    nl = f"routes-{LETHAL_INTENSITY}"
    claim(f, "lethal interdiction harms: more expected casualties than the same interdiction boarding boats",
          "civilian harm, lethal minus non-lethal", "casualties", v("lethal", "harm") - v(nl, "harm"), ">")
    claim(f, "lethal interdiction deters: it cuts more flow than the same interdiction boarding boats",
          "flow reduction, lethal minus non-lethal", "%", red("lethal") - red(nl), ">")

    f = "seed: aid"
    claim(f, f"aid lowers hardship (blockade of {setup.jurisdiction} with and without aid)",
          "hardship, with aid minus without", "index", v("blockade-aid", "hardship") - v("blockade", "hardship"), "<")
    claim(f, "aid lowers backlash", "backlash, with aid minus without", "index",
          v("blockade-aid", "backlash") - v("blockade", "backlash"), "<")

    f = "seed: rally"
    claim(f, "a strike campaign raises backlash", "backlash, campaign minus baseline", "index",
          v("campaign-volume", "backlash") - v("baseline", "backlash"), ">")
    claim(f, "backlash rallies recruits: the organisations' labour ends higher under the campaign",
          "labour at the end, campaign minus baseline", "index", v("campaign-volume", "labour") - v("baseline", "labour"),
          ">")
    return out


def check_facts(scenario: Scenario, seeds: int = 50, *, seed: int = 0, steps: int | None = None,
                executor: Executor | None = None, progress: Callable[[int], None] | None = None) -> FactsResult:
    """Run the stylised facts and seed claims on ``scenario`` with ``seeds`` paired replications.

    Results do not depend on ``executor`` (replication ``i`` has its own seed).
    """
    if seeds < 2:
        raise InputError("the facts need at least 2 seeds (paired intervals)")
    setup = network_setup(scenario, seed=seed, steps=steps)
    strategies = fact_strategies(scenario, setup)
    if executor is None:
        done = (_replicate(scenario, setup, strategies, i, seed) for i in range(seeds))
    else:
        futs = [executor.submit(_replicate, scenario, setup, strategies, i, seed) for i in range(seeds)]
        done = (fut.result() for fut in futs)
    runs = []
    for r in done:
        runs.append(r)
        if progress:
            progress(1)
    band = 100.0 * scenario.parameters.recovery_band
    return FactsResult(scenario.name, seeds, seed, setup, _claims(runs, setup, band), list(strategies))
