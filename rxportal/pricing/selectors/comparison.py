"""A price quote beside the paid claim it covered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Q, Sum

from rxportal.claims.models import Claim, ClaimStatus
from rxportal.plans.selectors import benefit_design_for
from rxportal.pricing.engine import (
    Accumulators,
    Channel,
    ClaimInput,
    NetworkStatus,
    NotCovered,
    Tier,
    adjudicate,
)
from rxportal.pricing.models import PriceQuote
from rxportal.pricing.selectors.estimates import ZERO, _network_status
from rxportal.pricing.selectors.quotes import (
    _local_date,
    is_quote_valid_on,
    last_valid_day,
    quote_accumulators,
)

# --- Quote against a paid claim ----------------------------------------------------------------


class Reason(StrEnum):
    """Why a paid claim's amount differs from its quote (worded by ``pricing.presentation``)."""

    DEDUCTIBLE_MOVED = "deductible_moved"  # then, now, family_then, family_now
    OUT_OF_POCKET_MOVED = "out_of_pocket_moved"  # then, now
    REPRICED = "repriced"  # amount: the quote's inputs at the claim's accumulators
    OTHER_PHARMACY = "other_pharmacy"  # claim_status, quote_status (NetworkStatus values)
    OTHER_CHANNEL = "other_channel"  # claim, quote (Channel values)
    OTHER_QUANTITY = "other_quantity"  # claim_quantity, claim_days, quote_quantity, quote_days
    TIER_CHANGED = "tier_changed"
    DRUG_COST_DIFFERED = "drug_cost_differed"  # claim_unit, claim_total, quote_unit, quote_total
    PLAN_PRICING = "plan_pricing"  # the inputs match: the plan's pricing made the difference


@dataclass(frozen=True)
class DifferenceReason:
    code: Reason
    facts: dict[str, Any] = field(default_factory=dict)  # amounts (Decimal), days, codes


@dataclass(frozen=True)
class QuoteComparison:
    """A paid claim beside the newest quote that covered it, with why the amounts differ."""

    quote: PriceQuote
    claim: Claim
    quoted_member_pays: Decimal
    paid_member_amount: Decimal
    difference: Decimal  # paid - quoted: positive means the member paid more than quoted
    reasons: tuple[DifferenceReason, ...]  # most important first
    repriced_member_pays: Decimal | None  # the quote's inputs with the claim-time accumulators
    accumulators_at_claim: Accumulators

    @property
    def matches(self) -> bool:
        return self.difference == 0

    @property
    def paid_more(self) -> bool:
        return self.difference > 0

    @property
    def abs_difference(self) -> Decimal:
        return abs(self.difference)


def find_quote_comparison(*, claim: Claim) -> QuoteComparison | None:
    """The newest quote of the claim's member for the same drug that covered the claim's date.

    A quote covers a claim when it was made on or before the service date and is still valid
    on it. None when the claim is not paid or no quote covers it. The caller has already
    checked the viewer may see the claim. About five queries (quotes, the claims before it,
    the plan's cost shares, the pharmacy's network status).
    """
    if claim.status != ClaimStatus.PAID:
        return None
    service_date = claim.service_date
    candidates = (
        PriceQuote.objects.filter(member_id=claim.member_id, drug_id=claim.drug_id)
        .filter(quoted_at__date__lte=service_date + dt.timedelta(days=1))
        .filter(valid_until__date__gte=service_date - dt.timedelta(days=1))
        .select_related("pharmacy", "plan", "drug")
        .order_by("-quoted_at", "-id")
    )
    quote = next((q for q in candidates if is_quote_valid_on(q, service_date)), None)
    if quote is None:
        return None
    return _compare(quote, claim)


def accumulators_before_claim(claim: Claim) -> Accumulators:
    """Individual and family amounts met in the claim's plan year before it was adjudicated.

    Summed from the paid claims (reversed ones back out) of the member and of the family
    before this one, in adjudication order (service date, then row order).
    """
    member = claim.member
    head_id = member.family_head_id
    year_start = dt.date(claim.service_date.year, 1, 1)
    before = Q(service_date__lt=claim.service_date) | Q(
        service_date=claim.service_date, id__lt=claim.pk
    )
    rows = (
        Claim.objects.filter(
            before,
            Q(member_id=head_id) | Q(member__subscriber_id=head_id),
            plan_id=claim.plan_id,
            status=ClaimStatus.PAID,
            service_date__gte=year_start,
        )
        .values("member_id")
        .annotate(deductible=Sum("deductible_applied"), oop=Sum("oop_applied"))
    )
    deductible = oop = family_deductible = family_oop = ZERO
    for row in rows:
        family_deductible += row["deductible"] or ZERO
        family_oop += row["oop"] or ZERO
        if row["member_id"] == member.pk:
            deductible += row["deductible"] or ZERO
            oop += row["oop"] or ZERO
    return Accumulators(
        deductible_met=deductible,
        oop_met=oop,
        family_deductible_met=family_deductible,
        family_oop_met=family_oop,
    )


def _compare(quote: PriceQuote, claim: Claim) -> QuoteComparison:
    quoted = quote.member_pays
    paid = claim.member_paid
    at_claim = accumulators_before_claim(claim)
    design = benefit_design_for(claim.plan)
    repriced: Decimal | None
    try:
        repriced = adjudicate(
            design,
            at_claim,
            ClaimInput(
                tier=Tier(quote.tier),
                drug_cost=quote.total_cost,
                days_supply=quote.days_supply,
                channel=Channel(quote.channel),
                is_insulin=quote.is_insulin,
                network_status=NetworkStatus(quote.network_status),
            ),
            explain=False,
        ).member_pays
    except NotCovered:
        repriced = None

    reasons: list[DifferenceReason] = []
    before = quote_accumulators(quote)
    if at_claim.deductible_met != before.deductible_met or (
        at_claim.family_deductible_met != before.family_deductible_met
    ):
        reasons.append(
            DifferenceReason(
                Reason.DEDUCTIBLE_MOVED,
                {
                    "then": before.deductible_met,
                    "now": at_claim.deductible_met,
                    "family_then": before.family_deductible_met,
                    "family_now": at_claim.family_deductible_met,
                },
            )
        )
    elif at_claim.oop_met != before.oop_met or at_claim.family_oop_met != before.family_oop_met:
        reasons.append(
            DifferenceReason(
                Reason.OUT_OF_POCKET_MOVED, {"then": before.oop_met, "now": at_claim.oop_met}
            )
        )
    if repriced is not None and repriced != quoted:
        reasons.append(DifferenceReason(Reason.REPRICED, {"amount": repriced}))
    if claim.pharmacy_id != quote.pharmacy_id and claim.channel not in (
        Channel.MAIL_90,
        Channel.SPECIALTY,
    ):
        claim_status = _network_status(plan=claim.plan, pharmacy=claim.pharmacy)
        reasons.append(
            DifferenceReason(
                Reason.OTHER_PHARMACY,
                {"claim_status": claim_status.value, "quote_status": quote.network_status},
            )
        )
    if claim.channel != quote.channel:
        reasons.append(
            DifferenceReason(Reason.OTHER_CHANNEL, {"claim": claim.channel, "quote": quote.channel})
        )
    if claim.quantity != quote.quantity or claim.days_supply != quote.days_supply:
        reasons.append(
            DifferenceReason(
                Reason.OTHER_QUANTITY,
                {
                    "claim_quantity": claim.quantity,
                    "claim_days": claim.days_supply,
                    "quote_quantity": quote.quantity,
                    "quote_days": quote.days_supply,
                },
            )
        )
    if claim.tier != quote.tier:
        reasons.append(DifferenceReason(Reason.TIER_CHANGED))
    if claim.total_cost != quote.total_cost:
        claim_unit = (
            (claim.total_cost / claim.quantity).quantize(Decimal("0.0001"))
            if claim.quantity
            else None
        )
        if claim_unit is not None and claim_unit != quote.unit_price:
            reasons.append(
                DifferenceReason(
                    Reason.DRUG_COST_DIFFERED,
                    {
                        "claim_unit": claim_unit,
                        "claim_total": claim.total_cost,
                        "quote_unit": quote.unit_price,
                        "quote_total": quote.total_cost,
                    },
                )
            )
    if paid != quoted and not reasons:
        reasons.append(DifferenceReason(Reason.PLAN_PRICING))
    return QuoteComparison(
        quote=quote,
        claim=claim,
        quoted_member_pays=quoted,
        paid_member_amount=paid,
        difference=paid - quoted,
        reasons=tuple(reasons),
        repriced_member_pays=repriced,
        accumulators_at_claim=at_claim,
    )


def find_claim_comparison_for_quote(quote: PriceQuote) -> QuoteComparison | None:
    """The first paid claim the quote covered (same member and drug, within its validity) that
    `find_quote_comparison` matches back to this very quote; None when no claim did yet."""
    first_day = _local_date(quote.quoted_at)
    claims = (
        Claim.objects.filter(
            member_id=quote.member_id,
            drug_id=quote.drug_id,
            status=ClaimStatus.PAID,
            service_date__gte=first_day,
            service_date__lte=last_valid_day(quote),
        )
        .select_related("member", "plan", "pharmacy", "drug")
        .order_by("service_date", "id")
    )
    for claim in claims[:5]:
        comparison = find_quote_comparison(claim=claim)
        if comparison is not None and comparison.quote.pk == quote.pk:
            return comparison
    return None
