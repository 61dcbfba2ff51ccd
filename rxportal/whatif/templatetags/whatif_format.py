"""Formatting of what-if figures and design changes at the edge, localized."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from rxportal.plans.models import Channel, Tier
from rxportal.whatif.design import DesignChange

register = template.Library()


def _money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${number_format(abs(value), 2, force_grouping=True)}"


@register.filter
def whatif_value(value: Any, kind: str) -> str:
    """money, number or count; a count of 1 to 10 members was suppressed (None)."""
    if value is None:
        return _("Not shown: fewer than 11 members") if kind == "count" else "—"
    if kind == "money":
        return _money(value)
    return number_format(value, force_grouping=True)


@register.filter
def change_lines(change: DesignChange) -> list[str]:
    """One sentence per changed amount, in the order the design applies them."""
    lines = []
    amounts = (
        (change.deductible_individual, _("Deductible per person: %(amount)s")),
        (change.deductible_family, _("Deductible per family: %(amount)s")),
        (change.oop_max_individual, _("Out-of-pocket maximum per person: %(amount)s")),
        (change.oop_max_family, _("Out-of-pocket maximum per family: %(amount)s")),
    )
    for value, text in amounts:
        if value is not None:
            lines.append(text % {"amount": _money(value)})
    for row in change.cost_shares:
        where = Channel(row.channel.value).label if row.channel else _("every channel")
        if row.copay is not None:
            amount = _("copay %(amount)s") % {"amount": _money(row.copay)}
        else:
            amount = _("coinsurance %(percent)s%%") % {
                "percent": number_format(row.coinsurance_pct or 0, 2)
            }
        lines.append(f"{Tier(row.tier.value).label}, {where}: {amount}")
    if change.mail_copay_months is not None:
        lines.append(
            _("Mail order, 90 days: %(months)s months of the retail copay")
            % {"months": number_format(change.mail_copay_months)}
        )
    return lines
