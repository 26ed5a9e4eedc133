"""The labels registry names real levers, parameters and rules, and the report and the search both write them."""

from __future__ import annotations

from counterflow import labels
from counterflow.levers import LEVERS
from counterflow.report.words import lever_words
from counterflow.scenario import load_scenario
from counterflow.search.words import describe_lever
from counterflow.strategy import TARGET_RULES, parse_strategy


def test_every_entry_names_a_registered_lever_parameter_or_rule():
    """A stale entry (a renamed lever, parameter or rule) fails here instead of silently labelling nothing."""
    assert set(labels.LEVER_LABELS) <= set(LEVERS)
    params = {f.name for cls in LEVERS.values() for f in cls.params} | {"intensity"}
    assert set(labels.PARAM_LABELS) <= params, set(labels.PARAM_LABELS) - params
    assert set(labels.RULE_LABELS) <= set(TARGET_RULES)


def test_anything_not_listed_is_written_with_its_key_words():
    assert labels.lever_label("new_lever") == labels.lever_short("new_lever") == "new lever"
    assert labels.param_label("laundering_cost") == "laundering cost"
    assert labels.param_format("laundering_cost") == "{}" and labels.param_format("lethal") is None
    assert labels.rule_label("new_rule") == "new rule"


def test_the_report_and_the_search_write_a_lever_with_the_registry_words():
    """One strike with a rule and a labelled parameter, written by the report and by the search."""
    caribbean = load_scenario("caribbean")
    lever = {"type": "strike", "targets": {"rule": "betweenness", "k": 2, "kind": "hub"}, "intel_accuracy": 0.8,
             "schedule": {"start": 4, "every": 8}}
    report = lever_words(parse_strategy({"name": "s", "levers": [lever]}, scenario=caribbean).levers[0], caribbean)
    search = describe_lever(lever)
    for rule in TARGET_RULES:
        ruled = {**lever, "targets": {**lever["targets"], "rule": rule}}
        text = lever_words(parse_strategy({"name": "s", "levers": [ruled]}, scenario=caribbean).levers[0], caribbean)
        assert labels.rule_label(rule) in text and labels.rule_label(rule) in describe_lever(ruled)
    assert report.startswith(labels.lever_label("strike")) and search.startswith(labels.lever_short("strike"))
    assert labels.param_label("intel_accuracy") in report and labels.param_label("intel_accuracy") in search
    assert "_" not in report + search, (report, search)
