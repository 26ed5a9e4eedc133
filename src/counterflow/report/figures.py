"""Figures of a comparison: time series with uncertainty bands, and the flow map.

Every function returns a :class:`matplotlib.figure.Figure`; the caller saves
it (PNG) or inlines it in the HTML report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..geo import outline_rings
from ..network import Network  # noqa: E402

__all__ = ["band_table", "strategy_colours", "fig_delivery", "fig_indicators", "fig_map", "BAND"]

BAND = (0.05, 0.5, 0.95)
SMOOTH = 4
_PALETTE = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b2df8a"]


def strategy_colours(names: Sequence[str], baseline: str = "baseline") -> dict[str, str]:
    """A fixed colour per strategy; the baseline is dark grey."""
    out, k = {}, 0
    for nm in names:
        if nm == baseline:
            out[nm] = "#444444"
        else:
            out[nm] = _PALETTE[k % len(_PALETTE)]
            k += 1
    return out


def band_table(steps: pd.DataFrame, variable: str, entity: str = "", *, cumulative: bool = False,
               scale: np.ndarray | float | None = None, smooth: int = 1) -> dict[str, np.ndarray]:
    """Per strategy, the 5 / 50 / 95 % quantiles over replications of one series: ``{name: [3, T]}``.

    ``smooth`` > 1 first takes a trailing moving average of that many steps in each replication.
    """
    sub = steps[(steps.variable == variable) & (steps.entity == entity)]
    out = {}
    for name, grp in sub.groupby("strategy", sort=False):
        wide = grp.pivot_table(index="replication", columns="step", values="value", aggfunc="first")
        arr = wide.to_numpy(dtype=float)
        if cumulative:
            arr = np.cumsum(arr, axis=1)
        if smooth > 1:
            c = np.cumsum(np.pad(arr, ((0, 0), (1, 0))), axis=1)
            hi = np.arange(1, arr.shape[1] + 1)
            lo = np.maximum(hi - smooth, 0)
            arr = (c[:, hi] - c[:, lo]) / (hi - lo)
        if scale is not None:
            arr = arr / scale
        out[name] = np.quantile(arr, BAND, axis=0)
    return out


def _bands(ax, bands: dict[str, np.ndarray], colours: dict[str, str], order: Sequence[str]) -> None:
    for name in order:
        if name not in bands:
            continue
        q = bands[name]
        x = np.arange(q.shape[1])
        ax.fill_between(x, q[0], q[2], color=colours[name], alpha=0.15, linewidth=0)
        ax.plot(x, q[1], color=colours[name], lw=1.6 if name != "baseline" else 1.2, label=name)
    ax.grid(alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)


def _action_marks(ax, first_actions: dict[str, int | None], colours: dict[str, str]) -> None:
    for name, t in first_actions.items():
        if t is not None:
            ax.axvline(t, color=colours.get(name, "k"), lw=0.8, ls=":", alpha=0.8)


MAX_MARKET_PANELS = 6


def fig_delivery(steps: pd.DataFrame, markets: Sequence[str], order: Sequence[str],
                 colours: dict[str, str], first_actions: dict[str, int | None],
                 demand: Sequence[float] | None = None) -> Figure:
    """Delivered kg per market per step: median and 5-95 % band per strategy, one panel per market.

    With more than ``MAX_MARKET_PANELS`` markets, the largest by reference
    ``demand`` get panels (the title says how many are left out).
    """
    shown = list(markets)
    if len(shown) > MAX_MARKET_PANELS:
        rank = np.argsort(-np.asarray(demand if demand is not None else np.ones(len(shown))), kind="stable")
        shown = [markets[i] for i in rank[:MAX_MARKET_PANELS]]
    n = max(len(shown), 1)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(max(4.4 * cols, 8.0), 3.4 * rows + 0.4))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax, m in zip(axes.ravel(), shown, strict=False):
        _bands(ax, band_table(steps, "delivered", m, smooth=SMOOTH), colours, order)
        _action_marks(ax, first_actions, colours)
        ax.set_title(f"Reaching {m} (kg per week, {SMOOTH}-week mean)", fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=8, frameon=False, loc="lower left")
    extra = f" ({len(shown)} largest of {len(markets)} markets)" if len(shown) < len(markets) else ""
    fig.suptitle("Drugs reaching each consumer market: median and 90 % band over replications" + extra, fontsize=11)
    fig.tight_layout()
    return fig


INDICATORS = (
    ("seized", f"Seized (kg per week, {SMOOTH}-week mean)", False),
    ("price", "Price (share of reference, mean of markets)", False),
    ("active_nodes", "Active places (nodes carrying flow)", False),
    ("harm", "Civilian casualties (cumulative, expected)", True),
    ("backlash", "Backlash (0-1, highest state)", False),
    ("hardship", "Hardship (index, highest state)", False),
)


def fig_indicators(steps: pd.DataFrame, markets: Sequence[str], reference_price: np.ndarray,
                   order: Sequence[str], colours: dict[str, str],
                   first_actions: dict[str, int | None]) -> Figure:
    """Seizures, price, active nodes, harm, backlash and hardship per step, per strategy."""
    fig = Figure(figsize=(13, 6.4))
    axes = fig.subplots(2, 3)
    for ax, (var, title, cum) in zip(axes.ravel(), INDICATORS, strict=True):
        if var == "price":
            frames = []
            for m, ref in zip(markets, reference_price, strict=True):
                sub = steps[(steps.variable == "price") & (steps.entity == m)].copy()
                sub["value"] = sub["value"] / ref
                frames.append(sub)
            pr = pd.concat(frames).groupby(["strategy", "replication", "step"], sort=False)["value"].mean()
            pr = pr.reset_index().assign(variable="price_index", entity="")
            bands = band_table(pr, "price_index")
        else:
            bands = band_table(steps, var, cumulative=cum, smooth=SMOOTH if var == "seized" else 1)
        _bands(ax, bands, colours, order)
        _action_marks(ax, first_actions, colours)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("week")
    axes[0][0].legend(fontsize=8, frameon=False)
    fig.suptitle("What else happens: seizures, prices, the network's footprint, harm and backlash", fontsize=11)
    fig.tight_layout()
    return fig


def _extent(net: Network, pad: float = 4.0) -> tuple[float, float, float, float]:
    lon0, lon1 = float(net.lon.min()) - pad, float(net.lon.max()) + pad
    lat0, lat1 = float(net.lat.min()) - pad, float(net.lat.max()) + pad
    return lon0, lat0, lon1, lat1


def _draw_outlines(ax, bbox) -> None:
    for ring in outline_rings(bbox):
        ax.fill(ring[:, 0], ring[:, 1], facecolor="#f1efe8", edgecolor="#b9b4a7", lw=0.5, zorder=0)


def _draw_flows(ax, net: Network, flow: np.ndarray, vmax: float, change: np.ndarray | None) -> None:
    seg = np.stack([np.c_[net.lon[net.edge_src], net.lat[net.edge_src]],
                    np.c_[net.lon[net.edge_dst], net.lat[net.edge_dst]]], axis=1)
    scale = float(np.clip(np.sqrt(40.0 / max(net.n_nodes, 1)), 0.15, 1.0))  # thinner and smaller on big networks
    if net.n_edges <= 400:
        ax.add_collection(LineCollection(seg, colors="#cccccc", linewidths=0.6, linestyles=":", zorder=1))
    used = flow > 1e-6
    widths = 0.3 + 7.0 * scale * np.sqrt(flow[used] / max(vmax, 1e-9))
    if change is None:
        colours = np.array(["#2b6c8f"] * int(used.sum()))
    else:
        c = change[used]
        colours = np.where(c > 0.15, "#c0392b", np.where(c < -0.15, "#2c7fb8", "#555555"))
    ax.add_collection(LineCollection(seg[used], colors=colours, linewidths=widths, alpha=0.85, zorder=2,
                                     capstyle="round"))
    kinds = {"source": ("^", "#6a3d9a"), "hub": ("s", "#e6550d"), "transit": ("o", "#636363"),
             "market": ("*", "#238b45")}
    from ..scenario import NODE_KINDS

    for code, kind in enumerate(NODE_KINDS):
        mask = net.node_kind == code
        marker, colour = kinds[kind]
        size = (46 if kind != "market" else 90) * (scale ** 2 if kind in ("hub", "transit") else 1.0)
        ax.scatter(net.lon[mask], net.lat[mask], marker=marker, s=size, c=colour,
                   edgecolors="white", linewidths=0.6 * scale, zorder=3, label=kind)


def fig_map(net: Network, panels: Sequence[tuple[str, np.ndarray, np.ndarray]],
            first_actions: dict[str, int | None] | None = None) -> Figure:
    """Flow per edge before and after the first action.

    ``panels`` holds ``(strategy, flow_before [E], flow_after [E])`` in kg per
    week. Strategies whose first action falls on the same step share one
    "before" panel; each strategy has its own "after" panel. Line width grows
    with flow; in "after" panels red edges carry at least 15 % more than
    before, blue edges at least 15 % less, grey about the same.
    """
    first_actions = first_actions or {}
    tiles: list[tuple[str, np.ndarray, np.ndarray | None]] = []
    seen: dict = {}
    for name, before, after in panels:
        t0 = first_actions.get(name)
        if t0 not in seen:
            seen[t0] = before
            label = f"week {t0}" if t0 is not None else "the first action"
            tiles.append((f"Before {label}, before any action", before, None))
        change = (after - before) / np.maximum(before, 1.0)
        change[(before <= 1e-6) & (after > 1e-6)] = 1.0
        tiles.append((f"{name}: after its first action", after, change))
    bbox = _extent(net)
    cols = 2
    rows = max((len(tiles) + cols - 1) // cols, 1)
    aspect = (bbox[3] - bbox[1]) / (bbox[2] - bbox[0])
    width = 12.0
    fig = Figure(figsize=(width, rows * width / cols * aspect + 0.9))
    axes = fig.subplots(rows, cols, squeeze=False)
    vmax = max((max(b.max(initial=0), a.max(initial=0)) for _, b, a in panels), default=1.0)
    for ax in axes.ravel()[len(tiles):]:
        ax.set_visible(False)
    for ax, (title, flow, change) in zip(axes.ravel(), tiles, strict=False):
        _draw_outlines(ax, bbox)
        _draw_flows(ax, net, flow, vmax, change)
        ax.set_xlim(bbox[0], bbox[2])
        ax.set_ylim(bbox[1], bbox[3])
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=7)
        ax.set_facecolor("#dfeef5")
    axes[0][0].legend(fontsize=7, loc="lower left", frameon=True, markerscale=0.8)
    fig.suptitle("Mean flow per route (kg per week; wider = more). After: red = more than before, "
                 "blue = less, grey = about the same. Stylised geography.", fontsize=10)
    fig.tight_layout()
    return fig
