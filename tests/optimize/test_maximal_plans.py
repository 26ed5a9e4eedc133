"""The maximal budget-feasible plans that exact enumeration evaluates: brute force, and no recursion limit."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.optimize.stochastic import _maximal_plans


def _arcs(costs, probs):
    return SimpleNamespace(icost=np.asarray(costs, float), prob=np.asarray(probs, float))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.sampled_from([0.5, 1.0])), min_size=1, max_size=8),
       st.integers(0, 9))
def test_every_maximal_plan_and_no_other(items, budget):
    arcs = _arcs([c for c, _ in items], [p for _, p in items])
    cand = np.arange(len(items))
    listed = _maximal_plans(arcs, cand, float(budget), None)
    assert listed is not None
    got, complete = listed
    assert complete
    got_sets = sorted(tuple(sorted(int(a) for a in plan)) for plan in got)
    want = []
    for r in range(len(items) + 1):
        for plan in itertools.combinations(range(len(items)), r):
            spent = sum(items[a][0] for a in plan)
            if spent <= budget and all(spent + items[b][0] > budget for b in cand if b not in plan):
                want.append(plan)
    assert got_sets == sorted(want)


def test_thousands_of_candidates_do_not_exhaust_the_stack():
    n = 5000
    arcs = _arcs(np.ones(n), np.full(n, 0.5))
    assert len(_maximal_plans(arcs, np.arange(n), 1.0, None)[0]) == n  # every single arc (depth n before)
    assert _maximal_plans(arcs, np.arange(n), 2.0, 100) is None  # too many to evaluate: refused, not crashed
