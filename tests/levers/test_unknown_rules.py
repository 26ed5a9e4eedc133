"""An unknown targeting rule is an error naming the known rules, never a silent fallback."""

from __future__ import annotations

import numpy as np
import pytest

from counterflow.engine.core import warm_state
from counterflow.strategy import TARGET_RULES, Targets
from counterflow.targeting import (
    rules_for,
    select_edges,
    select_jurisdictions,
    select_nodes,
    select_organisations,
)

SELECTORS = {"nodes": select_nodes, "edges": select_edges, "jurisdictions": select_jurisdictions,
             "organisations": select_organisations}


@pytest.mark.parametrize("what", sorted(SELECTORS))
def test_every_declared_rule_can_be_written_in_a_strategy(what):
    assert rules_for(what) and set(rules_for(what)) <= set(TARGET_RULES)


WRONG = [(what, rule) for what in sorted(SELECTORS) for rule in ("no_such_rule", "criticality", "optimized")
         if rule not in rules_for(what)]


@pytest.mark.parametrize(("what", "rule"), WRONG)
def test_a_rule_that_does_not_apply_is_an_error_naming_the_known_rules(caribbean_net, what, rule):
    state = warm_state(caribbean_net)
    targets = Targets(mode="sea", rule=rule, k=1) if what == "edges" else Targets(rule=rule, k=1)
    with pytest.raises(ValueError) as exc:
        SELECTORS[what](targets, caribbean_net, state, np.random.default_rng(0))
    msg = str(exc.value)
    assert f"'{rule}'" in msg and all(known in msg for known in rules_for(what))


@pytest.mark.parametrize("what", ["jurisdictions", "organisations"])
def test_no_rule_means_top_throughput(caribbean_net, what):
    """Without a rule (and no names) jurisdictions and organisations are ranked by throughput, as documented."""
    state = warm_state(caribbean_net)
    sel = SELECTORS[what]
    a = sel(Targets(k=2), caribbean_net, state, np.random.default_rng(0))
    b = sel(Targets(rule="top_throughput", k=2), caribbean_net, state, np.random.default_rng(0))
    assert np.array_equal(a, b)


def test_validation_refuses_what_the_selectors_refuse(caribbean):
    """A rule is accepted in a strategy file exactly for what it selects (one declaration, two places)."""
    from counterflow.errors import InputError
    from counterflow.strategy import parse_strategy

    cases = {"edges": {"type": "maritime_interdiction", "zone": {"mode": "sea"}},
             "jurisdictions": {"type": "arrests", "jurisdiction": {}},
             "organisations": {"type": "sanctions", "organisations": {}}}
    for what, lever in cases.items():
        key = next(k for k in ("zone", "jurisdiction", "organisations") if k in lever)
        for rule in TARGET_RULES:
            bad = dict(lever, **{key: dict(lever[key], rule=rule)}, schedule={"start": 0})
            doc = {"name": "x", "actor": "US", "levers": [bad]}
            if rule in rules_for(what):
                parse_strategy(doc, scenario=caribbean)
            else:
                with pytest.raises(InputError, match=rule):
                    parse_strategy(doc, scenario=caribbean)
