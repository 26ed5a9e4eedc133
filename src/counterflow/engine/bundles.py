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
  base levels and constants.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Topology", "Organisations", "OrgPlan", "StepInputs", "Accounts", "Learning", "Economy", "Trade",
           "ProductionRule", "Jurisdictions", "Pressures", "SocietyBase", "SocietyRates"]


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


class Trade(NamedTuple):
    """What the start of a step reads of the run and changes in place: the organisations' goods and cash, the
    prices and finances (arrays of the RunState, ``frozen`` computed for the step)."""

    stock: np.ndarray        # [O, N] kg (loads land in it, markets empty it, production adds to it)
    transit: np.ndarray      # [O, E, L] kg on edges by arrival slot (the slot due now is emptied)
    cash: np.ndarray         # [O] USD
    price: np.ndarray        # [M]
    expect: np.ndarray       # [O] expected price index (changed in place)
    frozen: np.ndarray       # [O] cash production may not spend (frozen by sanctions, net of credit)
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
