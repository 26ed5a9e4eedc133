"""The front merges portfolios at the precision their descriptions write (two rows never read the same)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from counterflow.search.front import shown_key
from counterflow.search.words import _num, describe_portfolio, shown


@given(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
def test_shown_is_the_number_the_description_writes(x):
    assert float(_num(x).replace(",", "")) == shown(x)


def test_portfolios_that_read_the_same_share_a_key_and_others_do_not():
    def aid(level: float) -> list[dict]:
        return [{"type": "humanitarian_aid", "intensity": 0.5, "jurisdiction": "VE", "level": level,
                 "schedule": {"start": 4}}]

    pairs = [(150.3, 150.4), (0.453, 0.449), (99.996, 100.2)]
    for a, b in pairs:
        assert describe_portfolio(aid(a)) == describe_portfolio(aid(b)) and shown_key(aid(a)) == shown_key(aid(b))
    for a, b in [(150.3, 151.2), (0.45, 0.46)]:
        assert describe_portfolio(aid(a)) != describe_portfolio(aid(b)) and shown_key(aid(a)) != shown_key(aid(b))
