"""Medicare Part D defined standard benefit, as a BenefitDesign the engine can price.

Parameters from CMS's annual Part D announcements (post-IRA redesign: no coverage gap; after
the deductible the member pays 25% until the out-of-pocket threshold, then nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rxportal.pricing.engine import (
    BenefitDesign,
    Channel,
    CostShare,
    EngineInputError,
    Tier,
)


@dataclass(frozen=True, slots=True)
class PartDParameters:
    deductible: Decimal
    oop_threshold: Decimal
    coinsurance: Decimal
    insulin_monthly_cap: Decimal


PART_D_STANDARD: dict[int, PartDParameters] = {
    2025: PartDParameters(
        deductible=Decimal("590.00"),
        oop_threshold=Decimal("2000.00"),
        coinsurance=Decimal("0.25"),
        insulin_monthly_cap=Decimal("35.00"),
    ),
    2026: PartDParameters(
        deductible=Decimal("615.00"),
        oop_threshold=Decimal("2100.00"),
        coinsurance=Decimal("0.25"),
        insulin_monthly_cap=Decimal("35.00"),
    ),
}


def part_d_standard_design(year: int) -> BenefitDesign:
    """The defined standard benefit for `year`: the same 25% on every tier and channel.

    Part D accumulators are per person, so there is no family deductible or cap. Out-of-network
    pharmacies are treated as not covered (Part D pays them only in emergencies).
    """
    params = PART_D_STANDARD.get(year)
    if params is None:
        known = ", ".join(str(y) for y in sorted(PART_D_STANDARD))
        raise EngineInputError(f"No Part D standard benefit for {year}; known years: {known}.")
    share = CostShare(coinsurance=params.coinsurance)
    return BenefitDesign(
        code=f"PARTD-STD-{year}",
        plan_year=year,
        deductible_individual=params.deductible,
        oop_max_individual=params.oop_threshold,
        deductible_family=None,
        oop_max_family=None,
        cost_shares={(tier, channel): share for tier in Tier for channel in Channel},
        insulin_monthly_cap=params.insulin_monthly_cap,
        insulin_skips_deductible=True,
        out_of_network_covered=False,
    )
