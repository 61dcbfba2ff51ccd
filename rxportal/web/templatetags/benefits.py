"""`{{ cell.cost_share|cost_share_amount }}`: a cost share as members read it in a tier table.

A copay reads "$10" (cents only when there are some), coinsurance "25% (min $50, max $150)".
Formatting only: the amounts are the plan's stored rows, the maths is the engine's.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from rxportal.plans.models import Channel, CostShare, Tier
from rxportal.web.templatetags.money import money

register = template.Library()


def short_money(amount: Decimal) -> str:
    """$10 for whole dollars, $12.50 otherwise."""
    text = money(amount)
    return text[:-3] if text.endswith(".00") else text


def percent(rate: Decimal) -> str:
    """25.00 -> "25%", 12.50 -> "12.5%" (a stored percentage, 0-100)."""
    return f"{rate.normalize():f}%"


@register.filter
def cost_share_amount(cost_share: CostShare | None) -> str:
    if cost_share is None:
        return _("Not covered")
    if cost_share.copay is not None:
        return short_money(cost_share.copay)
    assert cost_share.coinsurance_pct is not None  # the database allows one or the other
    rate = percent(cost_share.coinsurance_pct)
    minimum, maximum = cost_share.minimum, cost_share.maximum
    if minimum is not None and maximum is not None:
        return _("%(rate)s (min %(minimum)s, max %(maximum)s)") % {
            "rate": rate,
            "minimum": short_money(minimum),
            "maximum": short_money(maximum),
        }
    if minimum is not None:
        return _("%(rate)s (min %(minimum)s)") % {"rate": rate, "minimum": short_money(minimum)}
    if maximum is not None:
        return _("%(rate)s (max %(maximum)s)") % {"rate": rate, "maximum": short_money(maximum)}
    return rate


@register.filter
def tier_name(value: str) -> str:
    """A Tier value's name in the active language (the benefits table's rows)."""
    try:
        return str(Tier(value).label)
    except ValueError:
        return value


@register.filter
def channel_name(value: str) -> str:
    """A Channel value's name in the active language (the benefits table's columns)."""
    try:
        return str(Channel(value).label)
    except ValueError:
        return value
