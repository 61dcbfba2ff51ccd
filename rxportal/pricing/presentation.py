"""What the pages say about estimates and quote comparisons, in the active language.

The selectors return facts (codes, amounts, the engine's explanation lines); this module words
them for the HTML pages and the messages (``templatetags/pricing_text.py`` exposes it to
templates). The JSON API and FHIR serialize the codes instead.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from rxportal.pricing.engine import NetworkStatus
from rxportal.pricing.explain import (
    ExplanationText,
    localize_explanation,
    localize_stored_explanation,
)
from rxportal.pricing.models import Channel as ChannelChoice
from rxportal.pricing.models import PriceQuote
from rxportal.pricing.models import Tier as TierChoice
from rxportal.pricing.selectors.comparison import DifferenceReason, QuoteComparison, Reason
from rxportal.pricing.selectors.estimates import EstimateNote, FillEstimate, NotCoveredReason


def channel_label(value: str) -> str:
    try:
        return str(ChannelChoice(value).label)
    except ValueError:
        return value


def tier_label(value: str | None) -> str:
    return str(TierChoice(value).label) if value else ""


def network_label(value: str) -> str:
    labels = {
        NetworkStatus.PREFERRED.value: _("preferred in your network"),
        NetworkStatus.IN_NETWORK.value: _("in your network"),
        NetworkStatus.OUT_OF_NETWORK.value: _("out of your network"),
    }
    return labels.get(value, value)


def not_covered_text(estimate: FillEstimate) -> str:
    """Why the plan does not pay for this fill; "" when it does."""
    reason = estimate.not_covered
    if reason is None:
        return ""
    if reason is NotCoveredReason.QUANTITY_LIMIT and estimate.quantity_limit is not None:
        limit = estimate.quantity_limit
        return _(
            "Your plan covers at most %(allowed)s units for a %(days)s-day supply "
            "(limit: %(amount)s per %(period)s days)."
        ) % {
            "allowed": limit.allowed,
            "days": limit.days,
            "amount": limit.amount,
            "period": limit.period_days,
        }
    texts = {
        NotCoveredReason.NOT_ON_FORMULARY: _(
            "This drug is not on your plan's formulary, so your plan does not pay."
        ),
        NotCoveredReason.NO_PRICE: _(
            "We have no price for this drug, so we cannot estimate its cost."
        ),
        NotCoveredReason.NOT_BY_MAIL: _(
            "This drug cannot be filled by mail order. Choose a retail option."
        ),
        NotCoveredReason.TIER_NOT_COVERED_ON_CHANNEL: _(
            "Your plan does not cover drugs of this tier through this channel."
        ),
    }
    return texts.get(reason, "")


def note_texts(estimate: FillEstimate) -> list[str]:
    texts = {
        EstimateNote.SPECIALTY_PHARMACY: _(
            "This is a specialty drug: our specialty pharmacy fills it, 30 days at a time."
        ),
        EstimateNote.PRIOR_AUTHORIZATION: _(
            "Your plan needs prior authorization before it pays for this drug."
        ),
        EstimateNote.STEP_THERAPY: _(
            "Your plan asks you to try another drug first (step therapy)."
        ),
    }
    return [texts[note] for note in estimate.note_codes]


def explanation_texts(estimate: FillEstimate) -> list[ExplanationText]:
    """The engine's lines for a covered fill, in the member's language."""
    if estimate.adjudication is None:
        return []
    return localize_explanation(estimate.adjudication.explanation)


def quote_explanation(quote: PriceQuote) -> list[ExplanationText]:
    """A saved quote's engine lines (stored with it), in the member's language."""
    return localize_stored_explanation(quote.explanation)


# --- A quote beside its claim -----------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _unit_money(amount: Decimal) -> str:
    return f"${amount:,.4f}".rstrip("0").rstrip(".") if amount % Decimal("0.01") else _money(amount)


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def difference_reason_text(reason: DifferenceReason) -> str:
    facts = reason.facts
    if reason.code is Reason.DEDUCTIBLE_MOVED:
        return _(
            "Your deductible moved: you had met %(then)s of it when we quoted and "
            "%(now)s when the claim was paid (family: %(family_then)s then, "
            "%(family_now)s at the claim)."
        ) % {
            "then": _money(facts["then"]),
            "now": _money(facts["now"]),
            "family_then": _money(facts["family_then"]),
            "family_now": _money(facts["family_now"]),
        }
    if reason.code is Reason.OUT_OF_POCKET_MOVED:
        return _(
            "Your out-of-pocket total moved: %(then)s when we quoted, %(now)s when the "
            "claim was paid."
        ) % {"then": _money(facts["then"]), "now": _money(facts["now"])}
    if reason.code is Reason.REPRICED:
        return _(
            "With the amounts you had met when the claim was paid, the quoted fill would "
            "have cost you %(amount)s."
        ) % {"amount": _money(facts["amount"])}
    if reason.code is Reason.OTHER_PHARMACY:
        if facts["claim_status"] != facts["quote_status"]:
            return _(
                "The claim was filled at another pharmacy (%(claim_status)s); the quote was "
                "for a pharmacy %(quote_status)s."
            ) % {
                "claim_status": network_label(facts["claim_status"]),
                "quote_status": network_label(facts["quote_status"]),
            }
        return _("The claim was filled at another pharmacy than the quote (%(status)s).") % {
            "status": network_label(facts["claim_status"])
        }
    if reason.code is Reason.OTHER_CHANNEL:
        return _("The claim was filled as %(claim)s; the quote was for %(quote)s.") % {
            "claim": channel_label(facts["claim"]),
            "quote": channel_label(facts["quote"]),
        }
    if reason.code is Reason.OTHER_QUANTITY:
        return _(
            "The claim was for %(claim_quantity)s units over %(claim_days)s days; the "
            "quote was for %(quote_quantity)s units over %(quote_days)s days."
        ) % {
            "claim_quantity": _quantity(facts["claim_quantity"]),
            "claim_days": facts["claim_days"],
            "quote_quantity": _quantity(facts["quote_quantity"]),
            "quote_days": facts["quote_days"],
        }
    if reason.code is Reason.TIER_CHANGED:
        return _("The drug's tier on your plan changed between the quote and the claim.")
    if reason.code is Reason.DRUG_COST_DIFFERED:
        return _(
            "The drug cost differed: the pharmacy charged %(claim_unit)s a unit "
            "(%(claim_total)s in all) against the typical %(quote_unit)s a unit we "
            "quoted (%(quote_total)s)."
        ) % {
            "claim_unit": _unit_money(facts["claim_unit"]),
            "claim_total": _money(facts["claim_total"]),
            "quote_unit": _unit_money(facts["quote_unit"]),
            "quote_total": _money(facts["quote_total"]),
        }
    return _("The inputs match the quote; the difference comes from the plan's pricing.")


def comparison_reason_texts(comparison: QuoteComparison) -> list[str]:
    """Why the paid amount differs from the quote, most important first."""
    return [difference_reason_text(reason) for reason in comparison.reasons]
