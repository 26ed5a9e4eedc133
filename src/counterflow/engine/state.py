"""The mutable state of one run: arrays indexed by organisation, node, edge, market."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..levers.base import Modifier
from ..network import Network

__all__ = ["RunState", "StepLog", "MODIFIERS"]

#: The built-in per-step modifiers levers write (reset by :meth:`RunState.reset_modifiers` before levers act).
MODIFIERS: tuple[Modifier, ...] = (
    Modifier("edge_risk_add", "edge", "seizure probability per load added on an edge (patrols)"),
    Modifier("edge_cost_add", "edge", "USD/kg added to an edge's money cost (crews' hazard pay)"),
    Modifier("node_enf_add", "node", "seizure probability per load added at a node (police support)"),
    Modifier("revenue_cut", "jurisdiction", "share of a state's revenue cut this step (blockade)"),
    Modifier("aid", "jurisdiction", "aid delivered this step (humanitarian aid)"),
    Modifier("intel", "scalar", "intelligence shared this step (read by strikes and patrols)"),
)


@dataclass
class StepLog:
    """What happened in the current step (reset at the start of each step)."""

    cost: float = 0.0
    harm: float = 0.0
    destroyed: float = 0.0
    seized: float = 0.0
    # per-jurisdiction and per-organisation tallies (the engine sizes them at the start of each step)
    foreign_strikes: np.ndarray = field(default_factory=lambda: np.zeros(0))   # [J]
    harm_by_juris: np.ndarray = field(default_factory=lambda: np.zeros(0))     # [J]
    destroyed_by_org: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [O]

    def restart(self, n_juris: int, n_orgs: int) -> None:
        """Empty the log for a new step (the tallies' arrays in place when they have their sizes)."""
        self.cost = self.harm = self.destroyed = self.seized = 0.0
        if self.foreign_strikes.shape[0] != n_juris or self.destroyed_by_org.shape[0] != n_orgs:
            self.foreign_strikes, self.harm_by_juris = np.zeros(n_juris), np.zeros(n_juris)
            self.destroyed_by_org = np.zeros(n_orgs)
        else:
            self.foreign_strikes.fill(0.0)
            self.harm_by_juris.fill(0.0)
            self.destroyed_by_org.fill(0.0)


@dataclass
class RunState:
    """Everything a run changes. Built from a :class:`Network` by :meth:`initial`."""

    t: int
    stock: np.ndarray            # [O, N] kg held by each organisation at each node
    transit: np.ndarray          # [O, E, L] kg on each edge, by arrival slot (t % L)
    cap_factor: np.ndarray       # [N] share of node capacity intact (strikes lower it)
    open_node: np.ndarray        # [O, N] sites usable by each organisation
    open_edge: np.ndarray        # [O, E]
    pending: list                # [(ready_step, org, site_index)]
    opened_at: np.ndarray        # [O, N] step a dormant node was opened, -1 if not
    risk_belief: np.ndarray      # [O, E] perceived seizure probability per edge
    node_fear: np.ndarray        # [O, N] perceived loss probability at nodes (strikes)
    prev_out: np.ndarray         # [O, N] planned out-flow last step (pipeline content)
    route: np.ndarray            # [O, E] kg/step the last plan that routed through each edge's tail sent on it
    loss_smooth: np.ndarray      # [O]
    calm_steps: np.ndarray       # [O] consecutive steps with low losses
    last_used: np.ndarray        # [O, N] last step each node carried the org's flow
    cash: np.ndarray             # [O]
    frozen: np.ndarray           # [O] cash frozen by sanctions
    revenue_tax: np.ndarray      # [O] share of new revenue lost to laundering (sanctions)
    hop_cost: np.ndarray         # [O] USD paid per kg moved one edge at the last step
    spend: np.ndarray            # [O] USD spent on production and transport at the last step
    protection: np.ndarray       # [O, J] USD paid to each jurisdiction's officials at the last step: the
    #                              protection budget that lowers this step's enforcement for the payer
    labour: np.ndarray           # [O]
    price_expect: np.ndarray     # [O] expected price index (price / reference) production answers
    price: np.ndarray            # [M]
    supply_smooth: np.ndarray    # [M]
    corruption: np.ndarray       # [J]
    revenue: np.ndarray          # [J] state revenue index
    hardship: np.ndarray         # [J]
    backlash: np.ndarray         # [J]
    # per-step modifiers written by levers (reset each step)
    edge_risk_add: np.ndarray    # [E]
    edge_cost_add: np.ndarray    # [E] USD/kg added to an edge's money cost (crews' hazard pay)
    node_enf_add: np.ndarray     # [N]
    revenue_cut: np.ndarray      # [J]
    aid: np.ndarray              # [J]
    intel: float = 0.0
    # observations (what enforcement can see), from the last completed step
    node_flow: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [N]
    edge_flow: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [E]
    # cumulative accounts for mass balance
    produced: float = 0.0
    delivered: float = 0.0
    seized: float = 0.0
    destroyed: float = 0.0
    log: StepLog = field(default_factory=StepLog)
    lever_memory: dict = field(default_factory=dict)
    warmup_steps: int = 0        # steps the shared warm-up ran before this state (params: warmup, warmup_max)
    # the modifiers reset each step: the built-in ones and any a lever of the run declares
    modifiers: tuple[Modifier, ...] = MODIFIERS

    @classmethod
    def initial(cls, net: Network) -> RunState:
        o, n, e, j = net.n_orgs, net.n_nodes, net.n_edges, len(net.juris_ids)
        slots = int(net.edge_time.max(initial=1)) + 1
        usable = ~net.node_dormant
        open_node = net.org_allowed & usable[None, :]
        base_p = np.clip(net.edge_risk + net.node_enf[net.edge_src], 0.0, 1.0)
        return cls(
            t=0,
            stock=np.zeros((o, n)),
            transit=np.zeros((o, e, slots)),
            cap_factor=np.ones(n),
            open_node=open_node,
            open_edge=np.broadcast_to(~net.edge_dormant, (o, e)).copy(),
            pending=[],
            opened_at=np.full((o, n), -1, dtype=np.int64),
            risk_belief=np.broadcast_to(base_p, (o, e)).copy(),
            node_fear=np.zeros((o, n)),
            prev_out=np.zeros((o, n)),
            route=np.zeros((o, e)),
            loss_smooth=np.zeros(o),
            calm_steps=np.zeros(o, dtype=np.int64),
            last_used=np.zeros((o, n), dtype=np.int64),
            cash=net.org_cash.copy(),
            frozen=np.zeros(o),
            revenue_tax=np.zeros(o),
            hop_cost=np.full(o, float(net.edge_cost.mean()) if e else 0.0),
            spend=np.zeros(o),
            protection=np.zeros((o, j)),
            labour=net.org_labour.copy(),
            price_expect=np.ones(o),
            price=net.market_price.copy(),
            supply_smooth=net.market_demand.copy(),
            corruption=net.juris_corruption.copy(),
            revenue=net.juris_revenue.copy(),
            hardship=np.zeros(j),
            backlash=np.zeros(j),
            edge_risk_add=np.zeros(e),
            edge_cost_add=np.zeros(e),
            node_enf_add=np.zeros(n),
            revenue_cut=np.zeros(j),
            aid=np.zeros(j),
            node_flow=np.zeros(n),
            edge_flow=np.zeros(e),
        )

    def copy(self) -> RunState:
        """An independent copy, as :func:`copy.deepcopy` makes it (arrays copied, lists and dicts copied deeply,
        numbers, strings and tuples of them shared) in a fraction of its time: every run starts from a copy of
        the warm state."""
        new = copy.copy(self)
        for name, value in vars(self).items():  # the declared fields and any modifier a lever added
            if isinstance(value, np.ndarray):
                setattr(new, name, value.copy())
            elif not isinstance(value, (int, float, str, tuple)):
                setattr(new, name, copy.deepcopy(value))
        return new

    def add_modifiers(self, declared: Iterable[Modifier], net: Network) -> None:
        """Create the per-step modifiers levers declare beyond the built-in ones (a name already known is kept)."""
        known = {m.name for m in self.modifiers}
        sizes = {"edge": net.n_edges, "node": net.n_nodes, "jurisdiction": len(net.juris_ids),
                 "organisation": net.n_orgs}
        for m in declared:
            if m.name in known:
                continue
            if m.axis != "scalar" and m.axis not in sizes:
                raise ValueError(f"modifier {m.name!r}: axis must be one of scalar, {', '.join(sizes)} (got {m.axis!r})")
            if hasattr(self, m.name):
                raise ValueError(f"modifier {m.name!r} would overwrite the run state's {m.name!r}")
            value: Any = float(m.value) if m.axis == "scalar" else np.full(sizes[m.axis], float(m.value))
            setattr(self, m.name, value)
            self.modifiers = (*self.modifiers, m)
            known.add(m.name)

    def reset_modifiers(self) -> None:
        """Reset every per-step modifier to its value before levers act (arrays in place, scalars replaced)."""
        for name, axis, _, value in self.modifiers:  # once a step: the axis, not the value's type, decides
            if axis == "scalar":
                setattr(self, name, value)
            else:
                getattr(self, name).fill(value)

    def cooperation(self) -> np.ndarray:
        """Local cooperation per jurisdiction [J]: what backlash leaves of it (see :mod:`.society`)."""
        return 1.0 - self.backlash

    def free_cash(self) -> np.ndarray:
        return np.maximum(self.cash - self.frozen, 0.0)
