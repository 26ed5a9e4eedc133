"""The engine: one run of a scenario under a strategy.

Each step is a fixed sequence of functions over the :class:`RunState`:
land arrivals and sell → produce → levers → (for each organisation, in a
random order) plan → dispatch and seize → learn and adapt → markets →
rebuild → society → record.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from operator import attrgetter

import numpy as np

from ..levers import LEVERS, Lever, LeverReport
from ..network import Network, compile_network
from ..scenario import Scenario
from ..strategy import BASELINE, Strategy
from . import planning, warm_cache
from ._kernels import (
    begin_step,
    cash_scale,
    dispatch_org,
    end_step,
    load_values,
    move_all,
    node_capacity_left,
    plan_small,
    pre_move,
    risk_slopes,
    settle_cash,
    settle_org,
    update_prices,
)
from .adaptation import adapt, rebuild
from .bundles import (
    Accounts,
    Economy,
    Learning,
    Organisations,
    OrgPlan,
    ProductionRule,
    StepInputs,
    Topology,
    Trade,
)
from .costs import arc_cost
from .record import Recorder, Trajectory
from .society import update_society
from .state import RunState, StepLog

__all__ = ["Engine", "simulate", "SMALL_NODES", "SMALL_EDGES", "SOLVERS", "LARGE_SOLVER"]

SOLVERS = ("auto", "ssp", "ortools", "simplex")
#: the solver of large planning problems under ``solver="auto"``
LARGE_SOLVER = "simplex"

# planning problems up to this size use the compiled successive-shortest-path solver
SMALL_NODES = 400
SMALL_EDGES = 4000

#: The run state's arrays in :class:`~counterflow.engine.bundles.Organisations`' field order, as a plain tuple
#: (the form Python passes bundles in, see :mod:`counterflow.engine._kernels`; 0.26 µs against 0.75 µs for
#: building the NamedTuple and converting it, once a step).
_org_arrays = attrgetter(*Organisations._fields)


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
    solver
        ``"auto"`` (compiled successive shortest paths for small planning
        problems, the warm-started network simplex for large), ``"ssp"``, ``"ortools"`` or
        ``"simplex"`` (the compiled network simplex that starts each
        organisation's plan from its previous basis). All are exact; the large
        solvers (``"ortools"``, ``"simplex"``) return the same plans.
    """

    def __init__(
        self,
        scenario: Scenario | Network,
        strategy: Strategy | None = None,
        seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
        *,
        record_flows: bool = True,
        solver: str = "auto",
    ) -> None:
        if solver not in SOLVERS:
            raise ValueError("solver must be one of " + ", ".join(repr(x) for x in SOLVERS))
        self.net = scenario if isinstance(scenario, Network) else compile_network(scenario)
        self.strategy = strategy or BASELINE
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.seed = seed if isinstance(seed, int) else None
        self.rng_move, self.rng_plan, self.rng_lever = rng.spawn(3)
        self.state = warm_state(self.net)
        self._setup()
        self.levers: list[Lever] = sorted(
            (LEVERS[spec.type](spec, self.net, self.strategy) for spec in self.strategy.levers),
            key=lambda lv: lv.phase,
        )
        self.state.add_modifiers((m for lv in self.levers for m in lv.modifiers), self.net)
        self.record_flows = record_flows
        self.solver = solver
        while self.state.t < 0:  # this run's own burn-in (no lever fires before step 0)
            self.step()
        self.reports.clear()

    def _init_from_state(self, net: Network, state: RunState) -> None:
        """Bare engine over ``state`` with the baseline strategy (used for the warm-up)."""
        self.net, self.state, self.strategy, self.seed = net, state, BASELINE, None
        self.rng_move, self.rng_plan, self.rng_lever = np.random.default_rng(20240917).spawn(3)
        self.levers = []
        self.record_flows = False
        self.solver = "auto"
        self._setup()
        self._deterministic = True

    def _setup(self) -> None:
        net = self.net
        self._deterministic = False
        self._base_labour = np.maximum(net.org_labour, 1e-12)
        prm = net.scenario.parameters  # suppliers front product: a credit line of credit_steps steps of production
        self._credit = prm.credit_steps * prm.production_cost * net.org_production.sum(axis=1)
        self._unbound = np.full(net.n_orgs, -np.inf)  # "frozen" cash during the warm-up: all spending is financed
        self.reports: list[LeverReport] = []
        self._is_source = net.kind_mask("source")
        self._finite_cap = np.isfinite(net.node_cap)
        allowed = net.org_allowed[:, net.market_node]
        weight = net.org_production.sum(axis=1)[:, None] * allowed
        share = weight / np.maximum(weight.sum(axis=0, keepdims=True), 1e-12)
        self._tranche_width = planning.tranche_width(net.market_demand)[None, :, :] * share[:, :, None]
        self._market_allowed = net.org_allowed[:, net.market_node].copy()
        base_p = np.clip(net.edge_risk + net.node_enf[net.edge_src], 0.0, 1.0)
        self._top = Topology(self._is_source, net.edge_src, net.edge_dst, net.edge_time, net.edge_load_kg,
                             net.edge_cap, net.node_cap, net.market_node, base_p, net.org_risk_aversion)
        self._out_start, self._out_order = out_edges(net)
        self._producer = net.org_production > 0
        self._learn = Learning(float(prm.learning_rate), float(prm.forget_rate), float(prm.diversification))
        econ = Economy(net.edge_dst, net.market_node, net.org_production, self._base_labour, self._market_allowed,
                       net.market_price)
        rule = ProductionRule(*(float(x) for x in (
            prm.supply_elasticity, prm.max_production_multiple, prm.stock_buffer_steps, prm.production_cost,
            prm.price_expectation_rate, prm.labour_elasticity)))
        # the fixed bundles as plain tuples, as Python passes bundles to the kernels (see engine._kernels)
        self._top_t, self._learn_t, self._econ_t, self._rule_t = tuple(self._top), tuple(self._learn), tuple(econ), \
            tuple(rule)
        n_split = int(np.isfinite(net.node_cap).sum())
        self._small = net.n_nodes + n_split <= SMALL_NODES and net.n_edges <= SMALL_EDGES
        # each organisation's last network-simplex basis (a start only: plans do not depend on it)
        self._warm = [planning.WarmStart() for _ in range(net.n_orgs)]
        # protection payments: enforcement each node's jurisdiction holds [N, J] (what protection buys off)
        self._no_protection = np.zeros(net.n_orgs)
        self._paid = np.zeros(net.n_orgs)  # what each organisation paid for protection this step (settle_cash)
        self._juris_enf = np.zeros((net.n_nodes, len(net.juris_ids)))
        self._juris_enf[np.arange(net.n_nodes), net.node_juris] = net.node_enf

    def _protection_weights(self, s: RunState) -> np.ndarray:
        """``[O, J]``: the enforcement at each organisation's open sites, by jurisdiction (where it pays)."""
        return s.open_node.astype(float) @ self._juris_enf

    # ------------------------------------------------------------------ run
    def run(self, steps: int | None = None, progress: Callable[..., object] | None = None) -> Trajectory:
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

        # arrivals, sales and production (production responds to prices and unsold stock)
        p = net.scenario.parameters
        frozen = self._unbound if self._deterministic else s.frozen - self._credit
        delivered_m, arrived, revenue, produced_o = begin_step(
            s.t, self._econ_t, tuple(Trade(s.stock, s.transit, s.cash, s.price, s.price_expect, frozen, s.revenue_tax,
                                           s.labour, s.cap_factor)), self._rule_t)
        s.delivered += math.fsum(delivered_m)
        produced = math.fsum(produced_o)
        s.produced += produced

        # levers, in phase order, on freshly reset per-step modifiers
        s.reset_modifiers()
        for lever in self.levers:
            if lever.spec.schedule.fires(s.t):
                report = lever.fire(s, self.rng_lever)
                s.log.cost += report.cost
                s.log.harm += report.harm
                self.reports.append(report)
        s.destroyed += s.log.destroyed

        # planning, movement, learning, adaptation
        p_seize, market_value, tranche_rev = pre_move(
            net.edge_risk, s.edge_risk_add, net.node_enf, s.node_enf_add, net.node_juris, s.corruption,
            net.edge_src, s.price, self._market_allowed, net.market_elasticity, planning.TRANCHE_MID, s.protection,
            p.protection_half_cost)
        self._market_value = market_value  # per organisation: the stake of convex route risk (plan())
        edge_cost = net.edge_cost + s.edge_cost_add if s.edge_cost_add.any() else net.edge_cost
        worth = load_values(  # [O, N]: what a kg at each node is worth to each organisation
            self._producer, s.open_node, s.open_edge, self._out_start, self._out_order, net.edge_dst,
            edge_cost, s.risk_belief, s.node_fear, p.production_cost, market_value, p.loss_at_market_value)
        split = self._finite_cap | (s.cap_factor < 1.0)
        if self._deterministic:  # the warm-up reaches the financed steady state: cash does not bind
            scale = np.ones(n_o)
        else:
            scale = cash_scale(s.cash, s.frozen - self._credit, s.hop_cost, s.stock, s.prev_out, self._is_source, s.open_node)
        cash_before = s.cash.copy()
        order = self.rng_plan.permutation(n_o)
        if self._deterministic:
            uniforms = np.full((n_o, net.n_edges), -1.0)
        else:
            uniforms = self.rng_move.random((n_o, net.n_edges))
        inputs = StepInputs(edge_cost, s.cap_factor, split, worth, self._tranche_width, tranche_rev, p_seize, uniforms,
                            arrived, scale, market_value)
        if self.solver == "ssp" or (self.solver == "auto" and self._small):
            sent_all, out_all, seized_o, sent_o = move_all(s.t, order, self._top_t, _org_arrays(s), tuple(inputs),
                                                           self._learn_t)
        else:
            sent_all, out_all, seized_o, sent_o = self._move_large(order, self._orgs(), inputs)
        # protection is paid where the organisation's open sites face enforcement, by the enforcement there
        weights = self._protection_weights(s) if p.protection_share > 0.0 else None
        share = self._no_protection if weights is None else \
            np.where(weights.sum(axis=1) > 0.0, p.protection_share, 0.0)
        settle_cash(s.cash, s.frozen, cash_before, sent_o, produced_o, p.production_cost, s.hop_cost, s.spend,
                    p.payout_rate, p.cash_reserve_steps, share, self._paid)
        if weights is not None:
            total = weights.sum(axis=1, keepdims=True)  # the budget of the next step's seizures
            s.protection = self._paid[:, None] * weights / np.where(total > 0.0, total, 1.0)
        for o in order:
            lost = seized_o[o] + s.log.destroyed_by_org[o]
            moved = sent_o[o] + s.log.destroyed_by_org[o]
            adapt(net, s, o, lost / moved if moved > 0 else 0.0, worth[o])
        seized_total = math.fsum(seized_o)
        s.seized += seized_total
        s.log.seized = seized_total

        update_prices(s.price, s.supply_smooth, delivered_m, net.market_price, net.market_demand,
                      net.market_elasticity, p.delivery_smoothing, p.price_smoothing, p.price_floor, p.price_cap)
        rebuild(net, s)
        update_society(net, s)

        spoiled, node_flow, active_nodes, active_edges, entropy, stock, transit = end_step(
            s.stock, net.node_storage, sent_all, out_all, net.market_node, delivered_m, s.transit)
        s.destroyed += spoiled
        s.node_flow = node_flow
        s.edge_flow = sent_all
        if rec is not None:
            self._record(rec, row if row is not None else s.t, delivered_m, revenue, produced,
                         seized_total, s.log.destroyed + spoiled, node_flow, sent_all,
                         active_nodes, active_edges, entropy, stock, transit)
        s.t += 1

    def _orgs(self) -> Organisations:
        """The organisations' state as the kernels take it (the run state's own arrays)."""
        return Organisations(*_org_arrays(self.state))

    def _move_large(self, order: np.ndarray, orgs: Organisations,
                    inputs: StepInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Plan (network simplex or OR-Tools) and dispatch each organisation in turn; the large-network path of :meth:`step`."""
        net, s = self.net, self.state
        acc = Accounts(net.edge_cap.copy(), node_capacity_left(net.node_cap, s.cap_factor), np.zeros(net.n_edges),
                       np.zeros(net.n_nodes), np.zeros(net.n_orgs), np.zeros(net.n_orgs))
        keep = 1.0 - self._learn.forget_rate
        orgs_t, acc_t = tuple(orgs), tuple(acc)
        for o in order:
            plan = self.plan(o, inputs.worth[o], acc.resid_edge, acc.resid_node, inputs.split, inputs.tranche_rev,
                             inputs.scale[o], inputs.edge_cost)
            sent, seized, out_node = dispatch_org(s.t, o, plan.edge_flow, self._top_t, orgs_t, inputs.p_seize[o],
                                                  inputs.uniforms[o], self._learn_t)
            settle_org(s.t, o, sent, seized, out_node, acc_t, orgs_t, inputs.edge_cost, inputs.arrived, keep)
        return acc.sent_all, acc.out_all, acc.seized_by_org, acc.sent_by_org

    # ------------------------------------------------------------- planning
    def plan(self, o: int, worth: np.ndarray, resid_edge: np.ndarray, resid_node: np.ndarray,
             split: np.ndarray, tranche_rev: np.ndarray, scale: float = 1.0,
             edge_cost: np.ndarray | None = None) -> planning.PlanResult:
        """Organisation ``o``'s plan for this step (see :mod:`counterflow.engine.planning`).

        ``worth[v]``: what a kilogram at ``v`` is worth to ``o`` (``load_values``);
        ``resid_edge``/``resid_node`` are the capacities the organisations
        planned earlier this step left; ``split`` marks nodes whose capacity
        binds (finite or damaged). Small problems go to the compiled
        successive-shortest-path solver, large ones to OR-Tools or the
        warm-started network simplex; all are exact.
        """
        net, s = self.net, self.state
        edge_cost = net.edge_cost if edge_cost is None else edge_cost
        use_small = self.solver == "ssp" or (self.solver == "auto" and self._small)
        if use_small:
            org = OrgPlan(s.open_node[o], s.open_edge[o], s.risk_belief[o], s.node_fear[o], s.stock[o], s.prev_out[o],
                          worth, self._tranche_width[o], float(net.org_risk_aversion[o]), float(scale),
                          float(self._market_value[o]))
            flow, tflow, cost = plan_small(self._top_t, tuple(org), edge_cost, tranche_rev, resid_edge, resid_node, split,
                                           self._learn.diversification)
            return planning.PlanResult(flow, tflow, cost, "optimal")
        open_n = s.open_node[o]
        stock = s.stock[o]
        supply = np.where(self._is_source, stock, np.maximum(stock - s.prev_out[o], 0.0))
        supply = np.where(open_n, supply, 0.0)
        if scale < 1.0:
            supply = np.where(self._is_source, supply * scale, supply)
        tflow = np.zeros(self._tranche_width[o].shape)
        if supply.sum() < 1.0:
            return planning.PlanResult(np.zeros(net.n_edges), tflow, 0.0, "empty")
        split_nodes = np.flatnonzero(split & open_n)
        split_out = np.arange(net.n_nodes)
        split_out[split_nodes] = net.n_nodes + np.arange(split_nodes.size)
        emask = s.open_edge[o] & open_n[net.edge_src] & open_n[net.edge_dst]
        idx = np.flatnonzero(emask)
        dst = net.edge_dst[idx]
        ra = net.org_risk_aversion[o]
        q = s.risk_belief[o, idx] + s.node_fear[o, dst]
        cost = arc_cost(edge_cost[idx], ra, q, worth[net.edge_src[idx]])
        slope = None
        div = net.scenario.parameters.diversification
        if div > 0.0:  # convex perceived risk: volume tranches on risky edge arcs (as plan_small)
            slope = risk_slopes(ra, div, q, worth[net.edge_src[idx]], self._market_value[o])
        mk = np.flatnonzero(open_n[net.market_node])
        problem = planning.build_plan(
            n_nodes=net.n_nodes, split_out=split_out, edge_idx=idx, edge_src=net.edge_src[idx],
            edge_dst=dst, edge_cap=np.maximum(resid_edge[idx], 0.0), edge_cost=cost,
            split_nodes=split_nodes, split_cap=np.maximum(resid_node[split_nodes], 0.0),
            market_nodes=net.market_node[mk], market_idx=mk, tranche_cap=self._tranche_width[o][mk],
            tranche_rev=tranche_rev[mk], supply=supply, edge_slope=slope,
        )
        large = LARGE_SOLVER if self.solver == "auto" else self.solver
        result = planning.solve_plan(problem, net.n_edges, large, self._warm[o])
        tflow[problem.market_idx, problem.tranche_k] = result.tranche_flow
        result.tranche_flow = tflow
        return result

    # ------------------------------------------------------------ recording
    def _record(self, rec: Recorder, i: int, delivered_m: np.ndarray, revenue: np.ndarray, produced: float,
                seized: float, destroyed: float, node_flow: np.ndarray, sent_all: np.ndarray, active_nodes: int,
                active_edges: int, entropy: float, stock: float, transit: float) -> None:
        s = self.state
        ser = rec.series
        ser["delivered"][i] = delivered_m
        ser["price"][i] = s.price
        ser["seized"][i] = seized
        ser["destroyed"][i] = destroyed
        ser["produced"][i] = produced
        ser["stock"][i] = stock
        ser["in_transit"][i] = transit
        ser["active_nodes"][i] = active_nodes
        ser["active_edges"][i] = active_edges
        ser["route_entropy"][i] = entropy
        ser["harm"][i] = s.log.harm
        ser["hardship"][i] = s.hardship.max() if s.hardship.size else 0.0
        ser["backlash"][i] = s.backlash.max() if s.backlash.size else 0.0
        ser["cost"][i] = s.log.cost
        ser["revenue"][i] = revenue
        ser["cash"][i] = s.cash
        rec.balance[i] = (s.produced, s.delivered, s.seized, s.destroyed, stock, transit)
        rec.node_flow_total += node_flow
        if rec.edge_flow is not None and rec.node_flow is not None:
            rec.edge_flow[i] = sent_all
            rec.node_flow[i] = node_flow


def out_edges(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Out-edges of every node as CSR segments ``(start [N + 1], edge order [E])``, cached on the network."""
    cached: tuple[np.ndarray, np.ndarray] | None = net.cache.get("out_edges")
    if cached is None:
        order = np.argsort(net.edge_src, kind="stable").astype(np.int64)
        start = np.searchsorted(net.edge_src[order], np.arange(net.n_nodes + 1)).astype(np.int64)
        cached = net.cache["out_edges"] = (start, order)
    return cached


def warm_state(net: Network) -> RunState:
    """A copy of the network's steady state after ``parameters.warmup`` baseline steps.

    The state ends at step ``-burn_in``: each run then simulates ``burn_in``
    steps with its own dice, so runs start from different draws of the
    stochastic steady state.

    The warm-up runs once per compiled network, without dice (every edge
    loses exactly its expected share of each load), and is cached on it;
    every run then starts from the same steady state at step 0 and draws its
    own randomness from there on. For networks of ``warm_cache.MIN_NODES``
    nodes or more it is also kept on disk (:mod:`counterflow.engine.warm_cache`).
    """
    cached: RunState | None = net.cache.get("warm_state")
    on_disk = net.n_nodes >= warm_cache.MIN_NODES
    if cached is None and on_disk:
        key = warm_cache.state_key(net.scenario)
        loaded = warm_cache.load(key)  # a stored state, or None (missing, unreadable, another object)
        cached = net.cache["warm_state"] = loaded if isinstance(loaded, RunState) else None
    if cached is None:
        state = RunState.initial(net)
        warmup = net.scenario.parameters.warmup
        state.t = -warmup - net.scenario.parameters.burn_in
        if warmup:
            eng = Engine.__new__(Engine)
            eng._init_from_state(net, state)
            for _ in range(warmup):
                eng.step()
        state.log = StepLog()
        cached = net.cache["warm_state"] = state
        if on_disk:
            warm_cache.save(key, state)
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
