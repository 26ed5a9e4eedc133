"""Model-wide constants: the ``parameters:`` block of a scenario.

Every constant is declared once here with its default, range and meaning;
scenario files may override any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .schema import Field

__all__ = ["Parameters", "PARAMETER_FIELDS", "ADDED_WITH_DEFAULT", "model_defaults"]

PARAMETER_FIELDS: tuple[Field, ...] = (
    Field("learning_rate", lo=0.0, hi=1.0, default=0.2,
          doc="weight of this step's observed loss rate in an organisation's perceived risk"),
    Field("forget_rate", lo=0.0, hi=1.0, default=0.05,
          doc="per-step relaxation of perceived risk on unused routes towards the public base risk"),
    Field("loss_smoothing", lo=0.0, hi=1.0, default=0.3,
          doc="weight of this step's loss share in the smoothed loss that triggers expansion"),
    Field("open_cost", lo=0.0, hi=1e12, default=2.0e5, doc="USD to open one dormant site"),
    Field("open_delay", kind="int", lo=0, hi=104, default=3, doc="steps from deciding to open a site to using it"),
    Field("consolidate_after", kind="int", lo=1, hi=1000, default=12,
          doc="steps of low losses after which unused opened sites are closed"),
    Field("rebuild_steps", lo=1.0, hi=1000.0, default=10.0,
          doc="steps to rebuild a destroyed node when cash and labour are ample"),
    Field("rebuild_cost", lo=0.0, hi=1e9, default=100.0,
          doc="USD per kg/step of node capacity rebuilt"),
    Field("production_cost", lo=0.0, hi=1e6, default=1500.0, doc="USD per kg produced"),
    Field("load_kg_land", lo=1.0, hi=1e6, default=500.0, doc="kg per load on land edges (seizures are per load)"),
    Field("load_kg_sea", lo=1.0, hi=1e6, default=1000.0, doc="kg per go-fast boat or vessel"),
    Field("load_kg_air", lo=1.0, hi=1e6, default=400.0, doc="kg per light aircraft"),
    Field("load_kg_river", lo=1.0, hi=1e6, default=800.0, doc="kg per river load"),
    Field("price_smoothing", lo=0.0, hi=1.0, default=0.2,
          doc="weight of this step's target price in the market price"),
    Field("delivery_smoothing", lo=0.0, hi=1.0, default=0.25,
          doc="weight of this step's deliveries in the smoothed supply markets respond to"),
    Field("price_floor", lo=0.0, hi=1.0, default=0.2, doc="lowest price as a share of the reference"),
    Field("price_cap", lo=1.0, hi=100.0, default=5.0, doc="highest price as a multiple of the reference"),
    Field("collateral_factor", lo=0.0, hi=10.0, default=0.5,
          doc="share of a struck site's occupancy harmed at zero intelligence accuracy"),
    Field("intel_harm_reduction", lo=0.0, hi=1.0, default=0.8,
          doc="share of collateral harm avoided at perfect intelligence accuracy"),
    Field("crew_per_boat", lo=0.0, hi=100.0, default=3.0, doc="people aboard one sea load (harm of lethal interdiction)"),
    Field("backlash_decay", lo=0.0, hi=1.0, default=0.05, doc="per-step decay of backlash"),
    Field("backlash_per_harm", lo=0.0, hi=10.0, default=0.02, doc="backlash added per casualty"),
    Field("backlash_per_foreign_strike", lo=0.0, hi=10.0, default=0.05,
          doc="backlash added per strike on another state's soil"),
    Field("backlash_per_hardship", lo=0.0, hi=10.0, default=0.02, doc="backlash added per step per unit of hardship"),
    Field("warmup", kind="int", lo=0, hi=1000, default=52,
          doc="steps simulated once per network, without dice or levers, to reach a steady state"),
    Field("burn_in", kind="int", lo=0, hi=1000, default=13,
          doc="steps each run simulates with its own dice (no levers) after the shared warm-up, before step 0"),
    Field("warmup_max", kind="int", lo=0, hi=2000, default=0,
          doc="most steps the warm-up may run: above warmup, the warm-up goes on after warmup steps until the mean "
              "price index and the deliveries have settled (warmup_tolerance) or this many steps have run, with a "
              "warning then (0, or at most warmup: exactly warmup steps, the model before the rule existed)"),
    Field("warmup_tolerance", lo=0.0, lo_open=True, hi=1.0, default=0.01,
          doc="when the warm-up has settled (only read when warmup_max is above warmup): the means of the mean "
              "price index, and of the deliveries, over each of the last three 13-step windows lie within this "
              "share of their common mean"),
    Field("loss_at_market_value", lo=0.0, hi=1.0, default=0.0,
          doc="how organisations value a load they may lose: 0 = its replacement cost where it is (production "
              "plus transport and expected losses so far), 1 = the market price it would sell for"),
    Field("diversification", lo=0.0, hi=100.0, default=1.0,
          doc="relative risk aversion over losing a route's loads together: organisations plan on expected loss plus "
              "this weight times the variance of their loss over the value at stake, so an edge's perceived risk "
              "cost rises with the share of the kilograms it carries and loads spread (1 = the relative risk aversion "
              "of log utility; 0 = linear risk, no motive to spread)"),
    Field("supply_elasticity", lo=0.0, hi=5.0, default=0.2,
          doc="response of production to the organisation's price index (price / reference)"),
    Field("price_expectation_rate", lo=0.0, hi=1.0, default=0.25,
          doc="weight of this step's price index in the expected price production answers (adaptive "
              "expectations; 1 = naive expectations, today's price)"),
    Field("max_production_multiple", lo=1.0, hi=100.0, default=2.0,
          doc="highest production as a multiple of the scenario's production"),
    Field("stock_buffer_steps", lo=0.0, hi=1000.0, default=4.0,
          doc="steps of production an organisation keeps at its sources before it cuts production"),
    Field("payout_rate", lo=0.0, hi=1.0, default=0.5,
          doc="share of free cash above the working-capital reserve an organisation pays out per step"),
    Field("cash_reserve_steps", lo=0.0, hi=1000.0, default=8.0,
          doc="working-capital reserve an organisation keeps, in steps of its production and transport spending"),
    Field("protection_share", lo=0.0, hi=1.0, default=0.0,
          doc="share of free cash above the working-capital reserve an organisation pays each step to officials for "
              "protection, split over the jurisdictions of its open sites by the enforcement there; it buys the "
              "next step's protection (0 = no protection payments, the model before the mechanism existed)"),
    Field("protection_half_cost", lo=0.0, lo_open=True, hi=1e12, default=1.0e6,
          doc="USD per step paid to one jurisdiction's officials that buys off half of the enforcement corruption "
              "leaves there, for the paying organisation (diminishing returns: B / (B + this))"),
    Field("credit_steps", lo=0.0, hi=1000.0, default=4.0,
          doc="credit an organisation may spend beyond its free cash (product fronted by suppliers), in steps "
              "of its production at production cost"),
    Field("hardship_persistence", lo=0.0, hi=1.0, default=0.8,
          doc="share of last step's hardship that remains"),
    Field("aid_backlash_relief", lo=0.0, hi=10.0, default=0.2, doc="extra backlash decay per unit of aid"),
    Field("blockade_corruption_rate", lo=0.0, hi=10.0, default=0.02,
          doc="relative fall of corruption per step per unit of revenue cut"),
    Field("corruption_recovery", lo=0.0, hi=1.0, default=0.01, doc="per-step pull of corruption back to its base level"),
    Field("recruit_per_backlash", lo=0.0, hi=100.0, default=1.0, doc="relative rise of labour at full backlash"),
    Field("recruit_per_hardship", lo=0.0, hi=100.0, default=0.2, doc="relative rise of labour per unit of hardship"),
    Field("recruit_aid_relief", lo=0.0, hi=100.0, default=0.5, doc="relative fall of recruitment pressure per unit of aid"),
    Field("labour_adjust", lo=0.0, hi=1.0, default=0.1,
          doc="per-step speed at which labour follows recruitment pressure"),
    Field("labour_elasticity", lo=0.0, hi=10.0, default=0.5,
          doc="response of production to the organisation's labour relative to its base (growers and crews)"),
    Field("crew_hazard_pay", lo=0.0, hi=1.0e6, default=3000.0,
          doc="USD per kg added to an edge's cost per unit of lethal interdiction's added seizure probability "
              "(crews demand pay for the risk of death)"),
    Field("recovery_window", kind="int", lo=1, hi=1000, default=4,
          doc="steps in the moving average of delivery used for recovery, and steps the paired difference must "
              "stay inside the band to count as recovered"),
    Field("recovery_threshold", lo=0.0, hi=1.0, default=0.95,
          doc="no longer used (recovery is measured with recovery_band); kept so that files carrying it load"),
    Field("recovery_band", lo=0.0, hi=1.0, default=0.02,
          doc="noise band for recovery: the paired difference in smoothed delivery within this share of the "
              "paired baseline's smoothed delivery counts as no difference"),
)


_DEFAULT: dict[str, Any] = {f.name: f.default for f in PARAMETER_FIELDS}


@dataclass(frozen=True)
class Parameters:
    """Validated model constants (see :data:`PARAMETER_FIELDS` for defaults, ranges and meanings).

    One attribute per declaration in :data:`PARAMETER_FIELDS`, in the same order, its default taken
    from there (a new constant is a ``Field`` above and one line here; importing this module fails
    with a message naming any mismatch).
    """

    learning_rate: float = _DEFAULT["learning_rate"]
    forget_rate: float = _DEFAULT["forget_rate"]
    loss_smoothing: float = _DEFAULT["loss_smoothing"]
    open_cost: float = _DEFAULT["open_cost"]
    open_delay: int = _DEFAULT["open_delay"]
    consolidate_after: int = _DEFAULT["consolidate_after"]
    rebuild_steps: float = _DEFAULT["rebuild_steps"]
    rebuild_cost: float = _DEFAULT["rebuild_cost"]
    production_cost: float = _DEFAULT["production_cost"]
    load_kg_land: float = _DEFAULT["load_kg_land"]
    load_kg_sea: float = _DEFAULT["load_kg_sea"]
    load_kg_air: float = _DEFAULT["load_kg_air"]
    load_kg_river: float = _DEFAULT["load_kg_river"]
    price_smoothing: float = _DEFAULT["price_smoothing"]
    delivery_smoothing: float = _DEFAULT["delivery_smoothing"]
    price_floor: float = _DEFAULT["price_floor"]
    price_cap: float = _DEFAULT["price_cap"]
    collateral_factor: float = _DEFAULT["collateral_factor"]
    intel_harm_reduction: float = _DEFAULT["intel_harm_reduction"]
    crew_per_boat: float = _DEFAULT["crew_per_boat"]
    backlash_decay: float = _DEFAULT["backlash_decay"]
    backlash_per_harm: float = _DEFAULT["backlash_per_harm"]
    backlash_per_foreign_strike: float = _DEFAULT["backlash_per_foreign_strike"]
    backlash_per_hardship: float = _DEFAULT["backlash_per_hardship"]
    warmup: int = _DEFAULT["warmup"]
    burn_in: int = _DEFAULT["burn_in"]
    warmup_max: int = _DEFAULT["warmup_max"]
    warmup_tolerance: float = _DEFAULT["warmup_tolerance"]
    loss_at_market_value: float = _DEFAULT["loss_at_market_value"]
    diversification: float = _DEFAULT["diversification"]
    supply_elasticity: float = _DEFAULT["supply_elasticity"]
    price_expectation_rate: float = _DEFAULT["price_expectation_rate"]
    max_production_multiple: float = _DEFAULT["max_production_multiple"]
    stock_buffer_steps: float = _DEFAULT["stock_buffer_steps"]
    payout_rate: float = _DEFAULT["payout_rate"]
    cash_reserve_steps: float = _DEFAULT["cash_reserve_steps"]
    protection_share: float = _DEFAULT["protection_share"]
    protection_half_cost: float = _DEFAULT["protection_half_cost"]
    credit_steps: float = _DEFAULT["credit_steps"]
    hardship_persistence: float = _DEFAULT["hardship_persistence"]
    aid_backlash_relief: float = _DEFAULT["aid_backlash_relief"]
    blockade_corruption_rate: float = _DEFAULT["blockade_corruption_rate"]
    corruption_recovery: float = _DEFAULT["corruption_recovery"]
    recruit_per_backlash: float = _DEFAULT["recruit_per_backlash"]
    recruit_per_hardship: float = _DEFAULT["recruit_per_hardship"]
    recruit_aid_relief: float = _DEFAULT["recruit_aid_relief"]
    labour_adjust: float = _DEFAULT["labour_adjust"]
    labour_elasticity: float = _DEFAULT["labour_elasticity"]
    crew_hazard_pay: float = _DEFAULT["crew_hazard_pay"]
    recovery_window: int = _DEFAULT["recovery_window"]
    recovery_threshold: float = _DEFAULT["recovery_threshold"]
    recovery_band: float = _DEFAULT["recovery_band"]


def _check_declarations() -> None:
    """Parameters' attributes are exactly PARAMETER_FIELDS, in order, with matching types."""
    declared = [(f.name, "int" if f.kind == "int" else "float") for f in PARAMETER_FIELDS]
    attrs = [(f.name, f.type if isinstance(f.type, str) else f.type.__name__) for f in fields(Parameters)]
    if declared != attrs:
        missing = [n for n, _ in declared if n not in dict(attrs)]
        extra = [n for n, _ in attrs if n not in dict(declared)]
        raise RuntimeError(
            "counterflow/params.py: class Parameters must declare one attribute per PARAMETER_FIELDS entry, in "
            f"the same order and type (missing: {missing or 'none'}; not declared as fields: {extra or 'none'}; "
            "otherwise the order or an int/float type differs)")


_check_declarations()


#: Parameters added after stores began recording the model's defaults, with the default each was
#: introduced with. That default reproduces the model as it was before the parameter existed (for
#: ``protection_share`` 0 and ``warmup_max`` 0 the trajectories are bit-identical, tested; ``protection_half_cost``
#: acts only through a positive share, ``warmup_tolerance`` only through ``warmup_max`` above ``warmup``), and no earlier file could state the parameter, so a store made before it
#: existed holds exactly this model's runs.
ADDED_WITH_DEFAULT: dict[str, Any] = {"protection_share": 0.0, "protection_half_cost": 1.0e6, "warmup_max": 0,
                                      "warmup_tolerance": 0.01}


def model_defaults() -> dict[str, Any]:
    """The model parameters' defaults that decide a run: what a scenario that does not state a parameter runs with.

    Stores record it, and an experiment's fingerprint includes it, so that a store made under other
    defaults is never resumed as if it held this model's runs. A parameter of
    :data:`ADDED_WITH_DEFAULT` is left out while its default is the one it was introduced with (it
    does not change the model then, so stores made before it existed stay resumable); once its
    default changes it counts like any other.
    """
    return {f.name: f.default for f in PARAMETER_FIELDS
            if not (f.name in ADDED_WITH_DEFAULT and f.default == ADDED_WITH_DEFAULT[f.name])}
