"""Pricing errors with stable dotted codes (the estimator turns them into form messages).

The estimate selectors raise the input errors with details only (codes and figures); the
sentence a page shows is worded here, from those details, in the active language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from rxportal.core.errors import DomainError, NotFound


class PricingError(DomainError):
    code = "pricing.error"


class InvalidQuantity(PricingError):
    """Zero, negative, or absurdly large quantity (``max`` in the details: too large)."""

    code = "pricing.invalid_quantity"

    def __init__(self, message: str = "", **details: Any) -> None:
        if not message:
            message = (
                _("Enter a quantity of at most %(max)s units.") % {"max": details["max"]}
                if "max" in details
                else _("Enter a quantity greater than zero.")
            )
        super().__init__(message, **details)


class InvalidDaysSupply(PricingError):
    """Zero, negative, over a year (``max``), or longer than the chosen channel fills
    (``most``)."""

    code = "pricing.invalid_days_supply"

    def __init__(self, message: str = "", **details: Any) -> None:
        if not message and "most" in details:
            message = _("This channel fills at most %(days)s days at a time.") % {
                "days": details["most"]
            }
        elif not message:
            message = _("Enter a days supply from 1 to %(max)s.") % {"max": details.get("max")}
        super().__init__(message, **details)


class UnknownChannel(PricingError):
    code = "pricing.unknown_channel"

    def __init__(self, message: str = "", **details: Any) -> None:
        message = message or _("Choose retail 30-day, retail 90-day or mail order 90-day.")
        super().__init__(message, **details)


class PharmacyNotFound(NotFound):
    code = "pricing.pharmacy_not_found"


class DrugNotFound(NotFound):
    code = "pricing.drug_not_found"


class NotQuotable(PricingError):
    """The estimate has no price the member could hold us to (not covered, not priced)."""

    code = "pricing.not_quotable"


class PlanYearOver(PricingError):
    """The member's plan year has ended: a quote could not be valid for any day of it."""

    code = "pricing.plan_year_over"


class QuoteNotFound(NotFound):
    code = "pricing.quote_not_found"
