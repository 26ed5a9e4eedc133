"""Search descriptions name what each lever acts on: sites for strikes, routes (in their zone) for maritime
interdiction, jurisdictions and organisations for the levers on them; parameters by their labels."""

from __future__ import annotations

import pytest

from counterflow.levers import LEVERS
from counterflow.search.words import describe_lever

#: the noun a rule-chosen target of each targets field is, for every lever class that takes targets
NOUN = {"targets": "site", "zone": "route", "jurisdiction": "jurisdiction", "organisations": "organisation"}


@pytest.mark.parametrize("typ", sorted(LEVERS))
def test_every_lever_names_what_a_rule_chooses_and_labels_its_parameters(typ):
    cls = LEVERS[typ]
    lever = dict(cls.example)
    text = describe_lever(lever)
    assert "_" not in text, text  # no raw parameter keys (intel_accuracy, intel_gain)
    if cls.targets_key is None:
        return
    noun = NOUN[cls.targets_key]
    for k in (1, 3):
        ruled = {**lever, cls.targets_key: {"rule": "top_throughput", "k": k}}
        text = describe_lever(ruled)
        assert f"the busiest {k} {noun}{'s' if k != 1 else ''}" in text, text
        if noun != "site":
            assert "site" not in text, text


def test_a_maritime_zone_chosen_by_a_rule_keeps_its_sea_mode_and_strike_kinds_stay():
    text = describe_lever({"type": "maritime_interdiction", "intensity": 0.44,
                           "zone": {"mode": "sea", "rule": "betweenness", "k": 8}})
    assert text == "maritime interdiction 0.44 on the most central 8 sea routes", text
    text = describe_lever({"type": "strike", "damage": 0.5, "targets": {"rule": "betweenness", "k": 2, "kind": "hub"}})
    assert "the most central 2 hubs" in text, text
    text = describe_lever({"type": "strike", "damage": 0.5, "intel_accuracy": 0.8,
                           "targets": {"rule": "top_throughput", "k": 1}})
    assert "intelligence accuracy 0.8" in text and "intel_accuracy" not in text, text
