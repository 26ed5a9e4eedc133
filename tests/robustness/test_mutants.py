"""Property: a mutant of a shipped scenario is either refused by `validate` (exit 2, one message) or a short
`run` completes with finite outcomes -- never a traceback, never a hang (each case in a child process
killed after a time bound, since compiled code holds the GIL)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.robustness.harness import run_case, warm
from tests.robustness.mutate import OPERATORS, SHIPPED, dump, mutate, shipped, text_mutants

_BASES = {name: shipped(name) for name in SHIPPED}


@pytest.fixture(scope="module")
def warmed():
    warm()


def check(text: str) -> None:
    out = run_case({"s.yaml": text}, ["validate", "{dir}/s.yaml"], timeout=120)
    assert out.status in ("refused", "completed"), f"{out.status}: {out.detail}"


@pytest.mark.slow
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(SHIPPED), op=st.sampled_from(sorted(OPERATORS)),
       where=st.integers(0, 10 ** 6), choice=st.integers(0, 10 ** 6), second=st.booleans())
def test_mutant_is_refused_or_runs(warmed, name, op, where, choice, second):
    data = mutate(_BASES[name], op, where, choice)
    if second:   # a second, independent mutation: interactions between fields
        data = mutate(data, sorted(OPERATORS)[choice % len(OPERATORS)], where // 7, choice // 3)
    check(dump(data))


@pytest.mark.slow
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(SHIPPED), i=st.integers(0, 10 ** 6))
def test_text_mutant_is_refused_or_runs(warmed, name, i):
    check(text_mutants(dump(_BASES[name]), i))
