"""Writes from My Account that no other service owns: ending other sessions, and what follows
a password change (allauth's view changes the password itself): app access ends, audited.

Challenge answers, SiteKey, phone, recovery codes and devices have their own services
(``challenges``, ``sitekey``, ``sms_factor``, ``recovery_codes``, ``devices``).
"""

from __future__ import annotations

from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.connected_apps.services import revoke_all_app_access

ACTION_OTHER_SESSIONS_ENDED = "auth.sessions.others_ended"
ACTION_PASSWORD_CHANGED = "account.password.changed"  # noqa: S105 (an audit action code)


def end_other_sessions(*, user: AbstractBaseUser, request: HttpRequest) -> int:
    """Sign the user out everywhere but this browser; returns how many sessions ended."""
    current_key = request.session.session_key
    others = [
        session
        for session in UserSession.objects.filter(user_id=user.pk)
        if session.session_key != current_key
    ]
    get_usersessions_adapter().end_sessions(others)
    revoke_all_app_access(user)  # signed out everywhere: connected apps too
    record_event(
        action=ACTION_OTHER_SESSIONS_ENDED,
        outcome=Outcome.SUCCESS,
        actor=user,
        request=request,
        subject=user if hasattr(user, "public_id") else None,
        details={"count": len(others)},
    )
    return len(others)


def record_password_changed(*, user: AbstractBaseUser, request: HttpRequest) -> int:
    """After a password change through My Account (the current password was checked): connected
    apps lose their access, as after a reset (whoever knew the old password may have connected
    one), and the audit entry. Returns how many apps were disconnected."""
    apps_disconnected = revoke_all_app_access(user)
    record_event(
        action=ACTION_PASSWORD_CHANGED,
        outcome=Outcome.SUCCESS,
        actor=user,
        request=request,
        subject=user if hasattr(user, "public_id") else None,
        details={"apps_disconnected": apps_disconnected},
    )
    return apps_disconnected
