"""Lever phases and per-step modifiers: levers fire in phase order, and a modifier a lever declares is created
and reset by the run state each step, without an edit to ``Engine.step``."""

from __future__ import annotations

import numpy as np
import pytest

from counterflow import Engine
from counterflow.engine.state import MODIFIERS, RunState
from counterflow.levers import LEVERS, Lever, Modifier, Phase
from counterflow.levers.support import IntelSharing
from counterflow.strategy import parse_strategy


def test_every_built_in_lever_has_a_named_phase():
    """Each lever's phase is a member of ``Phase`` (no bare number), and ``order`` says the same."""
    for cls in LEVERS.values():
        assert isinstance(cls.phase, Phase), cls.type
        assert cls.order == int(cls.phase)
    assert LEVERS["intel_sharing"].phase < LEVERS["police_support"].phase < LEVERS["strike"].phase


def test_a_lever_written_with_a_numeric_order_keeps_it():
    """A lever that sets the old ``order`` number (and no phase) sorts where it said."""
    class Old(Lever):
        type = "old-style"
        order = 35

    assert Old.phase == 35 and Old.order == 35


def test_levers_fire_in_phase_order_whatever_the_strategy_order(caribbean_net):
    """A strike listed before intelligence sharing still fires after it within the step."""
    strategy = parse_strategy({"name": "s", "levers": [
        {"type": "strike", "targets": {"nodes": ["port_main"]}, "schedule": {"start": 0, "every": 4}},
        {"type": "intel_sharing", "intensity": 0.9, "schedule": {"start": 0}},
    ]}, scenario=caribbean_net.scenario)
    engine = Engine(caribbean_net, strategy, 1)
    assert [lv.type for lv in engine.levers] == ["intel_sharing", "strike"]
    engine.run(2)
    first = [r.type for r in engine.reports if r.step == 0]
    assert first == ["intel_sharing", "strike"]


def test_reset_modifiers_resets_every_built_in_modifier(caribbean_net):
    """Every built-in modifier is back at its value after a reset; lasting state is untouched."""
    s = RunState.initial(caribbean_net)
    for m in MODIFIERS:
        v = getattr(s, m.name)
        if isinstance(v, np.ndarray):
            v[:] = 0.5
        else:
            setattr(s, m.name, 0.5)
    s.cap_factor[:] = 0.25
    s.reset_modifiers()
    for m in MODIFIERS:
        assert np.all(np.asarray(getattr(s, m.name)) == m.value), m.name
    assert np.all(s.cap_factor == 0.25)


class _Flagging(IntelSharing):
    """Intel sharing that also writes a modifier of its own, and records what it found before writing."""

    modifiers = (Modifier("flag_add", "edge", "a test modifier", value=0.0),
                 Modifier("flag_level", "scalar", "a test scalar modifier", value=-1.0))
    seen: list = []

    def fire(self, state, rng):
        _Flagging.seen.append((float(state.flag_add.sum()), state.flag_level))
        state.flag_add[:] = 1.0
        state.flag_level = 3.0
        return super().fire(state, rng)


def test_a_declared_modifier_is_created_and_reset_each_step(caribbean_net, monkeypatch):
    """A lever's own modifier exists on the state and is reset before the levers act each step."""
    monkeypatch.setitem(LEVERS, "intel_sharing", _Flagging)
    _Flagging.seen = []
    strategy = parse_strategy({"name": "s", "levers": [
        {"type": "intel_sharing", "intensity": 0.5, "schedule": {"start": 0}}]}, scenario=caribbean_net.scenario)
    engine = Engine(caribbean_net, strategy, 1)
    assert engine.state.flag_add.shape == (caribbean_net.n_edges,)
    engine.run(4)
    assert _Flagging.seen == [(0.0, -1.0)] * 4


def test_a_modifier_cannot_overwrite_the_state(caribbean_net):
    s = RunState.initial(caribbean_net)
    with pytest.raises(ValueError, match="overwrite"):
        s.add_modifiers([Modifier("stock", "node")], caribbean_net)
    with pytest.raises(ValueError, match="axis"):
        s.add_modifiers([Modifier("x_add", "market")], caribbean_net)
