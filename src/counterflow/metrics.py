"""Summary metrics of runs, and paired metrics against the baseline.

Which outcomes there are, and their directions and labels, is declared in
:mod:`counterflow.outcomes`. Paired metrics compare a run with the baseline run
that used the same seed (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .engine.record import Trajectory
from .outcomes import LABELS, OUTCOMES, PAIRED_OUTCOMES, RUN_OUTCOMES, reduce_run

__all__ = ["RunRecord", "run_record", "pair", "recovery", "recovery_steps", "displacement_pct", "METRICS",
           "PAIRED_METRICS", "METRIC_LABELS", "RECOVERY_STATUSES"]

#: What ``recovery_status`` may be: back inside the band, never back within the horizon, never left it.
RECOVERY_STATUSES = OUTCOMES["recovery_status"].categories

# Kept for callers of earlier versions; the registry in counterflow.outcomes is the source.
METRIC_LABELS = dict(LABELS)
METRICS = RUN_OUTCOMES
PAIRED_METRICS = PAIRED_OUTCOMES


@dataclass
class RunRecord:
    """What a finished run keeps: scalar metrics plus the series pairing needs."""

    strategy: str
    replication: int
    seed: int
    metrics: dict
    delivered: np.ndarray        # [T] kg per step
    node_flow_total: np.ndarray  # [N] (sources excluded by the network mask at pairing)
    first_action: int | None
    recovery_window: int
    recovery_band: float
    steps_frame: object = None   # optional tidy per-step DataFrame
    edge_flow_total: np.ndarray | None = None   # [E] kg sent on each edge over the horizon (keep_flows)
    node_throughput: np.ndarray | None = None   # [N] kg leaving or sold at each node, sources included (keep_flows)
    strikes: dict = field(default_factory=dict)  # target node id -> [strikes aimed at it, hits]
    events: list = field(default_factory=list)   # (step, lever type, targets, hits) per lever firing


def run_record(traj: Trajectory, replication: int, seed: int, *, keep_steps: bool = False,
               keep_flows: bool = False, source_mask: np.ndarray | None = None,
               reference_price: np.ndarray | None = None, recovery_window: int = 4,
               recovery_band: float = 0.02) -> RunRecord:
    """Reduce a trajectory to its :class:`RunRecord`.

    Strike hits and misses per target and a short log of lever firings are
    always kept; with ``keep_flows`` (the trajectory must have recorded flows)
    also the per-edge and per-node flow totals over the horizon.
    """
    node_throughput = traj.node_flow_total.copy() if keep_flows else None
    node_flow = traj.node_flow_total.copy()
    if source_mask is not None:
        node_flow[source_mask] = 0.0
    metrics = reduce_run(traj.outcome_series(), reference_price)
    frame = None
    if keep_steps:
        frame = traj.to_frame()
        frame.insert(1, "replication", replication)
    strikes: dict = {}
    events = []
    for rep in traj.reports:
        hits = list(rep.detail.get("hits", [])) if rep.type == "strike" else []
        if rep.type == "strike":
            for target in rep.targets:
                tally = strikes.setdefault(target, [0, 0])
                tally[0] += 1
                tally[1] += target in hits
        events.append((int(rep.step), rep.type, tuple(rep.targets), tuple(hits)))
    edge_total = None
    if keep_flows:
        if traj.edge_flow is None:
            raise ValueError("keep_flows needs a trajectory run with record_flows=True")
        edge_total = traj.edge_flow.astype(float).sum(axis=0)
    return RunRecord(traj.strategy, replication, seed, metrics, traj.delivered_total.copy(), node_flow,
                     traj.first_action, recovery_window, recovery_band, frame, edge_total, node_throughput,
                     strikes, events)


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (shorter at the start)."""
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def recovery(delivered: np.ndarray, baseline: np.ndarray, first_action: int | None,
             window: int = 4, band: float = 0.02) -> tuple[float | None, str]:
    """Recovery of a run against its paired baseline: ``(steps, status)``.

    Both delivery series are smoothed by a trailing moving average of ``window``
    steps. From the first action on, the paired difference (strategy minus
    baseline) is *inside the band* while its absolute value is at most ``band``
    times the smoothed baseline. Then:

    - ``no_effect``: the difference never left the band; steps = 0;
    - ``recovered``: after the first step outside the band, the first step from
      which the difference stays inside it for ``window`` consecutive steps (all
      within the horizon); steps = that step minus the first action;
    - ``never``: it left the band and did not come back to stay; steps = ``None``.

    So ``None`` steps always mean ``never``.

    Examples
    --------
    >>> import numpy as np
    >>> base = np.full(20, 100.0)
    >>> recovery(base, base, 2)
    (0.0, 'no_effect')
    >>> hit = base.copy(); hit[5] = 0.0
    >>> recovery(hit, base, 2, window=2, band=0.02)
    (5.0, 'recovered')
    >>> recovery(base * 0.5, base, 2)
    (None, 'never')
    """
    if first_action is None or first_action >= len(delivered):
        return 0.0, "no_effect"
    s = _smooth(np.asarray(delivered, dtype=float), window)[first_action:]
    b = _smooth(np.asarray(baseline, dtype=float), window)[first_action:]
    inside = np.abs(s - b) <= band * np.maximum(b, 0.0)
    if inside.all():
        return 0.0, "no_effect"
    left = int(np.argmin(inside))
    n = len(inside)
    if n - left - 1 >= window:
        # stay[r]: the difference is inside the band from step left + 1 + r for `window` steps
        stay = np.lib.stride_tricks.sliding_window_view(inside[left + 1:], window).all(axis=1)
        hits = np.flatnonzero(stay)
        if hits.size:
            return float(left + 1 + hits[0]), "recovered"
    return None, "never"


def recovery_steps(delivered: np.ndarray, baseline: np.ndarray, first_action: int | None,
                   window: int = 4, band: float = 0.02) -> float | None:
    """The steps of :func:`recovery` (``None`` only when its status is ``never``)."""
    return recovery(delivered, baseline, first_action, window, band)[0]


def displacement_pct(flow: np.ndarray, baseline_flow: np.ndarray) -> float:
    """Share (%) of the strategy's node throughput carried above the paired baseline's, node by node."""
    total = flow.sum()
    if total <= 0:
        return 0.0
    return float(100.0 * np.maximum(flow - baseline_flow, 0.0).sum() / total)


def pair(run: RunRecord, base: RunRecord) -> dict:
    """Paired metrics of ``run`` against the baseline run with the same seed."""
    d_s, d_b = run.metrics["delivered_kg"], base.metrics["delivered_kg"]
    averted = d_b - d_s
    cost = run.metrics["cost_usd"]
    steps, status = recovery(run.delivered, base.delivered, run.first_action, run.recovery_window,
                             run.recovery_band)
    return {
        "flow_reduction_pct": 100.0 * (1.0 - d_s / d_b) if d_b > 0 else 0.0,
        "recovery_steps": steps,
        "recovery_status": status,
        "displacement_pct": displacement_pct(run.node_flow_total, base.node_flow_total),
        "cost_per_kg_averted": cost / averted if averted > 0 else (0.0 if cost == 0 else math.inf),
    }
