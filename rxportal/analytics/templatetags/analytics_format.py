"""Formatting of the drug-trend figures at the edge: money, percents and counts, localized."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def trend_value(value: Decimal | None, kind: str) -> str:
    """`kind` is money, percent or number; a missing figure (no prior period) is a dash."""
    if value is None:
        return "—"
    if kind == "money":
        return "$" + number_format(value, 2, force_grouping=True)
    if kind == "percent":
        return number_format(value * 100, 1, force_grouping=True) + "%"
    return number_format(value, force_grouping=True)


@register.filter
def get_label(drugs: dict[str, object], rxcui: str) -> str:
    """The drug's name for its RxNorm code (the code itself when no label was read)."""
    label = drugs.get(rxcui)
    return str(getattr(label, "name", rxcui))
