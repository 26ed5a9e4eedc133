"""The engine: one run of a scenario under a strategy.

Each step is a fixed sequence of functions over the :class:`RunState`:
land arrivals and sell → produce → levers → (for each organisation, in a
random order) plan → dispatch and seize → learn and adapt → markets →
rebuild → society → record.
"""

from __future__ import annotations

import copy

import numpy as np

from ..levers import LEVERS, Lever
from ..network import Network, compile_network
from ..scenario import Scenario
from ..strategy import BASELINE, Strategy
from . import planning
from .adaptation import adapt, learn, org_value, rebuild
from .markets import update_prices
from .movement import dispatch, land_arrivals, seizure_probability
from .record import Recorder, Trajectory
from .society import update_society
from .state import RunState, StepLog

__all__ = ["Engine", "simulate"]


class Engine:
    """One run: ``Engine(scenario, strategy, seed).run()`` returns a :class:`Trajectory`.

    Parameters
    ----------
    scenario
        A :class:`~counterflow.scenario.Scenario` or an already compiled :class:`Network`.
    strategy
        The levers to apply; ``None`` is the baseline.
    seed
        An int, a :class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`.
        All randomness comes from this one generator (split into independent
        streams for seizures, planning order and levers, so that a lever's
        draws do not shift the seizure stream between paired strategies).
    record_flows
        Keep per-step flow per edge and node (for maps); off in large sweeps.
    """

    def __init__(
        self,
        scenario: Scenario | Network,
        strategy: Strategy | None = None,
        seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
        *,
        record_flows: bool = True,
    ) -> None:
        self.net = scenario if isinstance(scenario, Network) else compile_network(scenario)
        self.strategy = strategy or BASELINE
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.seed = seed if isinstance(seed, int) else None
        self.rng_move, self.rng_plan, self.rng_lever = rng.spawn(3)
        self.state = warm_state(self.net)
        self._setup()
        self.levers: list[Lever] = sorted(
            (LEVERS[spec.type](spec, self.net, self.strategy) for spec in self.strategy.levers),
            key=lambda lv: lv.order,
        )
        self.record_flows = record_flows

    def _init_from_state(self, net: Network, state: RunState) -> None:
        """Bare engine over ``state`` with the baseline strategy (used for the warm-up)."""
        self.net, self.state, self.strategy, self.seed = net, state, BASELINE, None
        self.rng_move, self.rng_plan, self.rng_lever = np.random.default_rng(20240917).spawn(3)
        self.levers = []
        self.record_flows = False
        self._setup()

    def _setup(self) -> None:
        net = self.net
        self.reports: list = []
        self._is_source = net.kind_mask("source")
        self._finite_cap = np.isfinite(net.node_cap)
        allowed = net.org_allowed[:, net.market_node]
        weight = net.org_production.sum(axis=1)[:, None] * allowed
        share = weight / np.maximum(weight.sum(axis=0, keepdims=True), 1e-12)
        self._tranche_width = planning.tranche_width(net.market_demand)[None, :, :] * share[:, :, None]

    # ------------------------------------------------------------------ run
    def run(self, steps: int | None = None, progress=None) -> Trajectory:
        """Run ``steps`` steps (default: the scenario's horizon) and return the trajectory."""
        steps = self.net.scenario.steps if steps is None else int(steps)
        rec = Recorder(self.net, steps, self.record_flows)
        for i in range(steps):
            self.step(rec, i)
            if progress is not None:
                progress()
        return rec.trajectory(self.net, self.strategy.name, self.seed, steps,
                              self.strategy.first_action(), self.reports)

    def step(self, rec: Recorder | None = None, row: int | None = None) -> None:
        """Advance one step; record into ``rec[row]`` when given."""
        net, s = self.net, self.state
        n_j, n_o = len(net.juris_ids), net.n_orgs
        s.log = StepLog(foreign_strikes=np.zeros(n_j), harm_by_juris=np.zeros(n_j),
                        destroyed_by_org=np.zeros(n_o))

        # arrivals and sales
        delivered_om, arrived = land_arrivals(net, s)
        revenue = delivered_om @ s.price
        s.cash += revenue
        delivered_m = delivered_om.sum(axis=0)
        s.delivered += float(delivered_m.sum())

        # production responds to the organisation's price index
        prod = net.org_production * self._production_multiplier()[:, None]
        s.stock += prod
        produced = float(prod.sum())
        s.produced += produced
        s.cash -= prod.sum(axis=1) * net.scenario.parameters.production_cost

        # levers
        s.edge_risk_add[:] = 0.0
        s.node_enf_add[:] = 0.0
        s.revenue_cut[:] = 0.0
        s.aid[:] = 0.0
        s.intel = 0.0
        for lever in self.levers:
            if lever.spec.schedule.fires(s.t):
                report = lever.fire(s, self.rng_lever)
                s.log.cost += report.cost
                s.log.harm += report.harm
                self.reports.append(report)
        s.destroyed += s.log.destroyed

        # planning, movement, learning, adaptation
        p_seize = seizure_probability(net, s)
        value = org_value(net, s)
        sent_all = np.zeros(net.n_edges)
        out_all = np.zeros(net.n_nodes)
        seized_total = 0.0
        resid_edge = net.edge_cap.copy()
        resid_node = net.node_cap * s.cap_factor
        split = self._finite_cap | (s.cap_factor < 1.0)
        split_nodes = np.flatnonzero(split)
        split_out = np.arange(net.n_nodes)
        split_out[split_nodes] = net.n_nodes + np.arange(split_nodes.size)
        tranche_rev = planning.tranche_revenue(s.price, net.market_elasticity)
        for o in self.rng_plan.permutation(n_o):
            plan, problem = self.plan(o, value[o], p_seize, resid_edge, resid_node, split_out,
                                      split_nodes, self._tranche_width[o], tranche_rev)
            sent, seized, out_node = dispatch(net, s, o, plan.edge_flow, p_seize, self.rng_move)
            resid_edge -= sent
            resid_node -= out_node
            sent_all += sent
            out_all += out_node
            seized_o = float(seized.sum())
            seized_total += seized_o
            s.cash[o] -= float(sent @ net.edge_cost)
            learn(net, s, o, sent, seized)
            lost = seized_o + s.log.destroyed_by_org[o]
            moved = float(sent.sum()) + s.log.destroyed_by_org[o]
            used = (out_node > 0) | (arrived[o] > 0)
            s.last_used[o, used] = s.t
            adapt(net, s, o, lost / moved if moved > 0 else 0.0, value[o])
        s.seized += seized_total
        s.log.seized = seized_total

        update_prices(net, s, delivered_m)
        rebuild(net, s)
        update_society(net, s)

        # spoilage beyond storage
        over = np.maximum(s.stock - net.node_storage[None, :], 0.0)
        spoiled = float(over.sum())
        if spoiled > 0:
            s.stock -= over
            s.destroyed += spoiled

        node_flow = out_all.copy()
        node_flow[net.market_node] += delivered_m
        s.node_flow = node_flow
        s.edge_flow = sent_all
        if rec is not None:
            self._record(rec, row if row is not None else s.t, delivered_m, revenue, produced,
                         seized_total, s.log.destroyed + spoiled, node_flow, sent_all)
        s.t += 1

    def _production_multiplier(self) -> np.ndarray:
        """Production responds to the price index and stops when unsold stock piles up.

        The multiplier is ``(mean price / reference) ** supply_elasticity``
        (within ``[1/max_production_multiple, max_production_multiple]``),
        scaled down linearly as stock at the sources grows from
        ``stock_buffer_steps`` to twice that many steps of production.
        """
        net, p, s = self.net, self.net.scenario.parameters, self.state
        allowed = net.org_allowed[:, net.market_node]
        ratio = np.where(allowed, (s.price / net.market_price)[None, :], 0.0)
        index = ratio.sum(axis=1) / np.maximum(allowed.sum(axis=1), 1)
        mult = np.clip(np.maximum(index, 1e-9) ** p.supply_elasticity,
                       1.0 / p.max_production_multiple, p.max_production_multiple)
        base = net.org_production.sum(axis=1)
        buffer = p.stock_buffer_steps * base
        held = (s.stock * self._is_source[None, :]).sum(axis=1)
        return mult * np.clip(2.0 - held / np.maximum(buffer, 1e-9), 0.0, 1.0)

    # ------------------------------------------------------------- planning
    def plan(self, o, value, p_seize, resid_edge, resid_node, split_out, split_nodes,
             tranche_cap, tranche_rev):
        """Build and solve organisation ``o``'s planning problem for this step."""
        net, s = self.net, self.state
        open_n = s.open_node[o]
        stock = s.stock[o]
        supply = np.where(self._is_source, stock, np.maximum(stock - s.prev_out[o], 0.0))
        supply = np.where(open_n, supply, 0.0)
        if supply.sum() < 1.0:
            return planning.PlanResult(np.zeros(net.n_edges), np.zeros(0, dtype=np.int64), 0.0, "empty"), None
        emask = s.open_edge[o] & open_n[net.edge_src] & open_n[net.edge_dst]
        idx = np.flatnonzero(emask)
        dst = net.edge_dst[idx]
        ra = net.org_risk_aversion[o]
        cost = net.edge_cost[idx] + ra * (s.risk_belief[o, idx] + s.node_fear[o, dst]) * value
        sn = split_nodes[open_n[split_nodes]]
        mk = np.flatnonzero(open_n[net.market_node])
        problem = planning.build_plan(
            n_nodes=net.n_nodes, split_out=split_out, edge_idx=idx, edge_src=net.edge_src[idx],
            edge_dst=dst, edge_cap=np.maximum(resid_edge[idx], 0.0), edge_cost=cost,
            split_nodes=sn, split_cap=np.maximum(resid_node[sn], 0.0), market_nodes=net.market_node[mk],
            market_idx=mk, tranche_cap=tranche_cap[mk], tranche_rev=tranche_rev[mk], supply=supply,
        )
        return planning.solve_plan(problem, net.n_edges), problem

    # ------------------------------------------------------------ recording
    def _record(self, rec, i, delivered_m, revenue, produced, seized, destroyed, node_flow, sent_all):
        s = self.state
        ser = rec.series
        ser["delivered"][i] = delivered_m
        ser["price"][i] = s.price
        ser["seized"][i] = seized
        ser["destroyed"][i] = destroyed
        ser["produced"][i] = produced
        stock, transit = s.stock_total(), s.transit_total()
        ser["stock"][i] = stock
        ser["in_transit"][i] = transit
        ser["active_nodes"][i] = np.count_nonzero(node_flow > 1e-9)
        active = sent_all > 1e-9
        ser["active_edges"][i] = np.count_nonzero(active)
        total = sent_all.sum()
        if total > 0:
            share = sent_all[active] / total
            ser["route_entropy"][i] = float(-(share * np.log(share)).sum())
        ser["harm"][i] = s.log.harm
        ser["hardship"][i] = s.hardship.max(initial=0.0)
        ser["backlash"][i] = s.backlash.max(initial=0.0)
        ser["cost"][i] = s.log.cost
        ser["revenue"][i] = revenue
        ser["cash"][i] = s.cash
        rec.balance[i] = (s.produced, s.delivered, s.seized, s.destroyed, stock, transit)
        rec.node_flow_total += node_flow
        if rec.edge_flow is not None:
            rec.edge_flow[i] = sent_all
            rec.node_flow[i] = node_flow


def warm_state(net: Network) -> RunState:
    """A copy of the network's steady state after ``parameters.warmup`` baseline steps.

    The warm-up runs once per compiled network with a fixed seed and is
    cached on it; every run then starts from the same steady state at step 0
    and draws its own randomness from there on.
    """
    cached = net.cache.get("warm_state")
    if cached is None:
        state = RunState.initial(net)
        warmup = net.scenario.parameters.warmup
        state.t = -warmup
        if warmup:
            eng = Engine.__new__(Engine)
            eng._init_from_state(net, state)
            for _ in range(warmup):
                eng.step()
        state.log = StepLog()
        cached = net.cache["warm_state"] = state
    return copy.deepcopy(cached)


def simulate(
    scenario: Scenario | Network,
    strategy: Strategy | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
    steps: int | None = None,
    *,
    record_flows: bool = True,
) -> Trajectory:
    """Run one replication; shorthand for ``Engine(scenario, strategy, seed).run(steps)``.

    Examples
    --------
    >>> from counterflow import load_scenario, simulate
    >>> traj = simulate(load_scenario("caribbean"), seed=1, steps=20)
    >>> traj.delivered_total.shape
    (20,)
    """
    return Engine(scenario, strategy, seed, record_flows=record_flows).run(steps)
