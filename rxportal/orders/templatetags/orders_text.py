"""Template filters that word the orders selectors' codes for the pages."""

from __future__ import annotations

from django import template

from rxportal.orders.models import OrderStatus, order_reason_label

register = template.Library()


@register.filter
def order_status_label(value: str) -> str:
    """An OrderStatus value's name in the active language."""
    try:
        return str(OrderStatus(value).label)
    except ValueError:
        return value


@register.filter
def order_reason_text(code: str) -> str:
    """A hold or cancellation reason code in the active language; "" for none."""
    return order_reason_label(code)
