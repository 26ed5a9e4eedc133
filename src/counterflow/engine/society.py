"""Society: harm, hardship, backlash, cooperation, corruption and recruitment.

Called once per step after markets and rebuilding. Levers write this step's
pressures (``revenue_cut``, ``aid``, harm and foreign strikes in the step
log, corruption after arrests); this module turns them into the lasting
state of each jurisdiction and organisation:

* hardship follows revenue cuts (blockades) and falls with aid;
* backlash rises with harm, with strikes on another state's soil and with
  hardship, decays over time, and decays faster with aid;
* cooperation is what backlash leaves (police support and intelligence
  sharing are scaled by it);
* corruption falls slowly while a blockade cuts state revenue (less money
  to buy protection) and drifts back towards its base level otherwise;
* recruitment: each organisation's labour moves towards its base level
  scaled up by backlash and hardship in the states where it operates and
  down by aid there (the "rally" effect).

Constants are the scenario's parameters (see :mod:`counterflow.params`).
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np
from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile
from ..network import Network
from ..params import Parameters
from .bundles import Jurisdictions, Pressures, SocietyBase, SocietyRates, as_bundle
from .state import RunState

__all__ = ["update_society", "cooperation", "SOCIETY_DEFAULTS", "SOCIETY_PARAMETERS", "org_jurisdictions",
           "society_arrays", "jurisdiction_arrays"]

SOCIETY_PARAMETERS = ("hardship_persistence", "aid_backlash_relief", "blockade_corruption_rate",
                      "corruption_recovery", "recruit_per_backlash", "recruit_per_hardship",
                      "recruit_aid_relief", "labour_adjust")
# default values of the society constants (declared with their ranges in counterflow.params)
SOCIETY_DEFAULTS = {name: getattr(Parameters(), name) for name in SOCIETY_PARAMETERS}


def cooperation(state: RunState) -> np.ndarray:
    """Local cooperation per jurisdiction [J]: what backlash leaves of it (:meth:`RunState.cooperation`)."""
    return state.cooperation()


def org_jurisdictions(net: Network) -> np.ndarray:
    """[O, J] weights: share of each organisation's non-market nodes in each jurisdiction."""
    cached = net.cache.get("org_juris")
    if cached is None:
        n_j = len(net.juris_ids)
        own = net.org_allowed & ~net.kind_mask("market")[None, :]
        w = np.zeros((net.n_orgs, n_j))
        for o in range(net.n_orgs):
            w[o] = np.bincount(net.node_juris[own[o]], minlength=n_j)
        cached = net.cache["org_juris"] = w / np.maximum(w.sum(axis=1, keepdims=True), 1.0)
    return cached


#: The run state's arrays in :class:`~counterflow.engine.bundles.Jurisdictions`' field order, as a plain tuple.
jurisdiction_arrays = attrgetter(*Jurisdictions._fields)


def society_arrays(net: Network) -> tuple[tuple, tuple]:
    """The society's base levels and constants (:class:`SocietyBase`, :class:`SocietyRates`) as plain tuples,
    once per compiled network."""
    fixed: tuple[tuple, tuple] | None = net.cache.get("society")
    if fixed is None:
        base = SocietyBase(net.juris_corruption, net.juris_revenue, net.org_labour, org_jurisdictions(net))
        fixed = net.cache["society"] = (tuple(base), tuple(society_rates(net.scenario.parameters)))
    return fixed


def update_society(net: Network, state: RunState) -> None:
    """Advance hardship, backlash, corruption, state revenue and labour by one step (the engine does this inside
    its close of a step, :func:`counterflow.engine._kernels.close_step`)."""
    log = state.log
    _society_kernel(
        jurisdiction_arrays(state), (state.revenue_cut, state.aid, log.harm_by_juris, log.foreign_strikes),  # Pressures
        *society_arrays(net))


def society_rates(p: Parameters) -> SocietyRates:
    """The society's constants from the scenario's parameters."""
    return SocietyRates(*(float(x) for x in (
        p.hardship_persistence, p.backlash_per_harm, p.backlash_per_foreign_strike, p.backlash_per_hardship,
        p.backlash_decay, p.aid_backlash_relief, p.blockade_corruption_rate, p.corruption_recovery,
        p.recruit_per_backlash, p.recruit_per_hardship, p.recruit_aid_relief, p.labour_adjust)))


@njit(cache=True)
def _society_kernel(state, pressure, base, rates):  # pragma: no cover - compiled
    """In-place society update of ``state`` (:class:`~counterflow.engine.bundles.Jurisdictions`) under this step's
    ``pressure`` (:class:`~counterflow.engine.bundles.Pressures`), towards ``base``
    (:class:`~counterflow.engine.bundles.SocietyBase`) at ``rates``
    (:class:`~counterflow.engine.bundles.SocietyRates`); the equations are those in the module docstring."""
    state, pressure = as_bundle(Jurisdictions, state), as_bundle(Pressures, pressure)  # the fields' names
    base, rates = as_bundle(SocietyBase, base), as_bundle(SocietyRates, rates)
    hardship, backlash, corruption, revenue, labour = (state.hardship, state.backlash, state.corruption,
                                                       state.revenue, state.labour)
    revenue_cut, aid, harm, foreign = pressure.revenue_cut, pressure.aid, pressure.harm, pressure.foreign_strikes
    n_j = hardship.shape[0]
    for j in range(n_j):
        hardship[j] = max(0.0, rates.persistence * hardship[j] + revenue_cut[j] - aid[j])
        rise = rates.per_harm * harm[j] + rates.per_foreign * foreign[j] + rates.per_hardship * hardship[j]
        decay = min(max(rates.backlash_decay + rates.aid_relief * aid[j], 0.0), 1.0)
        backlash[j] = min(max(backlash[j] * (1.0 - decay) + rise * (1.0 - backlash[j]), 0.0), 1.0)
        corr = corruption[j] * (1.0 - rates.blockade_rate * revenue_cut[j])
        corr += rates.corr_recovery * (base.corruption[j] - corr)
        corruption[j] = min(max(corr, 0.0), 1.0)
        revenue[j] = base.revenue[j] * (1.0 - revenue_cut[j])
    for o in range(labour.shape[0]):
        pressure_o = 0.0
        for j in range(n_j):
            pressure_o += base.weights[o, j] * (rates.recruit_backlash * backlash[j]
                                                + rates.recruit_hardship * hardship[j] - rates.recruit_aid * aid[j])
        target = base.labour[o] * max(1.0 + pressure_o, 0.0)
        labour[o] += rates.labour_adjust * (target - labour[o])
