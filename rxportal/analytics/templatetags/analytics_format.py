"""Formatting of the drug-trend figures at the edge: money, percents and counts, localized."""

from __future__ import annotations

from decimal import Decimal

from django import template

from rxportal.analytics.presentation import format_value

register = template.Library()


@register.filter
def trend_value(value: Decimal | None, kind: str) -> str:
    """`kind` is money, percent or number; a missing figure (no prior period) is a dash."""
    return format_value(value, kind)
