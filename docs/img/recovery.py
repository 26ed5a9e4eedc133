"""Make docs/img/recovery.png: how recovery_steps and recovery_status read one paired run.

Run from the repository root:  PYTHONPATH=src python docs/img/recovery.py
(caribbean, strategy port-strike, experiment seed 0; the first replication whose status is 'recovered').
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from counterflow import load_scenario, resolve_strategies
from counterflow.metrics import _smooth, recovery
from counterflow.runner import run_replications

sc = load_scenario("caribbean")
p = sc.parameters
res = run_replications(sc, resolve_strategies(sc, ["port-strike"]), runs=8, seed=0)
recs = {(r.strategy, r.replication): r for r in res.records}
for i in range(8):
    run, base = recs[("port-strike", i)], recs[("baseline", i)]
    steps, status = recovery(run.delivered, base.delivered, run.first_action, p.recovery_window, p.recovery_band)
    if status == "recovered":
        break
w, band, first = p.recovery_window, p.recovery_band, run.first_action
s, b = _smooth(run.delivered, w), _smooth(base.delivered, w)
t = np.arange(len(s))
rel = 100 * (s - b) / b
left = first + int(np.argmax(np.abs(s - b)[first:] > band * b[first:]))
back = first + int(steps)

fig = Figure(figsize=(8.5, 5.6))
ax1, ax2 = fig.subplots(2, 1, sharex=True)
ax1.plot(t, b, color="0.3", label=f"paired baseline (smoothed over {w} steps)")
ax1.fill_between(t, b * (1 - band), b * (1 + band), color="0.3", alpha=0.15, label=f"band ±{100 * band:.0f} %")
ax1.plot(t, s, color="tab:red", label="port-strike, same seed (smoothed)")
ax1.set_ylabel("delivered (kg/step)")
ax1.legend(fontsize=8, loc="lower right")
ax2.axhspan(-100 * band, 100 * band, color="0.3", alpha=0.15)
ax2.plot(t, rel, color="tab:red")
ax2.axhline(0, color="0.3", lw=0.8)
for x, txt in ((first, "first action"), (left, "leaves the band"), (back, f"recovered: {steps:.0f} steps")):
    for ax in (ax1, ax2):
        ax.axvline(x, color="tab:blue", ls="--", lw=0.8)
    ax2.annotate(txt, (x, ax2.get_ylim()[1]), fontsize=8, rotation=90, va="top", ha="right")
ax2.axvspan(back, back + w - 1, color="tab:blue", alpha=0.12)
ax2.set_ylabel("paired difference (% of baseline)")
ax2.set_xlabel("step")
ax1.set_title(f"recovery_status = {status}, recovery_steps = {steps:.0f} (shaded: {w} steps inside the band)",
              fontsize=9)
fig.tight_layout()
out = Path(__file__).with_name("recovery.png")
fig.savefig(out, dpi=110)
print(out, "replication", i, status, steps)
