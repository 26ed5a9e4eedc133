"""Summary metrics of runs, and paired metrics against the baseline.

Which outcomes there are, and their directions and labels, is declared in
:mod:`counterflow.outcomes`. Paired metrics compare a run with the baseline run
that used the same seed (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .engine.record import Trajectory
from .outcomes import LABELS, PAIRED_OUTCOMES, RUN_OUTCOMES, reduce_run

__all__ = ["RunRecord", "run_record", "pair", "recovery_steps", "displacement_pct", "METRICS",
           "PAIRED_METRICS", "METRIC_LABELS"]

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
    recovery_threshold: float
    steps_frame: object = None   # optional tidy per-step DataFrame


def run_record(traj: Trajectory, replication: int, seed: int, *, keep_steps: bool = False,
               source_mask: np.ndarray | None = None, reference_price: np.ndarray | None = None,
               recovery_window: int = 4, recovery_threshold: float = 0.95) -> RunRecord:
    """Reduce a trajectory to its :class:`RunRecord`."""
    s = traj.series
    node_flow = traj.node_flow_total.copy()
    if source_mask is not None:
        node_flow[source_mask] = 0.0
    metrics = reduce_run(s, reference_price)
    frame = None
    if keep_steps:
        frame = traj.to_frame()
        frame.insert(1, "replication", replication)
    return RunRecord(traj.strategy, replication, seed, metrics, traj.delivered_total.copy(), node_flow,
                     traj.first_action, recovery_window, recovery_threshold, frame)


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (shorter at the start)."""
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def recovery_steps(delivered: np.ndarray, baseline: np.ndarray, first_action: int | None,
                   window: int = 4, threshold: float = 0.95) -> float | None:
    """Steps after the first action until smoothed delivery is back to ``threshold`` of baseline.

    0 when delivery never dipped below the threshold; ``None`` when it dipped
    and did not recover within the horizon.
    """
    if first_action is None or first_action >= len(delivered):
        return 0.0
    s = _smooth(delivered, window)[first_action:]
    b = _smooth(baseline, window)[first_action:]
    below = s < threshold * b
    if not below.any():
        return 0.0
    dip = int(np.argmax(below))
    back = np.flatnonzero(~below[dip:])
    if back.size == 0:
        return None
    return float(dip + back[0])


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
    return {
        "flow_reduction_pct": 100.0 * (1.0 - d_s / d_b) if d_b > 0 else 0.0,
        "recovery_steps": recovery_steps(run.delivered, base.delivered, run.first_action,
                                         run.recovery_window, run.recovery_threshold),
        "displacement_pct": displacement_pct(run.node_flow_total, base.node_flow_total),
        "cost_per_kg_averted": cost / averted if averted > 0 else (0.0 if cost == 0 else math.inf),
    }
