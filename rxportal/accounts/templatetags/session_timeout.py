"""``{% session_timeout_dialog %}``: the idle-warning dialog and the figures its script needs.

Rendered by base.html for signed-in users only. The dialog stays closed (and the page works the
same) without JavaScript; the server ends idle sessions either way.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from rxportal.accounts import session_timeouts

register = template.Library()


@register.inclusion_tag("accounts/myaccount_session_timeout.html", takes_context=True)
def session_timeout_dialog(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "time_left": session_timeouts.time_left(request),
        # An error page passes its path alone (`return_path`): its query string is not echoed.
        "next_path": context.get("return_path") or request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "sign_in_url": session_timeouts.sign_in_url(),
        "absolute_hours": max(1, settings.RXPORTAL_SESSION_ABSOLUTE_SECONDS // 3600),
    }
