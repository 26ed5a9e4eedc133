"""Adaptation's compiled common path (``_kernels.adapt_calm``) hands over to ``adaptation.adapt`` exactly.

The engine runs the kernel while no site is pending; it smooths losses and counts calm steps and stops at
the first organisation that may expand or consolidate, where the Python ``adapt`` takes over. Here whole
runs are compared with the all-Python path (the kernel told to hand over at once) on settings where
organisations expand under a strike campaign and consolidate after it ends, so both hand-overs happen.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from counterflow import Engine, compile_network
from counterflow.engine import adaptation, core
from counterflow.generate import generate_scenario
from counterflow.strategy import parse_strategy

CAMPAIGN = {"name": "hub-strikes", "levers": [
    {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
     "schedule": {"start": 2, "every": 2, "until": 20}, "unit_cost": 1.0e6}]}


@pytest.fixture(scope="module")
def net():
    sc = generate_scenario(60, seed=2, organisations=2)
    orgs = [dataclasses.replace(o, loss_tolerance=0.08) for o in sc.organisations]
    prm = dataclasses.replace(sc.parameters, consolidate_after=3, open_delay=1, open_cost=1.0)
    return compile_network(dataclasses.replace(sc, organisations=orgs, parameters=prm))


def _run(net, monkeypatch, python_only: bool):
    """A 60-step run; counts of the kernel's hand-overs, sites opened and sites closed."""
    counts = {"handover": 0, "opened": 0, "closed": 0}
    kernel, open_site, close_site = core.adapt_calm, adaptation.open_site, adaptation._close_site

    def calm(order, loss_share, arrays, rule):
        first = 0 if python_only else kernel(order, loss_share, arrays, rule)
        counts["handover"] += first < len(order)
        return first

    def opened(*args):
        counts["opened"] += 1
        return open_site(*args)

    def closed(*args):
        counts["closed"] += 1
        return close_site(*args)

    with monkeypatch.context() as m:
        m.setattr(core.Engine, "calm", False)  # the phased calls: adaptation's own call (test_calm_step: the one call)
        m.setattr(core, "adapt_calm", calm)
        m.setattr(adaptation, "open_site", opened)
        m.setattr(adaptation, "_close_site", closed)
        eng = Engine(net, parse_strategy(CAMPAIGN, scenario=net.scenario), 7, record_flows=True)
        traj = eng.run(60)
    return traj, eng.state, counts


def test_kernel_and_python_adaptation_agree(net, monkeypatch):
    """Same trajectory and same adaptation state with the compiled common path as with Python alone."""
    fast, s_fast, counts = _run(net, monkeypatch, python_only=False)
    slow, s_slow, _ = _run(net, monkeypatch, python_only=True)
    # the setting exercises what the kernel hands over: expansion and consolidation both happen
    assert counts["handover"] > 0 and counts["opened"] > 0 and counts["closed"] > 0, counts
    for name in fast.series:
        np.testing.assert_array_equal(fast.series[name], slow.series[name], err_msg=name)
    np.testing.assert_array_equal(fast.edge_flow, slow.edge_flow)
    for name in ("loss_smooth", "calm_steps", "open_node", "open_edge", "opened_at", "cash"):
        np.testing.assert_array_equal(getattr(s_fast, name), getattr(s_slow, name), err_msg=name)
    assert s_fast.pending == s_slow.pending


def test_kernel_stops_before_an_organisation_that_may_expand(net):
    """Losses above tolerance with the cash to open a site: the kernel changes nothing of that organisation."""
    eng = Engine(net, None, 1, record_flows=False)
    s = eng.state
    s.loss_smooth[:], s.calm_steps[:], s.opened_at[:] = 0.0, 0, -1  # calm so far, no site opened
    order = np.array([1, 0])
    loss = np.array([1.0, 0.0])  # organisation 1 stays calm, organisation 0 is far above its tolerance
    s.cash[:] = 1e9
    first = core.adapt_calm(order, loss, core._adapt_arrays(s), eng._adapt_rule_t)
    assert first == 1  # organisation 1 done, organisation 0 handed over untouched
    assert s.loss_smooth[0] == 0.0 and s.calm_steps[0] == 0
    assert s.loss_smooth[1] == 0.0 and s.calm_steps[1] == 1
    s.cash[:] = 0.0  # no cash to open a site: nothing more can happen, the kernel goes on
    assert core.adapt_calm(order, loss, core._adapt_arrays(s), eng._adapt_rule_t) == 2
    assert s.loss_smooth[0] > 0.0 and s.calm_steps[0] == 0 and s.calm_steps[1] == 2
