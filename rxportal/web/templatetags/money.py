"""`{{ amount|money }}`: US dollars as members read them on a receipt ($1,234.56)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from rxportal.core.money import to_money

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """Format a Decimal as dollars and cents; None (no amount) renders as an empty string.

    Anything but a Decimal is a programming error (a float cannot hold cents exactly).
    """
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        raise TypeError(f"money expects a Decimal, got {type(value).__name__}")
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
