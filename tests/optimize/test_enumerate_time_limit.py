"""Exact enumeration of plans for expected max flow keeps its time limit: it reads the clock between
plans and between success patterns, and out of time says ``time_limit`` with the best plan evaluated so
far and no bound (an unevaluated plan could be better), never ``optimal``."""

from __future__ import annotations

import itertools
import json
import math
import time
from types import SimpleNamespace

import numpy as np
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.optimize import expected_max_flow_interdiction, stochastic
from counterflow.optimize.instances import grid_network
from counterflow.optimize.stochastic import _maximal_plans
from tests.optimize.oracle import expected_max_flow
from tests.optimize.test_optimize_cli import CSV


def _grid():
    """4x5 grid, success 0.7, budget 2: 1,035 maximal plans, about a thousand maximum flows to enumerate
    (the unlimited result equals brute force in test_source_sink_and_status.py)."""
    return grid_network(4, 5, seed=3, success_prob=0.7)


def test_no_time_evaluates_no_plan_and_claims_no_bound():
    g = _grid()
    full = expected_max_flow_interdiction(g, 2, method="enumerate")
    assert full.status == "optimal" and full.detail["plans_evaluated"] == full.detail["plans"] == 1035
    for method in ("enumerate", "auto"):  # auto takes the enumeration here (too many patterns to stack)
        r = expected_max_flow_interdiction(g, 2, method=method, time_limit=0.0)
        assert (r.method, r.status) == ("enumerate", "time_limit"), method
        assert r.detail["plans_evaluated"] == 0 < r.detail["plans_listed"]
        assert math.isnan(r.bound) and math.isinf(r.gap) and r.detail["bound_note"].startswith("none")
        assert (r.edges, r.nodes, r.value_after) == ([], [], r.value_before)  # nothing evaluated: no plan
        assert r.value_after >= full.value_after


def test_a_limit_stops_between_plans_with_a_re_evaluated_plan(monkeypatch):
    """A limit that holds some plans but not all: fewer plans evaluated than listed, but some; the plan
    returned is within the budget, its value is what an independent evaluator gives, and not below the
    optimum. The module's clock advances 1 ms per reading, so the stop does not depend on the machine's
    speed (with the real clock a tiny limit may evaluate no plan at all)."""
    g = _grid()
    full = expected_max_flow_interdiction(g, 2, method="enumerate")
    ticks = itertools.count()
    monkeypatch.setattr(stochastic, "time", SimpleNamespace(perf_counter=lambda: next(ticks) * 1e-3))
    r = expected_max_flow_interdiction(g, 2, method="enumerate", time_limit=1.0)
    assert r.status == "time_limit" and 0 < r.detail["plans_evaluated"] < r.detail["plans"]
    assert math.isnan(r.bound) and "bound_note" in r.detail and r.spent <= 2
    assert r.edges  # a plan evaluated, not the empty one
    assert math.isclose(expected_max_flow(g, r.edge_indices, r.node_indices), r.value_after, abs_tol=1e-9)
    assert r.value_after >= full.value_after - 1e-9


def test_generous_limit_is_the_unlimited_optimum():
    g = _grid()
    full = expected_max_flow_interdiction(g, 2, method="enumerate")
    r = expected_max_flow_interdiction(g, 2, method="enumerate", time_limit=3600.0)
    assert r.status == "optimal" and r.bound == r.value_after == full.value_after and r.gap == 0.0
    assert "bound_note" not in r.detail and r.edges == full.edges


def test_listing_plans_stops_at_its_deadline():
    """5,000 candidates of cost 1 and budget 2 have 12.5 million maximal pairs; with a deadline already
    past the listing stops at its first clock check and says it is incomplete."""
    n = 5000
    arcs = SimpleNamespace(icost=np.ones(n), prob=np.full(n, 0.5))
    plans, complete = _maximal_plans(arcs, np.arange(n), 2.0, None, deadline=time.perf_counter())
    assert not complete and len(plans) < n * (n - 1) // 2


def test_cli_json_says_time_limit_and_null_bound(tmp_path):
    """The CLI's JSON of a stopped enumeration: status time_limit, bound null, the note and the counts."""
    p = tmp_path / "net.csv"
    p.write_text(CSV)
    res = CliRunner().invoke(app, ["optimize", str(p), "--source", "s", "--sink", "t", "--objective",
                                   "expected-max-flow", "--budget", "1", "--method", "enumerate",
                                   "--time-limit", "0", "--json"])
    assert res.exit_code == 0, res.stdout
    d = json.loads(res.stdout)
    assert (d["status"], d["method"], d["bound"], d["plans_evaluated"]) == ("time_limit", "enumerate", None, 0)
    assert d["bound_note"].startswith("none") and d["value_after"] == d["value_before"] == 10.0
