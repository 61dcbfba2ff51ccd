"""Template helpers for allauth's MFA pages, which we style but do not own the views of.

``{% sms_factor_status as sms %}``: the signed-in user's text-message factor (for mfa/index.html,
so the two-factor overview also lists text-message codes and recovery codes).
"""

from __future__ import annotations

from django import template

from rxportal.accounts import activity_selectors
from rxportal.accounts.services import sms_factor
from rxportal.accounts.services.recovery_codes import count_unused_recovery_codes

register = template.Library()


@register.simple_tag(takes_context=True)
def sms_factor_status(context: template.Context) -> sms_factor.SmsFactorStatus | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return sms_factor.get_sms_factor_status(user=user)


@register.simple_tag(takes_context=True)
def recovery_codes_left(context: template.Context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return count_unused_recovery_codes(user=user)


@register.filter
def device_summary(user_agent: str) -> str:
    """``"Mozilla/5.0 … Firefox/128.0"`` → ``"Firefox on Windows"``."""
    return activity_selectors.compute_device_summary(user_agent or "")


@register.filter
def network_label(ip: str | None) -> str:
    """An address shown only as its network (IPv4 /24, IPv6 /48) or "a private network"."""
    return activity_selectors.compute_network_hint(ip).label
