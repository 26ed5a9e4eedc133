"""The society model: hardship, backlash, cooperation, corruption and recruitment, one step at a time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.engine.core import warm_state
from counterflow.engine.society import (
    SOCIETY_DEFAULTS,
    cooperation,
    org_jurisdictions,
    update_society,
)
from counterflow.engine.state import StepLog

C = SOCIETY_DEFAULTS
J_MAX = 16  # drawn vectors are cut to the number of jurisdictions
vec = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=J_MAX, max_size=J_MAX).map(np.array)


def _state(net):
    s = warm_state(net)
    j = len(net.juris_ids)
    s.log = StepLog(foreign_strikes=np.zeros(j), harm_by_juris=np.zeros(j), destroyed_by_org=np.zeros(net.n_orgs))
    return s


@given(vec, vec, vec, vec, vec, st.lists(st.integers(0, 3), min_size=J_MAX, max_size=J_MAX).map(np.array), vec)
@settings(max_examples=60)
def test_one_step_matches_the_equations(caribbean_net, hardship, backlash, cut, aid, harm, strikes, corr):
    """One update equals an independent evaluation of the documented equations."""
    net = caribbean_net
    p = net.scenario.parameters
    s = _state(net)
    j = len(net.juris_ids)
    hardship, backlash, cut, aid, harm, strikes, corr = (v[:j] for v in (hardship, backlash, cut, aid, harm, strikes,
                                                                           corr))
    s.hardship, s.backlash, s.revenue_cut, s.aid = hardship.copy(), backlash.copy(), cut.copy(), aid.copy()
    s.corruption = corr.copy()
    s.log.harm_by_juris, s.log.foreign_strikes = harm * 5, strikes.astype(float)
    labour0 = s.labour.copy()
    update_society(net, s)

    h = np.maximum(0, C["hardship_persistence"] * hardship + cut - aid)
    np.testing.assert_allclose(s.hardship, h)
    rise = p.backlash_per_harm * harm * 5 + p.backlash_per_foreign_strike * strikes + p.backlash_per_hardship * h
    decay = np.clip(p.backlash_decay + C["aid_backlash_relief"] * aid, 0, 1)
    np.testing.assert_allclose(s.backlash, np.clip(backlash * (1 - decay) + rise * (1 - backlash), 0, 1))
    c = corr * (1 - C["blockade_corruption_rate"] * cut)
    np.testing.assert_allclose(s.corruption, np.clip(c + C["corruption_recovery"] * (net.juris_corruption - c), 0, 1))
    np.testing.assert_allclose(s.revenue, net.juris_revenue * (1 - cut))
    for o in range(net.n_orgs):
        w = org_jurisdictions(net)[o]
        pressure = (w * (C["recruit_per_backlash"] * s.backlash + C["recruit_per_hardship"] * s.hardship
                         - C["recruit_aid_relief"] * aid)).sum()
        target = net.org_labour[o] * max(1 + pressure, 0)
        assert s.labour[o] == pytest.approx(labour0[o] + C["labour_adjust"] * (target - labour0[o]), rel=1e-12)
    assert ((s.backlash >= 0) & (s.backlash <= 1)).all()
    np.testing.assert_allclose(cooperation(s), 1 - s.backlash)


def test_backlash_decays_geometrically_without_pressure(caribbean_net):
    """With no harm, strikes, hardship or aid, backlash falls by the decay rate each step."""
    net = caribbean_net
    s = _state(net)
    s.backlash[:] = 0.6
    for k in range(1, 6):
        update_society(net, s)
        np.testing.assert_allclose(s.backlash, 0.6 * (1 - net.scenario.parameters.backlash_decay) ** k)


def test_org_jurisdiction_weights(caribbean_net):
    """Each organisation's weights are the shares of its non-market nodes per jurisdiction."""
    net = caribbean_net
    w = org_jurisdictions(net)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    a = net.org_ids.index("org_a")
    own = [v for v in range(net.n_nodes) if net.org_allowed[a, v] and not net.kind_mask("market")[v]]
    ve = net.juris_ids.index("VE")
    assert w[a, ve] == sum(net.node_juris[v] == ve for v in own) / len(own)
