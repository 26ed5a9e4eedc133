"""The engine: one run of a scenario under a strategy.

Each step is a fixed sequence of functions over the :class:`RunState`:
land arrivals and sell → produce → levers → (for each organisation, in a
random order) plan → dispatch and seize → learn and adapt → markets →
rebuild → society → record.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from operator import attrgetter

import numpy as np

from ..levers import LEVERS, Lever, LeverReport
from ..network import Network, compile_network
from ..scenario import Scenario
from ..strategy import BASELINE, Strategy
from . import planning, warm_cache
from ._kernels import (
    adapt_calm,
    begin_step,
    calm_step,
    close_step,
    dispatch_org,
    move_phase,
    open_accounts,
    plan_small,
    prepare_move,
    risk_slopes,
    settle_move,
    settle_org,
)
from .adaptation import adapt, rebuild
from .bundles import (
    Adaptation,
    AdaptRule,
    Books,
    Closing,
    Conditions,
    Economy,
    Exposure,
    Learning,
    Organisations,
    OrgPlan,
    ProductionRule,
    Sales,
    Scratch,
    Topology,
    Trade,
    pack,
    zeros_packed,
)
from .costs import arc_cost
from .record import Recorder, Trajectory
from .society import jurisdiction_arrays as _jurisdiction_arrays
from .society import society_arrays
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
#: the same for :class:`~counterflow.engine.bundles.Trade`, :class:`~counterflow.engine.bundles.Conditions` and
#: :class:`~counterflow.engine.bundles.Books`
_trade_arrays = attrgetter(*Trade._fields)
_condition_arrays = attrgetter(*Conditions._fields)
_book_arrays = attrgetter(*Books._fields)
_adapt_arrays = attrgetter(*Adaptation._fields)
#: the run state's arrays ``_kernels.calm_step`` takes, each once, in the order ``_kernels.step_bundles`` reads them
_step_state = attrgetter(
    "stock", "transit", "cash", "price", "price_expect", "frozen", "revenue_tax", "labour", "cap_factor", "open_node",
    "open_edge", "risk_belief", "node_fear", "prev_out", "route", "last_used", "edge_risk_add", "node_enf_add",
    "edge_cost_add", "corruption", "hop_cost", "spend", "protection", "loss_smooth", "calm_steps", "opened_at",
    "supply_smooth", "node_flow", "edge_flow", "hardship", "backlash", "revenue", "revenue_cut", "aid")
#: the step log's arrays ``calm_step`` takes (and empties)
_step_log = attrgetter("foreign_strikes", "harm_by_juris", "destroyed_by_org")


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
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.seed = seed if isinstance(seed, int) else None
        self.rng_move, self.rng_plan, self.rng_lever = rng.spawn(3)
        self.state = warm_state(self.net)
        self._setup()
        self._attach(strategy or BASELINE, record_flows, solver)
        self.state.add_modifiers((m for lv in self.levers for m in lv.modifiers), self.net)
        self._burn_in()
        self.reports.clear()

    def _attach(self, strategy: Strategy, record_flows: bool, solver: str) -> None:
        """The run's strategy, its levers in phase order, and its options."""
        self.strategy = strategy
        self.levers: list[Lever] = sorted(
            (LEVERS[spec.type](spec, self.net, strategy) for spec in strategy.levers), key=lambda lv: lv.phase)
        self.record_flows = record_flows
        self.solver = solver
        #: the compiled planner plans (small networks), and protection is not paid: a step where no lever fires and
        #: no site is pending can be one compiled call (:meth:`_calm_step`)
        self._calm = self.calm and (solver == "ssp" or (solver == "auto" and self._small)) and \
            self._protection_share == 0.0

    def _burn_in(self) -> None:
        """This run's own burn-in up to step 0, with its own dice (no lever fires before step 0).

        On networks of ``warm_cache.MIN_NODES`` nodes or more the burned-in engine is kept on disk, keyed by
        the warm-up's key (content and code), the burn-in's length, the solver and the dice's exact state:
        a second command with the same seed reads it instead of simulating it. The burn-in does not depend
        on the strategy (see :meth:`fork`), so lever-free runs store it and every run may read it.
        """
        if self.state.t >= 0:
            return
        key = None
        if self.net.n_nodes >= warm_cache.MIN_NODES:
            dice = [g.bit_generator.state for g in (self.rng_move, self.rng_plan, self.rng_lever)]
            key = warm_cache.burn_in_key(self.net.scenario, self.state.t, self.solver, dice)
            snap = warm_cache.load(key)
            if isinstance(snap, dict) and snap.get("kind") == "burn-in":
                self._restore(snap)
                return
        while self.state.t < 0:
            self.step()
        if key is not None and not self.levers:
            warm_cache.save_burn_in(key, self._snapshot())

    def _snapshot(self) -> dict:
        """A copy of everything a step changes (state, dice, the step's buffers, the simplex bases)."""
        return {"kind": "burn-in", "state": self.state.copy(),
                "rngs": copy.deepcopy((self.rng_move, self.rng_plan, self.rng_lever)),
                "buffers": [a.copy() for a in (*self._sales, *self._scratch, self._uniforms)],
                "order": self._order.copy(), "seized": self._seized, "damaged": self._damaged,
                "produced": copy.copy(getattr(self, "_produced", None)),
                "warm": copy.deepcopy(self._warm)}  # the bases are a start only, kept for speed

    def _restore(self, snap: dict) -> None:
        """Take over a :meth:`_snapshot` of a lever-free engine (not copied again: a fresh one or one read from
        disk), adding this engine's levers' per-step modifiers to its state."""
        self.state = snap["state"]
        self.state.add_modifiers((m for lv in self.levers for m in lv.modifiers), self.net)
        self.rng_move, self.rng_plan, self.rng_lever = snap["rngs"]
        for mine, theirs in zip((*self._sales, *self._scratch, self._uniforms), snap["buffers"], strict=True):
            np.copyto(mine, theirs)
        self._order, self._seized, self._damaged = snap["order"], snap["seized"], snap["damaged"]
        if snap["produced"] is not None:
            self._produced = snap["produced"]
        self._warm = snap["warm"]

    def fork(self, strategy: Strategy, *, record_flows: bool = True) -> Engine:
        """This engine's run, from where it stands before step 0, under ``strategy``: what ``Engine(net,
        strategy, seed)`` with the same seed would be after its own burn-in, without simulating the burn-in again.

        The burn-in cannot depend on the strategy: no lever fires before step 0 and nothing else writes the
        per-step modifiers, so every strategy of one seed burns in to the same state (the tests compare whole
        trajectories). The state, dice and buffers are copied; ``self`` is left as it was. Only a lever-free
        engine (the baseline's) that has not reached step 0 can be forked.
        """
        if self.levers or self.state.t > 0:
            raise ValueError("only a lever-free engine before step 0 can be forked")
        new = Engine.__new__(Engine)
        new.net, new.seed = self.net, self.seed
        new._setup()
        new._attach(strategy, record_flows, self.solver)
        if any(lv.spec.schedule.fires(t) for lv in new.levers for t in range(self.state.t, 0)):
            raise ValueError("a lever fires during the burn-in")  # the schedule's validation rules it out
        new._restore(self._snapshot())
        return new

    def _init_from_state(self, net: Network, state: RunState) -> None:
        """Bare engine over ``state`` with the baseline strategy (used for the warm-up)."""
        self.net, self.state, self.seed = net, state, None
        self.rng_move, self.rng_plan, self.rng_lever = np.random.default_rng(20240917).spawn(3)
        self._setup(deterministic=True)
        self._attach(BASELINE, False, "auto")

    def _setup(self, deterministic: bool = False) -> None:
        """The run's fixed bundles and per-step buffers; ``deterministic``: the warm-up's engine (no dice, cash
        does not bind)."""
        net = self.net
        self._deterministic = deterministic
        self._base_labour = np.maximum(net.org_labour, 1e-12)
        prm = net.scenario.parameters  # suppliers front product: a credit line of credit_steps steps of production
        self._credit = prm.credit_steps * prm.production_cost * net.org_production.sum(axis=1)
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
                       net.market_price, self._credit)
        rule = ProductionRule(*(float(x) for x in (
            prm.supply_elasticity, prm.max_production_multiple, prm.stock_buffer_steps, prm.production_cost,
            prm.price_expectation_rate, prm.labour_elasticity)))
        expo = Exposure(net.edge_risk, net.node_enf, net.node_juris, net.edge_cost, self._producer, self._out_start,
                        self._out_order, self._finite_cap, self._market_allowed, net.market_elasticity,
                        planning.TRANCHE_MID, self._tranche_width, self._credit, net.market_price)
        closing = Closing(net.node_storage, net.market_node, net.market_price, net.market_demand, net.market_elasticity,
                          *(float(x) for x in (prm.delivery_smoothing, prm.price_smoothing, prm.price_floor,
                                               prm.price_cap)))
        # the fixed bundles as plain tuples, as Python passes bundles to the kernels (see engine._kernels)
        self._top_t, self._learn_t, self._econ_t, self._rule_t = tuple(self._top), tuple(self._learn), tuple(econ), \
            tuple(rule)
        self._expo_t, self._closing_t = tuple(expo), tuple(closing)
        self._society_t = society_arrays(net)
        # the step's intermediate arrays, written by the phase kernels (allocated once per run)
        n_o, n_n, n_e, n_m = net.n_orgs, net.n_nodes, net.n_edges, net.n_markets
        # their float arrays and this step's dice are regions of one block (``calm_step`` takes the block)
        shapes = ((n_m,), (n_o, n_n), (n_o,), (n_o,),  # Sales
                  (n_e,), (n_o, n_n), (n_o, n_e), (n_o,), (n_m, planning.TRANCHE_MID.shape[0]), (n_o,), (n_o,),
                  (n_e,), (n_n,), (n_o,), (n_o,), (n_o,), (n_o,),  # Scratch without split
                  (n_o, n_e))  # the dice
        block, bounds, views = zeros_packed(shapes)
        self._buf = (block, bounds)
        self._sales = Sales(*views[:4])
        x = views[4:17]
        self._scratch = Scratch(x[0], np.zeros(n_n, np.bool_), *x[1:])
        self._sales_t, self._scratch_t = tuple(self._sales), tuple(self._scratch)
        self._uniforms = views[17]  # this step's dice (drawn into in place)
        no_record = net.cache.get("no_record")  # nothing writes it (the close records only at a row >= 0)
        if no_record is None:
            no_record = net.cache["no_record"] = Recorder(net, 0, False)
        self._no_record, self._no_record_packed = no_record.arrays, no_record.packed
        self._order = np.arange(n_o)  # this step's planning order
        self._seized = 0.0
        self._damaged = False
        self._move_rule_t = (float(prm.production_cost), float(prm.loss_at_market_value), float(prm.payout_rate),
                             float(prm.cash_reserve_steps), float(prm.protection_half_cost), deterministic)
        if deterministic:  # no dice: every edge loses exactly its expected share
            self._uniforms.fill(-1.0)
        self._protection_share = float(prm.protection_share)
        self._adapt_rule_t = tuple(AdaptRule(net.org_loss_tolerance, float(prm.loss_smoothing), float(prm.open_cost),
                                             int(prm.consolidate_after), bool(net.sites)))
        n_split = int(np.isfinite(net.node_cap).sum())
        self._small = net.n_nodes + n_split <= SMALL_NODES and net.n_edges <= SMALL_EDGES
        # each organisation's last network-simplex basis (a start only: plans do not depend on it)
        self._warm = [planning.WarmStart() for _ in range(net.n_orgs)]
        self._market_value = self._scratch.market_value  # per organisation: the stake of convex route risk (plan())
        # protection payments: enforcement each node's jurisdiction holds [N, J] (what protection buys off)
        self._no_protection = np.zeros(net.n_orgs)
        self._juris_enf = np.zeros((net.n_nodes, len(net.juris_ids)))
        self._juris_enf[np.arange(net.n_nodes), net.node_juris] = net.node_enf
        self._fixed = net.cache.get("calm_fixed")  # they depend on the network and its parameters only
        if self._fixed is None:
            self._fixed = net.cache["calm_fixed"] = self._pack_fixed(econ, expo, closing)

    def _pack_fixed(self, econ: Economy, expo: Exposure, closing: Closing) -> tuple:
        """The fixed arrays and constants the phase kernels take, each once, packed by dtype for ``calm_step``:
        ``(floats, ints, bools, their bounds)`` in the order ``_kernels.step_bundles`` reads them (copies of the
        arrays the phased calls take)."""
        top, society_base, society_rates = self._top, *self._society_t
        constants = np.array([*self._move_rule_t[:5], *self._rule_t, *self._learn, *closing[5:], *society_rates,
                              *self._adapt_rule_t[1:]], dtype=float)
        floats = [top.edge_load_kg, top.edge_cap, top.node_cap, top.base_p, top.risk_aversion, econ.production,
                  econ.base_labour, econ.ref_price, econ.credit, expo.edge_risk, expo.node_enf, expo.edge_cost,
                  expo.elasticity, expo.tranche_mid, expo.tranche_width, closing.storage, closing.ref_demand,
                  *society_base, self._adapt_rule_t[0], constants]
        ints = [top.edge_src, top.edge_dst, top.edge_time, top.market_node, expo.node_juris, expo.out_start,
                expo.out_order]
        bools = [top.is_source, expo.producer, expo.finite_cap, expo.market_allowed]
        fb, fl = pack(floats, float)
        ib, il = pack(ints, np.int64)
        bb, bl = pack(bools, np.bool_)
        return fb, ib, bb, fl, il, bl

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

    #: a step where nothing needs Python is one compiled call (:meth:`_calm_step`); ``False``: always the phased
    #: calls (the tests compare the two)
    calm: bool = True

    def step(self, rec: Recorder | None = None, row: int | None = None) -> None:
        """Advance one step; record into ``rec[row]`` when given.

        Each phase is one compiled call where it can be (levers are Python; adaptation calls Python only when an
        organisation may expand or consolidate), over
        bundles of the run state's own arrays; the phases pass what they compute on through
        ``self._sales`` and ``self._scratch`` (:class:`~counterflow.engine.bundles.Sales`,
        :class:`~counterflow.engine.bundles.Scratch`). Where no lever fires, no site is pending and the compiled
        planner plans, the phases are one compiled call, in the same order (:meth:`_calm_step`).
        """
        s = self.state
        if self._calm and not s.pending and not (self.levers and self._lever_fires(s.t)):
            first = self._calm_step(rec, row)  # begin, (no lever), move, adaptation's common path, close
            if first >= 0:  # an organisation may expand or consolidate, or a node is damaged: Python goes on
                self._adapt(first)
                self._close(rec, row)
        else:
            self._begin()       # arrivals land, markets sell, sources produce
            self._fire_levers()  # in phase order, on freshly reset per-step modifiers
            self._move()        # every organisation plans, dispatches (seizures) and learns, in a random order
            self._adapt()       # expansion and consolidation
            self._close(rec, row)  # rebuilding, prices, society, spoilage, observations, the record
        s.t += 1

    def _lever_fires(self, t: int) -> bool:
        """Whether a lever of the run fires at step ``t``."""
        return any(lever.spec.schedule.fires(t) for lever in self.levers)

    def _calm_step(self, rec: Recorder | None, row: int | None) -> int:
        """The step's phases in one compiled call (``_kernels.calm_step``), the same kernels in the same order:
        arrivals, sales and production; no lever (none fires: the per-step modifiers are reset, as
        :meth:`_fire_levers` does); planning, dispatch and paying for it; adaptation's common path; rebuilding is
        not needed; prices, society, spoilage, observations and the record. The planning order and the dice are
        drawn first, by the run's generators, as :meth:`_move` draws them.

        Returns -1 when the call closed the step, otherwise the position in the planning order from which Python's
        adaptation goes on (an organisation may expand or consolidate, or a node is damaged): then
        :meth:`_adapt` and :meth:`_close` finish the step.
        """
        s, net = self.state, self.net
        log = s.log
        if self.levers:
            s.reset_modifiers()
        if log.destroyed_by_org.shape[0] != net.n_orgs or log.foreign_strikes.shape[0] != len(net.juris_ids):
            log.restart(len(net.juris_ids), net.n_orgs)  # sized once (the call empties the tallies)
        log.cost = log.harm = log.destroyed = 0.0
        self._order = order = self.rng_plan.permutation(net.n_orgs)
        if not self._deterministic:
            self.rng_move.random(out=self._uniforms)
        if rec is None:
            packed, at = self._no_record_packed, -1
        else:
            packed, at = rec.packed, (row if row is not None else s.t)
        first, self._damaged, delivered, produced, seized, spoiled = calm_step(
            s.t, order, self._fixed, _step_state(s), self._buf, self._scratch.split, self._deterministic,
            _step_log(log), packed, at, (s.produced, s.delivered, s.seized, s.destroyed))
        s.delivered += delivered
        s.produced += produced
        self._produced = produced
        s.seized += seized
        log.seized = self._seized = seized
        if first < order.shape[0] or self._damaged:
            return first
        s.destroyed += spoiled
        return -1

    def _begin(self) -> None:
        """Arrivals, sales and production (production responds to prices and unsold stock)."""
        s = self.state
        s.log.restart(len(self.net.juris_ids), self.net.n_orgs)
        delivered, produced = begin_step(s.t, self._econ_t, _trade_arrays(s), self._rule_t, self._deterministic,
                                         self._sales_t)
        s.delivered += delivered
        s.produced += produced
        self._produced = produced

    def _fire_levers(self) -> None:
        """Reset the per-step modifiers, then fire the levers scheduled now in phase order."""
        if not self.levers:  # nothing writes the modifiers: they keep the values they were reset to
            return
        s = self.state
        s.reset_modifiers()
        for lever in self.levers:
            if lever.spec.schedule.fires(s.t):
                report = lever.fire(s, self.rng_lever)
                s.log.cost += report.cost
                s.log.harm += report.harm
                self.reports.append(report)
        s.destroyed += s.log.destroyed

    def _move(self) -> None:
        """Planning, dispatch with seizures, learning and paying for it: one compiled call on small networks."""
        s = self.state
        self._order = order = self.rng_plan.permutation(self.net.n_orgs)
        if not self._deterministic:
            self.rng_move.random(out=self._uniforms)
        # protection is paid where the organisation's open sites face enforcement, by the enforcement there
        weights = self._protection_weights(s) if self._protection_share > 0.0 else None
        if weights is None:
            share = self._no_protection
        else:
            total = weights.sum(axis=1, keepdims=True)  # [O, 1] enforcement an organisation's protection buys off
            share = np.where(total[:, 0] > 0.0, self._protection_share, 0.0)
        if self.solver == "ssp" or (self.solver == "auto" and self._small):
            seized, self._damaged = move_phase(s.t, order, self._top_t, _org_arrays(s), _condition_arrays(s),
                                               self._expo_t, self._learn_t, self._move_rule_t, self._uniforms,
                                               self._sales_t, self._scratch_t, s.log.destroyed_by_org, share)
        else:
            self._damaged = prepare_move(self._top_t, _org_arrays(s), _condition_arrays(s), self._expo_t,
                                         self._move_rule_t, self._scratch_t)
            self._move_large(order)
            seized = settle_move(_org_arrays(s), _condition_arrays(s), self._move_rule_t, self._sales_t,
                                 self._scratch_t, s.log.destroyed_by_org, share)
        if weights is not None:  # the budget of the next step's seizures
            s.protection = self._scratch.paid[:, None] * weights / np.where(total > 0.0, total, 1.0)
        s.seized += seized
        s.log.seized = self._seized = seized

    def _protection_weights(self, s: RunState) -> np.ndarray:
        """``[O, J]``: the enforcement at each organisation's open sites, by jurisdiction (where it pays)."""
        return s.open_node.astype(float) @ self._juris_enf

    def _adapt(self, first: int | None = None) -> None:
        """Each organisation, in this step's order, expands or consolidates on its smoothed losses.

        While no site is pending, the compiled common path (smoothing and the calm counter) runs first and
        hands over to ``adapt`` at the first organisation that may expand or consolidate; ``first``: the common
        path ran already (in :meth:`_calm_step`) and handed over at this position in the order.
        """
        net, s, x = self.net, self.state, self._scratch
        order = self._order
        if first is None:
            first = 0 if s.pending else adapt_calm(order, x.loss_share, _adapt_arrays(s), self._adapt_rule_t)
        for o in order[first:]:
            adapt(net, s, o, x.loss_share[o], x.worth[o])

    def _close(self, rec: Recorder | None, row: int | None) -> None:
        """Rebuilding (Python, only while a node is damaged), then prices, society, spoilage and the record."""
        s = self.state
        if self._damaged:
            rebuild(self.net, s)
        log = s.log
        totals = (self._produced, self._seized, log.destroyed, log.harm, log.cost, s.produced, s.delivered, s.seized,
                  s.destroyed)
        spoiled = close_step(_book_arrays(s), _jurisdiction_arrays(s),
                             (s.revenue_cut, s.aid, log.harm_by_juris, log.foreign_strikes), *self._society_t,
                             self._closing_t, self._sales_t, self._scratch.sent_all, self._scratch.out_all,
                             self._no_record if rec is None else rec.arrays,
                             -1 if rec is None else (row if row is not None else s.t), totals)
        s.destroyed += spoiled
        if rec is not None:  # what each organisation paid officials this step (settle_cash wrote it, 0 at share 0)
            rec.protection_paid[row if row is not None else s.t] = self._scratch.paid

    def _move_large(self, order: np.ndarray) -> None:
        """Plan (network simplex or OR-Tools) and dispatch each organisation in turn; the large-network path of
        :meth:`_move` (the totals land in ``self._scratch``)."""
        s, x = self.state, self._scratch
        acc_t = tuple(open_accounts(self._top_t, s.cap_factor, self._scratch_t))  # a plain tuple: typed fast
        resid_edge, resid_node = acc_t[0], acc_t[1]  # Accounts' first two fields
        keep = 1.0 - self._learn.forget_rate
        orgs_t, arrived = _org_arrays(s), self._sales.arrived
        for o in order:
            plan = self.plan(o, x.worth[o], resid_edge, resid_node, x.split, x.tranche_rev, x.scale[o], x.edge_cost)
            sent, seized, out_node = dispatch_org(s.t, o, plan.edge_flow, self._top_t, orgs_t, x.p_seize[o],
                                                  self._uniforms[o], self._learn_t, resid_edge, resid_node)
            settle_org(s.t, o, sent, seized, out_node, acc_t, orgs_t, x.edge_cost, arrived, keep)

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

def out_edges(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Out-edges of every node as CSR segments ``(start [N + 1], edge order [E])``, cached on the network."""
    cached: tuple[np.ndarray, np.ndarray] | None = net.cache.get("out_edges")
    if cached is None:
        order = np.argsort(net.edge_src, kind="stable").astype(np.int64)
        start = np.searchsorted(net.edge_src[order], np.arange(net.n_nodes + 1)).astype(np.int64)
        cached = net.cache["out_edges"] = (start, order)
    return cached


#: The warm-up's convergence rule (``parameters.warmup_max`` above ``warmup``): the means of the mean price index and
#: of the deliveries over each of the last ``WARMUP_WINDOWS`` windows of ``WARMUP_WINDOW`` steps lie within
#: ``parameters.warmup_tolerance`` of their common mean (docs/model.md, "Warm-up and randomness").
WARMUP_WINDOW = 13
WARMUP_WINDOWS = 3


def warmup_settled(price: Sequence[float], delivered: Sequence[float], tolerance: float) -> bool:
    """Whether the last ``WARMUP_WINDOWS * WARMUP_WINDOW`` steps of the warm-up's mean price index and deliveries
    are settled: each series' window means lie within ``tolerance`` times their mean of each other (a series
    that is 0 throughout is settled). ``False`` while there are fewer steps than that."""
    n = WARMUP_WINDOW * WARMUP_WINDOWS
    if len(price) < n:
        return False
    for x in (price, delivered):
        means = np.asarray(x[-n:], dtype=float).reshape(WARMUP_WINDOWS, WARMUP_WINDOW).mean(axis=1)
        if means.max() - means.min() > tolerance * abs(means.mean()):
            return False
    return True


def warm_state(net: Network) -> RunState:
    """A copy of the network's steady state after the warm-up's baseline steps.

    The warm-up runs ``parameters.warmup`` steps; when ``parameters.warmup_max`` is larger it goes on, one
    step at a time, until :func:`warmup_settled` holds for the mean price index and the deliveries
    (``parameters.warmup_tolerance``) or ``warmup_max`` steps have run (a :class:`RuntimeWarning` then says
    the baseline did not settle). The steps it ran are ``state.warmup_steps``. The state ends at step
    ``-burn_in`` (the step counters a longer warm-up leaves are shifted there, see :func:`_shift_time`):
    each run then simulates ``burn_in`` steps with its own dice, so runs start from different draws of the
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
        loaded, unsettled = warm_cache.load_warmup(key)  # a stored state, or None (missing, unreadable, ...)
        cached = net.cache["warm_state"] = loaded if isinstance(loaded, RunState) else None
        if cached is not None and unsettled:  # the stored warm-up did not settle either: say so again
            warnings.warn(unsettled, RuntimeWarning, stacklevel=2)
    if cached is None:
        prm = net.scenario.parameters
        state = RunState.initial(net)
        warmup, most = prm.warmup, max(prm.warmup_max, prm.warmup)
        state.t = -warmup - prm.burn_in
        ran, unsettled = 0, ""
        if most:  # warmup_max runs a warm-up even where warmup is 0
            eng = Engine.__new__(Engine)
            eng._init_from_state(net, state)
            price: list[float] = []
            delivered: list[float] = []
            for i in range(most):
                if i >= warmup and warmup_settled(price, delivered, prm.warmup_tolerance):
                    break
                before = state.delivered
                eng.step()
                ran += 1
                if most > warmup:  # the series the convergence rule reads
                    price.append(float((state.price / net.market_price).mean()))
                    delivered.append(state.delivered - before)
            else:
                if most > warmup and not warmup_settled(price, delivered, prm.warmup_tolerance):
                    unsettled = (
                        f"scenario {net.scenario.name!r}: the baseline did not settle within warmup_max = {most} "
                        f"warm-up steps (warmup_tolerance {prm.warmup_tolerance:g}); runs start while it still "
                        "moves (docs/model.md, 'Warm-up and randomness')")
                    warnings.warn(unsettled, RuntimeWarning, stacklevel=2)
            _shift_time(state, -prm.burn_in)
        state.warmup_steps = ran
        state.log = StepLog()
        cached = net.cache["warm_state"] = state
        if on_disk:
            warm_cache.save_warmup(key, state, unsettled)
    return cached.copy()


def _shift_time(state: RunState, t: int) -> None:
    """Move a state to step ``t`` (after a warm-up that ran longer than ``parameters.warmup``): the loads in
    transit keep their arrival steps relative to now (the slot axis rolls), and so do the steps recorded in
    ``opened_at``, ``last_used`` and pending openings. Nothing changes when the state is already at ``t``."""
    shift = t - state.t
    if shift == 0:
        return
    state.transit = np.roll(state.transit, shift, axis=2)
    state.opened_at = np.where(state.opened_at >= 0, state.opened_at + shift, state.opened_at)
    state.last_used = state.last_used + shift
    state.pending = [(ready + shift, o, site) for ready, o, site in state.pending]
    state.t = t


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
