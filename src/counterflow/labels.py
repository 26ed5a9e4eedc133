"""The labels registry: how views write a lever, a lever parameter and a targeting rule.

:mod:`counterflow.outcomes` names what a run is summarised into; this module names what a
strategy is made of. The report's strategy descriptions (``counterflow.report.words``), the
report's lever table and the search's portfolio descriptions (``counterflow.search.words``) all
read it, so a lever is called the same everywhere.

Nothing here is required: a lever, parameter or rule that is not listed is written with its key's
words (``laundering_cost`` -> "laundering cost"), so adding a lever or a rule needs no entry here.
Add one when the key's words read badly (``intel_accuracy``) or a value needs a format (a share as
a percentage).

Examples
--------
>>> from counterflow.labels import lever_label, param_label, rule_label
>>> lever_label("intel_sharing"), param_label("intel_accuracy"), param_label("laundering_cost")
('intelligence sharing', 'intelligence accuracy', 'laundering cost')
>>> rule_label("top_throughput")
'busiest'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LeverLabel", "ParamLabel", "LEVER_LABELS", "PARAM_LABELS", "RULE_LABELS", "lever_label", "lever_short",
           "param_label", "param_format", "rule_label", "words"]


@dataclass(frozen=True)
class LeverLabel:
    """What a lever type is called: ``label`` in a strategy's own words ("strike on Main dock in
    week 4"), ``short`` in a portfolio's one-line description ("strikes (damage 0.8) on the busiest
    1 site every 8 weeks + aid 0.5 in VE")."""

    label: str
    short: str


@dataclass(frozen=True)
class ParamLabel:
    """What a lever parameter is called, and the format of its value (``None``: written as it is)."""

    label: str
    format: str | None = None


#: Lever types by their strategy-file ``type``.
LEVER_LABELS: Mapping[str, LeverLabel] = {
    "strike": LeverLabel("strike", "strikes"),
    "maritime_interdiction": LeverLabel("maritime interdiction", "maritime interdiction"),
    "blockade": LeverLabel("blockade", "blockade"),
    "sanctions": LeverLabel("sanctions", "sanctions"),
    "arrests": LeverLabel("arrests", "arrests"),
    "police_support": LeverLabel("police support", "police support"),
    "intel_sharing": LeverLabel("intelligence sharing", "intelligence sharing"),
    "humanitarian_aid": LeverLabel("humanitarian aid", "aid"),
}

#: Lever parameters whose key reads badly or whose value needs a format.
PARAM_LABELS: Mapping[str, ParamLabel] = {
    "intel_accuracy": ParamLabel("intelligence accuracy", "{:.0%}"),
    "damage": ParamLabel("damage", "{:.0%}"),
    "intensity": ParamLabel("intensity", "{:g}"),
    "lethal": ParamLabel("lethal force"),
    "ramp_steps": ParamLabel("firings to full strength", "{}"),  # counts firings, not steps or weeks
}

#: Targeting rules (a strategy file's ``rule:``) as the adjective of what they choose: "the busiest hub".
RULE_LABELS: Mapping[str, str] = {
    "top_throughput": "busiest",
    "betweenness": "most central",
    "criticality": "most critical",
    "random": "randomly chosen",
    "optimized": "optimally chosen",
}


def words(key: str) -> str:
    """A key in words: ``laundering_cost`` -> ``laundering cost`` (the label of anything not listed)."""
    return key.replace("_", " ")


def lever_label(typ: str) -> str:
    """A lever type in a strategy's words (``humanitarian_aid`` -> "humanitarian aid")."""
    found = LEVER_LABELS.get(typ)
    return found.label if found else words(typ)


def lever_short(typ: str) -> str:
    """A lever type in a portfolio's one-line description (``humanitarian_aid`` -> "aid")."""
    found = LEVER_LABELS.get(typ)
    return found.short if found else words(typ)


def param_label(key: str) -> str:
    """A lever parameter's label (``intel_accuracy`` -> "intelligence accuracy")."""
    found = PARAM_LABELS.get(key)
    return found.label if found else words(key)


def param_format(key: str, default: str | None = "{}") -> str | None:
    """The format of a lever parameter's value (``"{:.0%}"``), ``default`` for a parameter not listed."""
    found = PARAM_LABELS.get(key)
    return found.format if found else default


def rule_label(rule: str) -> str:
    """A targeting rule as the adjective of what it chooses (``top_throughput`` -> "busiest")."""
    return RULE_LABELS.get(rule, words(rule))
