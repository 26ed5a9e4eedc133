"""The combinatorial covering master (``_cover_search``) against brute force over every plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from counterflow.optimize._cover_search import cover_search


def _brute(m: np.ndarray, need: np.ndarray, cost: np.ndarray, budget: float) -> bool:
    k = m.shape[1]
    for size in range(k + 1):
        for plan in itertools.combinations(range(k), size):
            x = np.zeros(k)
            x[list(plan)] = 1
            if cost @ x <= budget + 1e-9 and np.all(m @ x >= need - 1e-9):
                return True
    return False


@pytest.mark.parametrize("seed", range(60))
def test_cover_search_agrees_with_brute_force(seed):
    """Random knapsack-covering rows (capped coefficients as in the path master), equal or mixed costs:
    a cover is returned exactly when one exists, and it is a cover within the budget."""
    rng = np.random.default_rng(seed)
    k, rows = int(rng.integers(3, 10)), int(rng.integers(1, 9))
    dense = np.where(rng.random((rows, k)) < 0.45, rng.integers(1, 6, size=(rows, k)), 0).astype(float)
    need = rng.integers(1, 7, size=rows).astype(float)
    dense = np.minimum(dense, need[:, None])  # coefficients capped at the need
    cost = np.ones(k) if seed % 2 else rng.integers(1, 4, size=k).astype(float)
    budget = float(rng.integers(1, 5))
    status, x, _ = cover_search(sp.csr_matrix(dense), need, cost, budget)
    exists = _brute(dense, need, cost, budget)
    assert status == (1 if exists else 0)
    if status == 1:
        assert cost @ x <= budget + 1e-9 and np.all(dense @ x >= need - 1e-9)


def test_node_limit_is_undecided_and_free_columns_go_to_the_milp():
    """An exhausted node budget says 'undecided' (-1), never 'no cover'; a zero-cost column (unbounded
    depth) is left to the MILP."""
    dense = np.eye(6)
    status, x, nodes = cover_search(sp.csr_matrix(dense), np.ones(6), np.ones(6), 6.0, limit=1)
    assert (status, x) == (-1, None) and nodes >= 1
    assert cover_search(sp.csr_matrix(dense), np.ones(6), np.zeros(6), 4.0)[0] == -1

