"""Price quotes the viewer may see, and what they say."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from rxportal.members.selectors import list_family_members_visible_to
from rxportal.pricing.engine import (
    Accumulators,
)
from rxportal.pricing.models import PriceQuote
from rxportal.pricing.selectors.estimates import Viewer

# --- Quotes ------------------------------------------------------------------------------------


def list_quotes_visible_to(*, viewer: Viewer, today: dt.date | None = None) -> list[PriceQuote]:
    """Quotes of the viewer and of the family members they may see, newest first."""
    visible = list_family_members_visible_to(viewer=viewer, today=today)
    if not visible:
        return []
    return list(
        PriceQuote.objects.filter(member__in=visible)
        .select_related("member", "drug", "pharmacy")
        .order_by("-quoted_at", "-id")
    )


def find_quote_for(
    *, viewer: Viewer, public_id: str | uuid.UUID, today: dt.date | None = None
) -> PriceQuote | None:
    """The quote with this public id if it belongs to a member the viewer may see."""
    try:
        value = uuid.UUID(str(public_id))
    except ValueError:
        return None
    visible = list_family_members_visible_to(viewer=viewer, today=today)
    if not visible:
        return None
    return (
        PriceQuote.objects.filter(public_id=value, member__in=visible)
        .select_related("member", "drug", "pharmacy", "plan")
        .first()
    )


def quote_accumulators(quote: PriceQuote) -> Accumulators:
    return Accumulators(
        deductible_met=quote.deductible_met,
        oop_met=quote.oop_met,
        family_deductible_met=quote.family_deductible_met,
        family_oop_met=quote.family_oop_met,
    )


def is_quote_valid_on(quote: PriceQuote, day: dt.date) -> bool:
    """Whether a fill on `day` falls in the quote's validity (by local calendar day)."""
    return _local_date(quote.quoted_at) <= day <= last_valid_day(quote)


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def last_valid_day(quote: PriceQuote) -> dt.date:
    """valid_until is exclusive: the last day is the local day of the instant just before it."""
    return _local_date(quote.valid_until - dt.timedelta(microseconds=1))
