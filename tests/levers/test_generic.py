"""The generic lever checks of the library, run over every registered lever on its declared example."""

from __future__ import annotations

import copy
import doctest

import pytest

from counterflow.engine import lever_checks
from counterflow.engine.lever_checks import (
    check_contract,
    check_deterministic,
    check_inert_at_zero,
    check_mass_balance,
    check_out_of_range_refused,
    check_spends_what_it_reports,
)
from counterflow.levers import LEVERS
from counterflow.levers.base import Lever
from counterflow.levers.strike import Strike
from counterflow.schema import Field

TYPES = sorted(LEVERS)


@pytest.mark.parametrize("lever_type", TYPES)
def test_lever_declares_its_contract(lever_type):
    """Each lever documents itself, bounds its numeric parameters, names its intensity and declares an example."""
    check_contract(LEVERS[lever_type])


@pytest.mark.parametrize("lever_type", TYPES)
def test_out_of_range_parameters_are_clear_errors(lever_type, caribbean):
    check_out_of_range_refused(LEVERS[lever_type], caribbean)


@pytest.mark.parametrize("lever_type", TYPES)
def test_deterministic_under_a_seed(lever_type, caribbean_net, caribbean):
    check_deterministic(LEVERS[lever_type], caribbean, net=caribbean_net)


@pytest.mark.parametrize("lever_type", TYPES)
def test_reports_exactly_what_it_spends(lever_type, caribbean_net, caribbean):
    check_spends_what_it_reports(LEVERS[lever_type], caribbean, net=caribbean_net)


@pytest.mark.parametrize("lever_type", TYPES)
def test_never_creates_mass(lever_type, caribbean_net, caribbean):
    check_mass_balance(LEVERS[lever_type], caribbean, net=caribbean_net)


@pytest.mark.parametrize("lever_type", TYPES)
def test_intensity_zero_is_no_lever(lever_type, caribbean_net, caribbean):
    check_inert_at_zero(LEVERS[lever_type], caribbean, net=caribbean_net)


# ---------------------------------------------------------------- the checks can fail

class _Undocumented(Lever):
    type = "undocumented"
    example = {"type": "undocumented"}


class _WideIntensity(Lever):
    type = "wide"
    doc = "an intensity that goes past 1"
    params = (Field("intensity", lo=0.0, hi=2.0, doc="too wide"),)
    example = {"type": "wide"}


class _NoExample(Lever):
    type = "no_example"
    doc = "declares no example"
    intensity = None


@pytest.mark.parametrize(("cls", "words"), [(_Undocumented, "set 'doc'"), (_WideIntensity, r"range over \[0, 1\]"),
                                            (_NoExample, "declare an 'example'")])
def test_contract_check_names_what_is_missing(cls, words):
    with pytest.raises(AssertionError, match=words):
        check_contract(cls)


class _Reckless(Strike):
    """A third-party strike that ignores its damage parameter: the inert-at-zero check must catch it."""

    type = "reckless_strike"
    example = dict(Strike.example, type="reckless_strike")

    def fire(self, state, rng):
        self.p = dict(self.p, damage=1.0)
        return super().fire(state, rng)


def test_checks_catch_a_lever_acting_at_zero(caribbean_net, caribbean, monkeypatch):
    monkeypatch.setitem(LEVERS, _Reckless.type, _Reckless)
    check_contract(_Reckless)
    with pytest.raises(AssertionError, match="reckless_strike: at damage=0"):
        check_inert_at_zero(_Reckless, caribbean, net=caribbean_net, steps=12)


def test_docstring_example_runs():
    failed, tried = doctest.testmod(lever_checks, optionflags=doctest.ELLIPSIS)[:2]
    assert tried and not failed


def test_examples_are_not_shared_mutably():
    """The checks copy an example before changing it, so the class keeps what it declared."""
    before = copy.deepcopy({t: (c.example, c.example_companions) for t, c in LEVERS.items()})
    check_out_of_range_refused(LEVERS["blockade"])
    assert before == {t: (c.example, c.example_companions) for t, c in LEVERS.items()}
