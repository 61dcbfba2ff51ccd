"""Pricing errors with stable dotted codes (the estimator turns them into form messages)."""

from __future__ import annotations

from rxportal.core.errors import DomainError, NotFound


class PricingError(DomainError):
    code = "pricing.error"


class InvalidQuantity(PricingError):
    """Zero, negative, or absurdly large quantity."""

    code = "pricing.invalid_quantity"


class InvalidDaysSupply(PricingError):
    """Zero, negative, over a year, or longer than the chosen channel fills."""

    code = "pricing.invalid_days_supply"


class UnknownChannel(PricingError):
    code = "pricing.unknown_channel"


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
