"""A bridge to EMA Workbench: a store as ``(experiments DataFrame, outcomes dict)``.

EMA Workbench's ``perform_experiments`` returns experiments (one row per
experiment: the uncertain parameters, then ``scenario``, ``policy`` and
``model``) and outcomes (a dict of NumPy arrays aligned with those rows).
:func:`to_ema` returns the same pair from a sweep store, so scenario
discovery (PRIM, CART) and EMA's plots run on Counterflow results. It needs
only pandas and NumPy; EMA Workbench itself is the optional extra
``counterflow[ema]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .store import Store

__all__ = ["to_ema"]


def to_ema(store: str | Path | Store, outcomes: list[str] | None = None, *, strategy: str | None = None,
           replications: str = "mean") -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Experiments and outcomes of a store in EMA Workbench's form.

    Parameters
    ----------
    outcomes
        Outcomes to return (default: every stored outcome).
    strategy
        Keep only this strategy (EMA's *policy*); default: all.
    replications
        ``"mean"``: one row per (sample, strategy), outcomes averaged over
        successful replications; ``"rows"``: one row per run, with a
        ``replication`` column.

    Returns
    -------
    experiments : pandas.DataFrame
        One column per uncertain parameter (named by its path), then
        ``scenario`` (the sample number), ``policy`` (the strategy, categorical)
        and ``model`` (the scenario name).
    outcomes : dict of str to numpy.ndarray
        One float array per outcome, aligned with the rows of ``experiments``.

    Examples
    --------
    >>> x, y = to_ema("store", strategy="port-strike")           # doctest: +SKIP
    >>> from ema_workbench.analysis import prim                   # doctest: +SKIP
    >>> box = prim.Prim(x.iloc[:, :-3], y["flow_reduction_pct"] < 1, threshold=0.8).find_box()  # doctest: +SKIP
    """
    st = store if isinstance(store, Store) else Store(store)
    meta = st.metadata()
    names = [u["path"] for u in meta["uncertainties"]]
    outcomes = list(outcomes or meta["kept_outcomes"])
    for o in outcomes:
        if o not in meta["kept_outcomes"]:
            raise InputError(f"unknown outcome '{o}'; the store holds: {', '.join(meta['kept_outcomes'])}")
    if strategy is not None and strategy not in meta["strategies"]:
        raise InputError(f"unknown strategy '{strategy}'; the store holds: {', '.join(meta['strategies'])}")
    if replications not in ("mean", "rows"):
        raise ValueError("replications must be 'mean' or 'rows'")
    runs = st.runs()
    runs = runs[runs.status == "ok"]
    if strategy is not None:
        runs = runs[runs.strategy == strategy]
    if replications == "mean":
        runs = runs.groupby(["sample", "strategy"], sort=False)[names + outcomes].mean().reset_index()
    order = {s: i for i, s in enumerate(meta["strategies"])}
    keys = ["sample", "_o"] + (["replication"] if replications == "rows" else [])
    runs = runs.assign(_o=runs["strategy"].map(order)).sort_values(keys).reset_index(drop=True)
    x = runs[names].astype(float).copy()
    if replications == "rows":
        x["replication"] = runs["replication"].to_numpy()
    x["scenario"] = runs["sample"].to_numpy()
    x["policy"] = pd.Categorical(runs["strategy"], categories=meta["strategies"])
    x["model"] = pd.Categorical([meta["scenario"]] * len(runs))
    y = {o: runs[o].to_numpy(dtype=float) for o in outcomes}
    return x, y
