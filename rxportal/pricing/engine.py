"""The benefit engine: the single place where a claim's money is computed.

Pure Python on purpose (no Django): the same function prices a demo claim, a member's
estimate and an analyst's `test_claim`, and property tests can hammer it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Tier(StrEnum):
    """Da Vinci US Drug Formulary tier codes."""

    GENERIC = "generic"
    PREFERRED_GENERIC = "preferred-generic"
    PREFERRED_BRAND = "preferred-brand"
    NON_PREFERRED_BRAND = "non-preferred-brand"
    SPECIALTY = "specialty"
    ZERO_COST_SHARE_PREVENTATIVE = "zero-cost-share-preventative"


class Channel(StrEnum):
    RETAIL_30 = "retail_30"
    RETAIL_90 = "retail_90"
    MAIL_90 = "mail_90"
    SPECIALTY = "specialty"


class NetworkStatus(StrEnum):
    PREFERRED = "preferred"
    IN_NETWORK = "in_network"
    OUT_OF_NETWORK = "out_of_network"


@dataclass(frozen=True, slots=True)
class CostShare:
    """What the member pays for one tier in one channel once past the deductible.

    Exactly one of `copay` (dollars per fill) or `coinsurance` (a fraction, 0.25 = 25%) is set.
    `minimum` / `maximum` bound a coinsurance amount per fill.
    """

    copay: Decimal | None = None
    coinsurance: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    deductible_applies: bool = True


@dataclass(frozen=True, slots=True)
class BenefitDesign:
    code: str
    plan_year: int
    deductible_individual: Decimal
    oop_max_individual: Decimal
    # None means the plan has no family accumulator (Medicare Part D is per person).
    deductible_family: Decimal | None
    oop_max_family: Decimal | None
    cost_shares: dict[tuple[Tier, Channel], CostShare]
    # Cap per 30-day supply of a covered insulin (IRA: $35 in Part D); None when none.
    insulin_monthly_cap: Decimal | None = None
    insulin_skips_deductible: bool = True
    # Share of the in-network cost share paid out of network; None means not covered out of network.
    out_of_network_covered: bool = False


@dataclass(frozen=True, slots=True)
class Accumulators:
    """Amounts already met this plan year before this claim."""

    deductible_met: Decimal = Decimal("0")
    oop_met: Decimal = Decimal("0")
    family_deductible_met: Decimal = Decimal("0")
    family_oop_met: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class ClaimInput:
    tier: Tier
    drug_cost: Decimal  # the total allowed cost of this fill, dollars
    days_supply: int
    channel: Channel
    is_insulin: bool = False
    network_status: NetworkStatus = NetworkStatus.IN_NETWORK


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    """One readable step, e.g. 'Deductible: you pay the first $120.00 of the cost.'"""

    code: str  # stable, e.g. "deductible", "copay", "coinsurance", "oop_cap", "lesser_of", "insulin_cap"
    text: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Adjudication:
    total_cost: Decimal
    member_pays: Decimal
    plan_pays: Decimal
    deductible_applied: Decimal
    oop_applied: Decimal
    accumulators_after: Accumulators
    explanation: tuple[ExplanationLine, ...] = field(default_factory=tuple)
