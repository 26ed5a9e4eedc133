"""Named bundles of arrays the compiled kernels take, grouped by meaning.

Each bundle is a :class:`typing.NamedTuple`: Numba compiles a function taking
one as it does for positional arguments (attribute access is resolved at
compile time, the arrays are the same arrays, no copy), the kernels' on-disk
cache keeps working (a bundle's type is its class and its fields' types), and
inside compiled code passing a bundle costs nothing. From Python each call
types every field, as it types every positional argument, so a bundle is built
where it is used and the kernels called once per step take them.

* :class:`Topology` — the network's fixed arrays (built once per engine);
* :class:`Organisations` — the organisations' run state the movement kernels
  read and change in place (the :class:`~counterflow.engine.state.RunState`'s
  own arrays);
* :class:`OrgPlan` — one organisation's view for its plan this step;
* :class:`StepInputs` — what this step's planning and dispatch read, computed
  before movement (costs, values, seizure probabilities, dice);
* :class:`Accounts` — what movement books as the organisations move in turn
  (residual capacities and totals);
* :class:`Learning` — the parameters of learning and planning;
* :class:`Economy`, :class:`Trade` and :class:`ProductionRule` — what the start of a step
  (sales and production) reads: fixed arrays, the run's goods, prices and finances, constants
  (only what it reads: each array passed from Python costs its unboxing at every call);
* :class:`Jurisdictions`, :class:`Pressures`, :class:`SocietyBase` and
  :class:`SocietyRates` — the society update's state, this step's pressures,
  base levels and constants;
* :class:`Conditions`, :class:`Exposure` and :class:`MoveRule` — what the move phase reads besides the
  organisations: this step's modifiers, prices and finances (RunState arrays), the fixed seizure,
  valuation and market arrays, and the constants;
* :class:`Sales` and :class:`Scratch` — the step's intermediate arrays, allocated once per run and
  overwritten by the phase kernels (a kernel that returns an array pays for boxing it; one that writes
  into a buffer does not), in two bundles so that each phase is passed only what it reads;
* :class:`Books`, :class:`Closing`, :class:`Records` and :class:`Totals` — what the close of a step
  updates (goods, prices, observations), its fixed arrays and constants, the recorder's arrays and
  the step's totals;
* :class:`Adaptation` and :class:`AdaptRule` — what adaptation's common path (smoothed losses and the
  calm counter) reads and changes, and its constants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba.core import types
from numba.extending import overload

__all__ = ["Topology", "Organisations", "OrgPlan", "StepInputs", "Accounts", "Learning", "Economy", "Trade",
           "ProductionRule", "Jurisdictions", "Pressures", "SocietyBase", "SocietyRates", "Conditions", "Exposure",
           "MoveRule", "Sales", "Scratch", "Books", "Closing", "Records", "Totals", "Adaptation", "AdaptRule", "pack",
           "zeros_packed", "as_bundle"]


class Topology(NamedTuple):
    """The network's fixed arrays: nodes ``[N]``, edges ``[E]``, markets ``[M]``, organisations ``[O]``."""

    is_source: np.ndarray      # [N] bool: producing sites
    edge_src: np.ndarray       # [E]
    edge_dst: np.ndarray       # [E]
    edge_time: np.ndarray      # [E] steps a load spends on the edge
    edge_load_kg: np.ndarray   # [E] kg per load (seizures strike whole loads)
    edge_cap: np.ndarray       # [E] kg/step
    node_cap: np.ndarray       # [N] kg/step (inf: unlimited)
    market_node: np.ndarray    # [M] node of each market
    base_p: np.ndarray         # [E] base seizure probability (what an unused edge's belief returns to)
    risk_aversion: np.ndarray  # [O]


class Organisations(NamedTuple):
    """The organisations' run state movement reads and changes in place (arrays of the RunState)."""

    open_node: np.ndarray    # [O, N] bool
    open_edge: np.ndarray    # [O, E] bool
    risk_belief: np.ndarray  # [O, E] perceived seizure probability
    node_fear: np.ndarray    # [O, N] perceived loss probability at nodes
    stock: np.ndarray        # [O, N] kg
    prev_out: np.ndarray     # [O, N] planned out-flow at the last step
    route: np.ndarray        # [O, E] the last planned flow through each edge's tail (where unplanned stock goes)
    transit: np.ndarray      # [O, E, L] kg on edges by arrival slot
    cash: np.ndarray         # [O] USD
    last_used: np.ndarray    # [O, N] last step a node carried the organisation's flow


class OrgPlan(NamedTuple):
    """One organisation's view for its plan this step (rows of :class:`Organisations` and :class:`StepInputs`)."""

    open_node: np.ndarray    # [N] bool
    open_edge: np.ndarray    # [E] bool
    belief: np.ndarray       # [E]
    fear: np.ndarray         # [N]
    stock: np.ndarray        # [N]
    prev_out: np.ndarray     # [N]
    worth: np.ndarray        # [N] what a kg leaving each node is worth to it (``load_values``)
    tranche_cap: np.ndarray  # [M, K] its share of each market's demand tranches
    risk_aversion: float
    scale: float             # share of its source supply its free cash pays for (``cash_scale``)
    market_value: float      # mean price of its markets


class StepInputs(NamedTuple):
    """What this step's planning and dispatch read, computed before movement."""

    edge_cost: np.ndarray      # [E] USD/kg, with lever additions
    cap_factor: np.ndarray     # [N] share of node capacity intact
    split: np.ndarray          # [N] bool: nodes whose capacity binds (finite or damaged)
    worth: np.ndarray          # [O, N] ``load_values``
    tranche_width: np.ndarray  # [O, M, K] each organisation's share of the demand tranches
    tranche_rev: np.ndarray    # [M, K] revenue per kg of each tranche
    p_seize: np.ndarray        # [O, E] seizure probability per load (per organisation: protection)
    uniforms: np.ndarray       # [O, E] this step's dice (negative: the expected loss, the warm-up)
    arrived: np.ndarray        # [O, N] kg landed this step
    scale: np.ndarray          # [O] ``cash_scale``
    market_value: np.ndarray   # [O]


class Accounts(NamedTuple):
    """What movement books as the organisations move in turn."""

    resid_edge: np.ndarray     # [E] capacity left by the organisations that moved before
    resid_node: np.ndarray     # [N]
    sent_all: np.ndarray       # [E] kg sent over all organisations
    out_all: np.ndarray        # [N] kg leaving each node
    seized_by_org: np.ndarray  # [O]
    sent_by_org: np.ndarray    # [O]


class Learning(NamedTuple):
    """Parameters of learning and planning (:mod:`counterflow.params`)."""

    learning_rate: float    # belief moves this share towards each observed loss rate
    forget_rate: float      # an unused edge's belief returns this share towards its base; fear fades by it
    diversification: float  # convex perceived risk in volume (0: linear)


class Economy(NamedTuple):
    """The organisations' fixed economy, with the network's arrays the start of a step reads (where loads land,
    where they sell)."""

    edge_dst: np.ndarray        # [E] node where a load on each edge lands
    market_node: np.ndarray     # [M] node of each market
    production: np.ndarray      # [O, N] kg/step each organisation produces at each site (base)
    base_labour: np.ndarray     # [O] labour at its base level (> 0)
    market_allowed: np.ndarray  # [O, M] bool: the markets each organisation sells at
    ref_price: np.ndarray       # [M] reference price
    credit: np.ndarray          # [O] suppliers' credit line: frozen cash net of it binds


class Trade(NamedTuple):
    """What the start of a step reads of the run and changes in place: the organisations' goods and cash, the
    prices and finances (the RunState's arrays of these names)."""

    stock: np.ndarray        # [O, N] kg (loads land in it, markets empty it, production adds to it)
    transit: np.ndarray      # [O, E, L] kg on edges by arrival slot (the slot due now is emptied)
    cash: np.ndarray         # [O] USD
    price: np.ndarray        # [M]
    price_expect: np.ndarray  # [O] expected price index (changed in place)
    frozen: np.ndarray       # [O] cash frozen by sanctions (production may not spend it beyond the credit line)
    revenue_tax: np.ndarray  # [O] share of revenue lost to laundering
    labour: np.ndarray       # [O]
    cap_factor: np.ndarray   # [N] share of each site's capacity intact


class ProductionRule(NamedTuple):
    """Constants of sales and production (:mod:`counterflow.params`)."""

    supply_elasticity: float
    max_multiple: float
    buffer_steps: float
    production_cost: float
    expect_rate: float
    labour_elasticity: float


class Jurisdictions(NamedTuple):
    """The society's lasting state per jurisdiction ``[J]`` and the organisations' labour ``[O]`` (in place)."""

    hardship: np.ndarray
    backlash: np.ndarray
    corruption: np.ndarray
    revenue: np.ndarray
    labour: np.ndarray


class Pressures(NamedTuple):
    """This step's pressures per jurisdiction ``[J]``, written by levers."""

    revenue_cut: np.ndarray
    aid: np.ndarray
    harm: np.ndarray
    foreign_strikes: np.ndarray


class SocietyBase(NamedTuple):
    """Base levels the society returns to, and each organisation's weight on each jurisdiction ``[O, J]``."""

    corruption: np.ndarray
    revenue: np.ndarray
    labour: np.ndarray
    weights: np.ndarray


class SocietyRates(NamedTuple):
    """The society's constants (:mod:`counterflow.params`)."""

    persistence: float
    per_harm: float
    per_foreign: float
    per_hardship: float
    backlash_decay: float
    aid_relief: float
    blockade_rate: float
    corr_recovery: float
    recruit_backlash: float
    recruit_hardship: float
    recruit_aid: float
    labour_adjust: float


class Conditions(NamedTuple):
    """This step's conditions the move phase reads (RunState arrays): lever modifiers, prices, finances."""

    edge_risk_add: np.ndarray  # [E]
    node_enf_add: np.ndarray   # [N]
    edge_cost_add: np.ndarray  # [E]
    corruption: np.ndarray     # [J]
    price: np.ndarray          # [M]
    cap_factor: np.ndarray     # [N] share of node capacity intact
    frozen: np.ndarray         # [O] cash frozen by sanctions
    hop_cost: np.ndarray       # [O] USD per kg and edge at the last step (changed in place)
    spend: np.ndarray          # [O] USD spent at the last step (changed in place)
    protection: np.ndarray     # [O, J] USD paid to each jurisdiction's officials at the last step


class Exposure(NamedTuple):
    """Fixed arrays of the move phase beyond the topology: seizure rates, money costs, valuation, markets."""

    edge_risk: np.ndarray       # [E] base seizure probability per load
    node_enf: np.ndarray        # [N] enforcement at the node a load leaves
    node_juris: np.ndarray      # [N]
    edge_cost: np.ndarray       # [E] USD/kg before lever additions
    producer: np.ndarray        # [O, N] bool: the organisation produces there
    out_start: np.ndarray       # [N + 1] CSR segments of out-edges
    out_order: np.ndarray       # [E]
    finite_cap: np.ndarray      # [N] bool: a node whose capacity is finite
    market_allowed: np.ndarray  # [O, M] bool
    elasticity: np.ndarray      # [M] demand elasticity
    tranche_mid: np.ndarray     # [K] demand tranches' mid-points (:mod:`counterflow.engine.planning`)
    tranche_width: np.ndarray   # [O, M, K] each organisation's share of the demand tranches
    credit: np.ndarray          # [O] suppliers' credit line
    ref_price: np.ndarray       # [M] reference price: the anchor of each market's inverse demand curve


class MoveRule(NamedTuple):
    """Constants of the move phase (:mod:`counterflow.params`)."""

    production_cost: float
    at_market: float       # ``loss_at_market_value``
    payout_rate: float
    reserve_steps: float   # ``cash_reserve_steps``
    protection_half_cost: float  # USD of protection that buys off half of the honest officials
    deterministic: bool    # the warm-up: no dice, cash does not bind


class Sales(NamedTuple):
    """What the start of a step sold, landed and produced (written by ``begin_step``, read by the move and the close)."""

    delivered: np.ndarray     # [M] kg sold at each market
    arrived: np.ndarray       # [O, N] kg landed
    revenue: np.ndarray       # [O]
    produced: np.ndarray      # [O] kg


class Scratch(NamedTuple):
    """The move phase's intermediate arrays: what planning reads, what movement books (read by adaptation and the
    close)."""

    edge_cost: np.ndarray     # [E] USD/kg with lever additions
    split: np.ndarray         # [N] bool: nodes whose capacity binds (finite or damaged)
    worth: np.ndarray         # [O, N] ``load_values``
    p_seize: np.ndarray       # [O, E] (per organisation: protection)
    market_value: np.ndarray  # [O]
    tranche_rev: np.ndarray   # [M, K]
    scale: np.ndarray         # [O] ``cash_scale``
    cash_before: np.ndarray   # [O] cash before movement
    sent_all: np.ndarray      # [E] kg sent over all organisations
    out_all: np.ndarray       # [N] kg leaving each node
    seized: np.ndarray        # [O] kg seized from each organisation
    sent: np.ndarray          # [O] kg each organisation sent
    loss_share: np.ndarray    # [O] share of what it moved that it lost (seized or destroyed): adaptation reads it
    paid: np.ndarray          # [O] USD paid for protection this step


class Books(NamedTuple):
    """What the close of a step updates (RunState arrays): goods, prices, the observed flows, cash."""

    stock: np.ndarray          # [O, N]
    transit: np.ndarray        # [O, E, L]
    price: np.ndarray          # [M]
    supply_smooth: np.ndarray  # [M]
    node_flow: np.ndarray      # [N] what enforcement observes next step
    edge_flow: np.ndarray      # [E]
    cash: np.ndarray           # [O]


class Closing(NamedTuple):
    """Fixed arrays and constants of the close of a step (storage, markets, price adjustment)."""

    storage: np.ndarray      # [N] kg an organisation can hold at a node
    market_node: np.ndarray  # [M]
    ref_price: np.ndarray    # [M]
    ref_demand: np.ndarray   # [M]
    elasticity: np.ndarray   # [M]
    delivery_smoothing: float
    price_smoothing: float
    price_floor: float
    price_cap: float


class Records(NamedTuple):
    """A recorder's arrays (:class:`~counterflow.engine.record.Recorder`), step first; the series in
    :data:`~counterflow.engine.record.SERIES` order, then the balance and the flows."""

    delivered: np.ndarray
    price: np.ndarray
    seized: np.ndarray
    destroyed: np.ndarray
    produced: np.ndarray
    stock: np.ndarray
    in_transit: np.ndarray
    active_nodes: np.ndarray
    active_edges: np.ndarray
    route_entropy: np.ndarray
    harm: np.ndarray
    hardship: np.ndarray
    backlash: np.ndarray
    cost: np.ndarray
    revenue: np.ndarray
    cash: np.ndarray
    balance: np.ndarray          # [T, 6]
    node_flow_total: np.ndarray  # [N]
    edge_flow: np.ndarray        # [T, E] float32 ([0, E] when flows are not kept)
    node_flow: np.ndarray        # [T, N] float32 ([0, N] when flows are not kept)


class Totals(NamedTuple):
    """The step's totals the record needs, and the run's cumulative accounts before the close."""

    produced: float       # kg produced this step
    seized: float         # kg seized this step
    destroyed: float      # kg destroyed by levers this step (spoilage is added by the close)
    harm: float
    cost: float           # USD spent on levers
    cum_produced: float
    cum_delivered: float
    cum_seized: float
    cum_destroyed: float


class Adaptation(NamedTuple):
    """What adaptation's common path reads and changes (RunState arrays of these names)."""

    loss_smooth: np.ndarray  # [O] smoothed loss share (changed in place)
    calm_steps: np.ndarray   # [O] int: consecutive steps with low losses (changed in place)
    cash: np.ndarray         # [O] USD (an organisation that can pay may open a site)
    frozen: np.ndarray       # [O] cash frozen by sanctions
    opened_at: np.ndarray    # [O, N] int: step a dormant node was opened, -1 if not


class AdaptRule(NamedTuple):
    """Adaptation's tolerances and constants (:mod:`counterflow.params`)."""

    tolerance: np.ndarray    # [O] loss share each organisation tolerates
    loss_smoothing: float
    open_cost: float         # USD to open one dormant site
    consolidate_after: int   # calm steps before idle sites close
    has_sites: bool          # the network has dormant sites at all


def pack(arrays: list[np.ndarray], dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """``arrays`` copied one after another into one block of ``dtype``: ``(block, bounds [F + 1])``, region ``k``
    being ``block[bounds[k]:bounds[k + 1]]`` (``arrays[k]`` raveled in C order).

    A compiled call takes the block and the bounds (two arrays to unbox instead of F) and cuts the same views
    (``_kernels.region``)."""
    bounds = np.zeros(len(arrays) + 1, np.int64)
    np.cumsum([a.size for a in arrays], out=bounds[1:])
    block: np.ndarray = np.concatenate([a.ravel() for a in arrays]).astype(dtype, copy=False)
    return block, bounds


def zeros_packed(shapes: Sequence[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A block of float zeros holding arrays of ``shapes`` one after another: ``(block, bounds, views)``, as
    :func:`pack` lays them out, ``views[k]`` region ``k`` in shape ``shapes[k]`` (C order, a view of the block)."""
    bounds = np.zeros(len(shapes) + 1, np.int64)
    np.cumsum([math.prod(shape) for shape in shapes], out=bounds[1:])
    block = np.zeros(int(bounds[-1]))
    ends = bounds.tolist()
    return block, bounds, [block[ends[k]:ends[k + 1]].reshape(shape) for k, shape in enumerate(shapes)]


def as_bundle(cls, x):
    """``x`` as the bundle ``cls`` (a kernel's first lines name its bundles' fields this way): a plain tuple, as
    Python passes bundles, is repacked (``cls(*x)``); in compiled code a bundle that is already of that class is
    taken as it is.

    Repacking a bundle that is one already is not free in compiled code: a kernel that repacked its four bundles
    (some 35 arrays) cost about 3 µs a call more than one that took them as they were (``docs/benchmarks.md``), and a
    step called such kernels some twenty times.
    """
    return x if isinstance(x, cls) else cls(*x)


@overload(as_bundle)
def _as_bundle(cls, x):  # pragma: no cover - compiled
    if isinstance(x, types.BaseNamedTuple) and x.instance_class is cls.instance_class:
        return lambda cls, x: x
    return lambda cls, x: cls(*x)
