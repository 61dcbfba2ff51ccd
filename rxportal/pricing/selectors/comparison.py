"""A price quote beside the paid claim it covered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

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
from rxportal.pricing.selectors.estimates import (
    ZERO,
    _channel_label,
    _network_label,
    _network_status,
)
from rxportal.pricing.selectors.quotes import (
    _local_date,
    is_quote_valid_on,
    last_valid_day,
    quote_accumulators,
)

# --- Quote against a paid claim ----------------------------------------------------------------


@dataclass(frozen=True)
class QuoteComparison:
    """A paid claim beside the newest quote that covered it, with why the amounts differ."""

    quote: PriceQuote
    claim: Claim
    quoted_member_pays: Decimal
    paid_member_amount: Decimal
    difference: Decimal  # paid - quoted: positive means the member paid more than quoted
    reasons: tuple[str, ...]  # translated, most important first
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


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


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

    reasons: list[str] = []
    before = quote_accumulators(quote)
    if at_claim.deductible_met != before.deductible_met or (
        at_claim.family_deductible_met != before.family_deductible_met
    ):
        reasons.append(
            _(
                "Your deductible moved: you had met %(then)s of it when we quoted and "
                "%(now)s when the claim was paid (family: %(family_then)s then, "
                "%(family_now)s at the claim)."
            )
            % {
                "then": _money(before.deductible_met),
                "now": _money(at_claim.deductible_met),
                "family_then": _money(before.family_deductible_met),
                "family_now": _money(at_claim.family_deductible_met),
            }
        )
    elif at_claim.oop_met != before.oop_met or at_claim.family_oop_met != before.family_oop_met:
        reasons.append(
            _(
                "Your out-of-pocket total moved: %(then)s when we quoted, %(now)s when the "
                "claim was paid."
            )
            % {"then": _money(before.oop_met), "now": _money(at_claim.oop_met)}
        )
    if repriced is not None and repriced != quoted:
        reasons.append(
            _(
                "With the amounts you had met when the claim was paid, the quoted fill would "
                "have cost you %(amount)s."
            )
            % {"amount": _money(repriced)}
        )
    if claim.pharmacy_id != quote.pharmacy_id and claim.channel not in (
        Channel.MAIL_90,
        Channel.SPECIALTY,
    ):
        reasons.append(_pharmacy_reason(quote, claim))
    if claim.channel != quote.channel:
        reasons.append(
            _("The claim was filled as %(claim)s; the quote was for %(quote)s.")
            % {
                "claim": _channel_label(claim.channel),
                "quote": _channel_label(quote.channel),
            }
        )
    if claim.quantity != quote.quantity or claim.days_supply != quote.days_supply:
        reasons.append(
            _(
                "The claim was for %(claim_quantity)s units over %(claim_days)s days; the "
                "quote was for %(quote_quantity)s units over %(quote_days)s days."
            )
            % {
                "claim_quantity": _quantity(claim.quantity),
                "claim_days": claim.days_supply,
                "quote_quantity": _quantity(quote.quantity),
                "quote_days": quote.days_supply,
            }
        )
    if claim.tier != quote.tier:
        reasons.append(_("The drug's tier on your plan changed between the quote and the claim."))
    if claim.total_cost != quote.total_cost:
        claim_unit = (
            (claim.total_cost / claim.quantity).quantize(Decimal("0.0001"))
            if claim.quantity
            else None
        )
        if claim_unit is not None and claim_unit != quote.unit_price:
            reasons.append(
                _(
                    "The drug cost differed: the pharmacy charged %(claim_unit)s a unit "
                    "(%(claim_total)s in all) against the typical %(quote_unit)s a unit we "
                    "quoted (%(quote_total)s)."
                )
                % {
                    "claim_unit": _unit_money(claim_unit),
                    "claim_total": _money(claim.total_cost),
                    "quote_unit": _unit_money(quote.unit_price),
                    "quote_total": _money(quote.total_cost),
                }
            )
    if paid != quoted and not reasons:
        reasons.append(
            _("The inputs match the quote; the difference comes from the plan's pricing.")
        )
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


def _pharmacy_reason(quote: PriceQuote, claim: Claim) -> str:
    claim_status = _network_status(plan=claim.plan, pharmacy=claim.pharmacy)
    if claim_status.value != quote.network_status:
        return _(
            "The claim was filled at another pharmacy (%(claim_status)s); the quote was for "
            "a pharmacy %(quote_status)s."
        ) % {
            "claim_status": _network_label(claim_status.value),
            "quote_status": _network_label(quote.network_status),
        }
    return _("The claim was filled at another pharmacy than the quote (%(status)s).") % {
        "status": _network_label(claim_status.value)
    }


def _quantity(value: Decimal) -> str:
    normalized = value.normalize()
    return f"{normalized:f}"


def _unit_money(amount: Decimal) -> str:
    return f"${amount:,.4f}".rstrip("0").rstrip(".") if amount % Decimal("0.01") else _money(amount)


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
