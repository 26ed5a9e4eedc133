"""The burn-in shared between the strategies of one replication (``Engine.fork``) changes no number.

Every strategy of one seed burns in to the same state (no lever fires before step 0), so
``run_replication`` simulates it once and forks the burned-in baseline engine for the other
strategies. A fork must give the whole trajectory, bit for bit, that a fresh engine with the same
seed gives, on both planning paths (the compiled small-network step and the network simplex).
"""

from __future__ import annotations

import numpy as np
import pytest

from counterflow import Engine, compile_network, load_scenario, resolve_strategies
from counterflow.generate import generate_scenario
from counterflow.runner import replication_seed, run_replication
from counterflow.strategy import BASELINE, parse_strategy

STEPS = 12
STRIKE = {"name": "hub-strike", "levers": [
    {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
     "schedule": {"start": 0, "every": 3}, "unit_cost": 1.0e6}]}


def _arrays(traj) -> list[np.ndarray]:
    out = [traj.series[k] for k in sorted(traj.series)]
    return [*out, traj.balance, traj.edge_flow, traj.node_flow, traj.node_flow_total]


def _same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(_arrays(a), _arrays(b), strict=True))


@pytest.mark.parametrize("case", ["caribbean", "generated-simplex"])
def test_fork_equals_a_fresh_engine(case):
    """Baseline burned in once, forked into each strategy: the same trajectories as fresh engines of that seed."""
    if case == "caribbean":
        net = compile_network(load_scenario("caribbean"))
        strategies = [s for s in resolve_strategies(net.scenario, ["port-strike", "layered"]) if s.levers]
        solver = "auto"
    else:
        net = compile_network(generate_scenario(60, seed=2, organisations=2))
        strategies = [parse_strategy(STRIKE, scenario=net.scenario)]
        solver = "simplex"
    assert net.scenario.parameters.burn_in > 0  # there is a burn-in to share

    base = Engine(net, BASELINE, np.random.default_rng(replication_seed(7, 3)), record_flows=True, solver=solver)
    forks = [base.fork(s) for s in [*strategies, BASELINE]]
    base_traj = base.run(STEPS)
    for s, f in zip([*strategies, BASELINE], forks, strict=True):
        fresh = Engine(net, s, np.random.default_rng(replication_seed(7, 3)), record_flows=True, solver=solver).run(STEPS)
        assert _same(f.run(STEPS), fresh), s.name
    assert _same(base_traj, Engine(net, BASELINE, np.random.default_rng(replication_seed(7, 3)), record_flows=True,
                                   solver=solver).run(STEPS))  # forking left the source as it was
    # the test can fail: another seed's run differs
    other = Engine(net, strategies[0], np.random.default_rng(replication_seed(7, 4)), record_flows=True,
                   solver=solver).run(STEPS)
    assert not _same(other, Engine(net, strategies[0], np.random.default_rng(replication_seed(7, 3)), record_flows=True,
                                   solver=solver).run(STEPS))


def test_run_replication_shares_the_burn_in_exactly():
    """The records of one replication equal those of strategies run each from its own fresh engine."""
    sc = load_scenario("caribbean")
    strategies = resolve_strategies(sc, ["port-strike"])
    assert [s.name for s in strategies][0] == "baseline"
    shared = run_replication(sc, strategies, 2, 11, steps=STEPS, keep_steps=True)
    single = [run_replication(sc, [s], 2, 11, steps=STEPS, keep_steps=True)[0] for s in strategies]
    for a, b in zip(shared, single, strict=True):
        assert a.metrics.keys() == b.metrics.keys()
        assert all(a.metrics[k] == b.metrics[k] or (a.metrics[k] != a.metrics[k] and b.metrics[k] != b.metrics[k])
                   for k in a.metrics)
        assert a.steps_frame.equals(b.steps_frame)


def test_only_a_lever_free_engine_before_step_0_forks():
    net = compile_network(load_scenario("caribbean"))
    strike = next(s for s in resolve_strategies(net.scenario, ["port-strike"]) if s.levers)
    with pytest.raises(ValueError, match="lever-free"):
        Engine(net, strike, 1).fork(BASELINE)
    eng = Engine(net, BASELINE, 1)
    eng.run(1)
    with pytest.raises(ValueError, match="before step 0"):
        eng.fork(strike)
