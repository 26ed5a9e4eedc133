"""Recording: per-step series of one run, and the :class:`Trajectory` it yields."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..network import Network
from .bundles import Records, zeros_packed

__all__ = ["Trajectory", "Recorder", "SERIES"]

# name -> (shape kind, description)
SERIES = {
    "delivered": ("market", "kg sold at each market"),
    "price": ("market", "USD/kg at each market"),
    "seized": ("scalar", "kg seized"),
    "destroyed": ("scalar", "kg destroyed (strikes, spoilage)"),
    "produced": ("scalar", "kg produced"),
    "stock": ("scalar", "kg held in stock at the end of the step"),
    "in_transit": ("scalar", "kg on edges at the end of the step"),
    "active_nodes": ("scalar", "nodes carrying flow"),
    "active_edges": ("scalar", "edges carrying flow"),
    "route_entropy": ("scalar", "Shannon entropy (nats) of the flow's shares over edges"),
    "harm": ("scalar", "expected civilian casualties"),
    "hardship": ("scalar", "hardship index (highest over jurisdictions)"),
    "backlash": ("scalar", "backlash index 0-1 (highest over jurisdictions)"),
    "cost": ("scalar", "USD spent on levers"),
    "revenue": ("org", "USD earned by each organisation"),
    "cash": ("org", "USD held by each organisation"),
}


@dataclass
class Trajectory:
    """Per-step results of one run.

    Arrays have the step as first axis. ``node_flow_total`` (kg leaving or
    sold at each node over the horizon) feeds the displacement metric;
    ``edge_flow`` ([T, E] kg sent per edge) is kept when the run records flows.
    ``protection_paid`` ([T, O]) is the USD each organisation paid officials
    for protection at each step (``protection_share``; all 0 when it is 0). It is
    kept apart from :attr:`series` (the series the engine's compiled close
    records), and read by the ``protection_paid`` outcome through
    :meth:`outcome_series`.
    """

    scenario: str
    strategy: str
    seed: int | None
    steps: int
    market_ids: tuple[str, ...]
    org_ids: tuple[str, ...]
    node_ids: tuple[str, ...]
    series: dict[str, np.ndarray]
    node_flow_total: np.ndarray
    first_action: int | None
    balance: np.ndarray                    # [T, 6] cumulative produced, delivered, seized, destroyed; stock; in transit
    edge_flow: np.ndarray | None = None
    node_flow: np.ndarray | None = None
    reports: list = field(default_factory=list)
    protection_paid: np.ndarray | None = None  # [T, O] USD paid for protection

    @property
    def delivered_total(self) -> np.ndarray:
        """kg delivered per step over all markets [T]."""
        return self.series["delivered"].sum(axis=1)

    def outcome_series(self) -> dict[str, np.ndarray]:
        """The series the per-run outcomes reduce (:func:`counterflow.outcomes.reduce_run`): :attr:`series` plus
        ``protection_paid`` (zeros when the trajectory was made without it)."""
        paid = self.protection_paid
        if paid is None:
            paid = np.zeros((self.steps, len(self.org_ids)))
        return {**self.series, "protection_paid": paid}

    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: one row per step and variable (markets and organisations as ``entity``); the
        series of :attr:`series`, then ``protection_paid`` per organisation where it was recorded."""
        rows = []
        steps = np.arange(self.steps)
        for name, arr in self.series.items():
            kind = SERIES[name][0]
            if kind == "scalar":
                rows.append(pd.DataFrame({"step": steps, "variable": name, "entity": "", "value": arr}))
            else:
                ids = self.market_ids if kind == "market" else self.org_ids
                for k, ident in enumerate(ids):
                    rows.append(pd.DataFrame({"step": steps, "variable": name, "entity": ident, "value": arr[:, k]}))
        if self.protection_paid is not None:  # per organisation, as revenue and cash
            for k, ident in enumerate(self.org_ids):
                rows.append(pd.DataFrame({"step": steps, "variable": "protection_paid", "entity": ident,
                                          "value": self.protection_paid[:, k]}))
        df = pd.concat(rows, ignore_index=True)
        df.insert(0, "strategy", self.strategy)
        df.insert(1, "seed", self.seed if self.seed is not None else -1)
        return df

    def wide(self) -> pd.DataFrame:
        """One row per step: totals and per-market columns."""
        d = {"step": np.arange(self.steps), "delivered": self.delivered_total}
        for name, arr in self.series.items():
            kind = SERIES[name][0]
            if kind == "scalar":
                d[name] = arr
            else:
                ids = self.market_ids if kind == "market" else self.org_ids
                for k, ident in enumerate(ids):
                    d[f"{name}:{ident}"] = arr[:, k]
        return pd.DataFrame(d)


if Records._fields[:len(SERIES)] != tuple(SERIES):  # pragma: no cover - a programming error, caught on import
    raise ImportError("engine.bundles.Records must list the series in engine.record.SERIES order")


class Recorder:
    """Preallocated per-step arrays filled by the engine."""

    def __init__(self, net: Network, steps: int, record_flows: bool) -> None:
        t, m, o = steps, net.n_markets, net.n_orgs
        shapes = [(t,) if kind == "scalar" else (t, m if kind == "market" else o) for kind, _ in SERIES.values()]
        # the float arrays as regions of one block (the engine's compiled step takes the block and its bounds)
        block, bounds, views = zeros_packed([*shapes, (t, 6), (net.n_nodes,), (t, o)])
        self.series = dict(zip(SERIES, views[:len(SERIES)], strict=True))
        self.balance, self.node_flow_total = views[len(SERIES)], views[len(SERIES) + 1]
        self.protection_paid = views[len(SERIES) + 2]  # written by the engine after the close
        self.edge_flow = np.zeros((t, net.n_edges), dtype=np.float32) if record_flows else None
        self.node_flow = np.zeros((t, net.n_nodes), dtype=np.float32) if record_flows else None
        flows = (self.edge_flow if self.edge_flow is not None else np.zeros((0, net.n_edges), dtype=np.float32),
                 self.node_flow if self.node_flow is not None else np.zeros((0, net.n_nodes), dtype=np.float32))
        #: the same arrays as the engine's close of a step writes them (a plain tuple in
        #: :class:`~counterflow.engine.bundles.Records`' field order; empty flows when they are not kept)
        self.arrays = tuple(Records._make([*views[:len(SERIES) + 2], *flows]))
        #: the same again as the engine's one compiled call per step takes them: ``(block, bounds, edge flows,
        #: node flows)``, the block's regions the series in ``SERIES`` order, the balance, the node-flow totals and
        #: ``protection_paid`` (``_kernels.record_bundle``)
        self.packed = (block, bounds, *flows)

    def trajectory(self, net: Network, strategy: str, seed: int | None, steps: int,
                   first_action: int | None, reports: list) -> Trajectory:
        return Trajectory(
            scenario=net.scenario.name, strategy=strategy, seed=seed, steps=steps,
            market_ids=tuple(net.node_ids[i] for i in net.market_node), org_ids=net.org_ids,
            node_ids=net.node_ids, series=self.series, node_flow_total=self.node_flow_total,
            first_action=first_action, balance=self.balance, edge_flow=self.edge_flow,
            node_flow=self.node_flow, reports=reports, protection_paid=self.protection_paid,
        )
