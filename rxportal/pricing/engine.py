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
    # True: an out-of-network fill gets the in-network cost share and accrues as usual.
    # False: the plan pays nothing out of network and nothing accrues.
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


class EngineInputError(ValueError):
    """The caller passed something the engine cannot price (negative cost, no days supplied...)."""


class NotCovered(Exception):
    """The design has no cost share for this tier in this channel, even after the 90-day fallbacks."""

    def __init__(self, design_code: str, tier: Tier, channel: Channel) -> None:
        self.design_code = design_code
        self.tier = tier
        self.channel = channel
        super().__init__(
            f"Benefit design {design_code!r} has no cost share for tier {tier.value!r} "
            f"in channel {channel.value!r}."
        )


CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_PER_MONTH = 30
# A 90-day retail fill priced from the 30-day row counts as three 30-day fills.
FILLS_PER_90_DAY_SUPPLY = 3
# The analyst CLI treats 84+ days at retail as a 90-day fill (12 weeks is the usual floor).
RETAIL_90_MIN_DAYS = 84


def channel_for(channel_name: str, days_supply: int) -> Channel:
    """Map the analyst CLI's channel word ('retail', 'mail', 'specialty') to a Channel."""
    if days_supply < 1:
        raise EngineInputError(f"days_supply must be at least 1, got {days_supply}.")
    name = channel_name.strip().lower()
    if name == "retail":
        return Channel.RETAIL_90 if days_supply >= RETAIL_90_MIN_DAYS else Channel.RETAIL_30
    if name == "mail":
        return Channel.MAIL_90
    if name == "specialty":
        return Channel.SPECIALTY
    raise EngineInputError(
        f"Unknown channel {channel_name!r}: expected 'retail', 'mail' or 'specialty'."
    )


def adjudicate(
    design: BenefitDesign,
    accumulators: Accumulators,
    claim: ClaimInput,
    *,
    explain: bool = True,
) -> Adjudication:
    """Price one fill: what the member pays, what the plan pays, and what accrues.

    In order: the deductible takes what is left of it (embedded: the lower of the individual
    and family remainders); the cost share (a copay, or coinsurance bounded by its per-fill
    minimum and maximum) applies to the rest of the cost, never more than that rest; the
    insulin monthly cap limits the whole fill; the out-of-pocket maximum (individual and
    family, embedded) limits it again. So the member never pays more than the drug costs.

    A PREFERRED pharmacy prices like IN_NETWORK (designs carry no preferred-pharmacy rows). A
    covered OUT_OF_NETWORK fill gets the in-network cost share and accrues as usual.

    `explain=False` skips the member-readable lines: bulk demo data never reads them.
    """
    cost = claim.drug_cost
    if not cost.is_finite() or cost < 0:
        raise EngineInputError(f"drug_cost must be a non-negative amount, got {cost}.")
    days_supply = claim.days_supply
    if days_supply < 1:
        raise EngineInputError(f"days_supply must be at least 1, got {days_supply}.")
    cost = cost.quantize(CENT, ROUND_HALF_UP)

    out_of_network = claim.network_status is NetworkStatus.OUT_OF_NETWORK
    if out_of_network and not design.out_of_network_covered:
        return _not_covered_out_of_network(cost, accumulators, explain)

    row, fills = _find_cost_share(design, claim)
    lines: list[ExplanationLine] | None = None
    if explain:
        lines = [ExplanationLine("total", f"The total cost of this fill is {_money(cost)}.", cost)]
        if out_of_network:
            lines.append(_note("out_of_network", _OON_COVERED))
        if fills != 1:
            lines.append(_note("channel_fallback", _FALLBACK_90.format(fills=fills)))

    insulin_cap = design.insulin_monthly_cap if claim.is_insulin else None
    skips_for_insulin = insulin_cap is not None and design.insulin_skips_deductible
    if row.deductible_applies and not skips_for_insulin:
        deductible = _deductible_part(design, accumulators, cost, lines)
    else:
        deductible = ZERO
        if lines is not None:
            why = "covered insulin" if row.deductible_applies else "drugs in this tier"
            lines.append(_note("deductible_skipped", f"The deductible does not apply to {why}."))

    rest = cost - deductible
    member = deductible
    if rest > 0:
        member += _cost_share_part(design, claim, row, fills, rest, deductible > 0, lines)

    if insulin_cap is not None:
        months = (days_supply + DAYS_PER_MONTH - 1) // DAYS_PER_MONTH
        cap = (insulin_cap * months).quantize(CENT, ROUND_HALF_UP)
        if member > cap:
            if lines is not None:
                lines.append(
                    ExplanationLine(
                        "insulin_cap",
                        f"Insulin is capped at {_money(insulin_cap)} per month's supply, so for "
                        f"{months} month{'s' if months > 1 else ''} you pay at most {_money(cap)}.",
                        cap,
                    )
                )
            member = cap

    oop_left = design.oop_max_individual - accumulators.oop_met
    family_oop_binds = False
    if design.oop_max_family is not None:
        family_oop_left = design.oop_max_family - accumulators.family_oop_met
        if family_oop_left < oop_left:
            oop_left, family_oop_binds = family_oop_left, True
    if member > oop_left:
        oop_left = oop_left.quantize(CENT, ROUND_HALF_UP) if oop_left > 0 else ZERO
        if lines is not None:
            whose = "your family's" if family_oop_binds else "your"
            lines.append(
                ExplanationLine(
                    "oop_cap",
                    f"You have already met {whose} out-of-pocket maximum for this plan year, "
                    f"so you pay nothing for this fill."
                    if oop_left == 0
                    else f"This fill reaches {whose} out-of-pocket maximum, so you pay only "
                    f"the {_money(oop_left)} left before it instead of {_money(member)}.",
                    oop_left,
                )
            )
        member = oop_left

    # A cap can cut into the deductible part; only what the member really pays accrues.
    if deductible > member:
        deductible = member
    plan = cost - member
    if lines is not None:
        lines.append(
            ExplanationLine(
                "summary", f"You pay {_money(member)}. Your plan pays {_money(plan)}.", member
            )
        )
    after = accumulators
    if member:
        after = Accumulators(
            deductible_met=accumulators.deductible_met + deductible,
            oop_met=accumulators.oop_met + member,
            family_deductible_met=accumulators.family_deductible_met + deductible,
            family_oop_met=accumulators.family_oop_met + member,
        )
    return Adjudication(
        total_cost=cost,
        member_pays=member,
        plan_pays=plan,
        deductible_applied=deductible,
        oop_applied=member,
        accumulators_after=after,
        explanation=tuple(lines) if lines is not None else (),
    )


_OON_COVERED = "This pharmacy is out of network; your plan covers it at in-network cost sharing."
_FALLBACK_90 = (
    "Your plan lists no separate price for this 90-day supply, "
    "so it is priced as {fills} 30-day retail fills."
)
_LESSER_OF = (
    "You pay {amount} instead, because that is all that is left of the drug's cost "
    "and you never pay more than the drug's price."
)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _note(code: str, text: str) -> ExplanationLine:
    return ExplanationLine(code, text, ZERO)


def _find_cost_share(design: BenefitDesign, claim: ClaimInput) -> tuple[CostShare, int]:
    """The cost share row for the claim, and how many 30-day fills it is charged as.

    Fallbacks when a design omits a 90-day row: MAIL_90 uses the RETAIL_90 row, and RETAIL_90
    (so MAIL_90 too, failing that) uses the RETAIL_30 row charged as three fills: copay,
    minimum and maximum tripled, the coinsurance rate unchanged. RETAIL_30 and SPECIALTY have
    no fallback: a specialty drug not priced for its channel is not covered there.
    """
    shares = design.cost_shares
    tier, channel = claim.tier, claim.channel
    row = shares.get((tier, channel))
    if row is not None:
        return row, 1
    if channel is Channel.MAIL_90:
        row = shares.get((tier, Channel.RETAIL_90))
        if row is not None:
            return row, 1
    if channel is Channel.MAIL_90 or channel is Channel.RETAIL_90:
        row = shares.get((tier, Channel.RETAIL_30))
        if row is not None:
            return row, FILLS_PER_90_DAY_SUPPLY
    raise NotCovered(design.code, tier, channel)


def _deductible_part(
    design: BenefitDesign,
    accumulators: Accumulators,
    cost: Decimal,
    lines: list[ExplanationLine] | None,
) -> Decimal:
    """How much of `cost` goes to the deductible still open (embedded in the family one)."""
    left = design.deductible_individual - accumulators.deductible_met
    family_binds = False
    if design.deductible_family is not None:
        family_left = design.deductible_family - accumulators.family_deductible_met
        if family_left < left:
            left, family_binds = family_left, True
    if left <= 0:
        if lines is not None:
            whose = "Your family's" if family_binds else "Your"
            lines.append(
                _note("deductible_met", f"{whose} deductible is already met for this plan year.")
            )
        return ZERO
    part = cost if cost < left else left.quantize(CENT, ROUND_HALF_UP)
    if lines is not None and part > 0:
        lines.append(
            ExplanationLine(
                "deductible",
                f"Deductible: you pay the first {_money(part)} of the cost "
                f"because your deductible is not yet met.",
                part,
            )
        )
    return part


def _cost_share_part(
    design: BenefitDesign,
    claim: ClaimInput,
    row: CostShare,
    fills: int,
    rest: Decimal,
    after_deductible: bool,
    lines: list[ExplanationLine] | None,
) -> Decimal:
    """The member's copay or coinsurance on `rest`, the cost the deductible did not take."""
    if row.copay is not None:
        if row.coinsurance is not None:
            raise EngineInputError(
                f"Benefit design {design.code!r} sets both a copay and a coinsurance for tier "
                f"{claim.tier.value!r} in channel {claim.channel.value!r}."
            )
        share = (row.copay * fills).quantize(CENT, ROUND_HALF_UP)
        if lines is not None:
            lead = "After the deductible, your copay" if after_deductible else "Your copay"
            lines.append(
                ExplanationLine("copay", f"{lead} for this fill is {_money(share)}.", share)
            )
    elif row.coinsurance is not None:
        rate = row.coinsurance
        share = (rest * rate).quantize(CENT, ROUND_HALF_UP)
        if lines is not None:
            lead = "After the deductible, you pay" if after_deductible else "Coinsurance: you pay"
            lines.append(
                ExplanationLine(
                    "coinsurance",
                    f"{lead} {_percent(rate)} of the remaining {_money(rest)}, "
                    f"which is {_money(share)}.",
                    share,
                )
            )
        if row.minimum is not None:
            minimum = (row.minimum * fills).quantize(CENT, ROUND_HALF_UP)
            if share < minimum:
                share = minimum
                if lines is not None:
                    lines.append(
                        ExplanationLine(
                            "coinsurance_minimum",
                            f"Your plan charges at least {_money(minimum)} per fill, "
                            f"so you pay that.",
                            minimum,
                        )
                    )
        if row.maximum is not None:
            maximum = (row.maximum * fills).quantize(CENT, ROUND_HALF_UP)
            if share > maximum:
                share = maximum
                if lines is not None:
                    lines.append(
                        ExplanationLine(
                            "coinsurance_maximum",
                            f"Your plan charges at most {_money(maximum)} per fill, "
                            f"so you pay no more than that.",
                            maximum,
                        )
                    )
    else:
        if lines is not None:
            lines.append(_note("no_cost_share", "There is no copay or coinsurance for this drug."))
        return ZERO
    if share > rest:
        if lines is not None:
            lines.append(ExplanationLine("lesser_of", _LESSER_OF.format(amount=_money(rest)), rest))
        share = rest
    return share


def _not_covered_out_of_network(
    cost: Decimal, accumulators: Accumulators, explain: bool
) -> Adjudication:
    lines: tuple[ExplanationLine, ...] = ()
    if explain:
        lines = (
            ExplanationLine(
                "out_of_network",
                f"This pharmacy is out of network and your plan does not cover out-of-network "
                f"fills, so you pay the full {_money(cost)}. It does not count toward your "
                f"deductible or out-of-pocket maximum.",
                cost,
            ),
            ExplanationLine("summary", f"You pay {_money(cost)}. Your plan pays $0.00.", cost),
        )
    return Adjudication(
        total_cost=cost,
        member_pays=cost,
        plan_pays=ZERO,
        deductible_applied=ZERO,
        oop_applied=ZERO,
        accumulators_after=accumulators,
        explanation=lines,
    )
