"""Model-wide constants: the ``parameters:`` block of a scenario.

Every constant is declared once here with its default, range and meaning;
scenario files may override any of them.
"""

from __future__ import annotations

from dataclasses import field as dc_field
from dataclasses import make_dataclass

from .schema import Field

__all__ = ["Parameters", "PARAMETER_FIELDS"]

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
    Field("loss_at_market_value", lo=0.0, hi=1.0, default=0.0,
          doc="how organisations value a load they may lose: 0 = its replacement cost where it is (production "
              "plus transport and expected losses so far), 1 = the market price it would sell for"),
    Field("diversification", lo=0.0, hi=100.0, default=0.0,
          doc="relative risk aversion over losing a route's loads together: organisations plan on expected loss plus "
              "this weight times the variance of their loss over the value at stake, so an edge's perceived risk "
              "cost rises with the share of the kilograms it carries and loads spread (0 = linear risk, no motive "
              "to spread)"),
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


def _annotation(f: Field) -> type:
    return int if f.kind == "int" else float


# The record type is made from the declarations above, so each constant's default lives in one place.
Parameters = make_dataclass(
    "Parameters",
    [(f.name, _annotation(f), dc_field(default=f.default)) for f in PARAMETER_FIELDS],
    frozen=True,
)
Parameters.__module__ = __name__  # so that pickling (process pools, Dask) finds it
Parameters.__doc__ = "Validated model constants (see :data:`PARAMETER_FIELDS` for defaults, ranges and meanings)."
