"""Signed-in sessions end after 15 minutes without activity and 12 hours after they began.

``SessionTimeoutMiddleware`` (after allauth's ``AccountMiddleware`` and before
``UserSessionsMiddleware`` in ``MIDDLEWARE``) keeps two timestamps in the session: when it began
(the sign-in, ``signin.SIGNED_IN_AT_SESSION_KEY``, else the first request seen) and when it was
last active. On each request to a resolved view it either ends the session (allauth's logout, an
``auth.session.expired`` audit entry with the reason, and a redirect to the sign-in page with a
message; JSON 401 for the time-out script's own endpoints) or records the activity. The
session's own cookie expiry is not enough: Django slides it on every save, so it is no cap.

Requests a view marks as passive (``PASSIVE_VIEW_NAMES``: the script asking how long is left)
do not count as activity. The last-active time is written at most once a minute
(``RXPORTAL_SESSION_TOUCH_SECONDS``) to spare the session store; pages tell the script how long
is really left, so the warning stays accurate.

Without JavaScript nothing changes here: the server expires the session all the same; the
script (``static/accounts/session-timeout.js``) only adds the warning and "Stay signed in".

Times are read through ``rxportal.core.clock`` so tests can freeze them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allauth.account.internal.flows.logout import logout
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db.models import Model
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from rxportal.accounts.services.signin import SIGNED_IN_AT_SESSION_KEY
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core import clock

STARTED_AT_SESSION_KEY = "rx_session_started_at"
LAST_ACTIVE_SESSION_KEY = "rx_session_seen_at"
ACTION_SESSION_EXPIRED = "auth.session.expired"
IDLE = "idle"
ABSOLUTE = "absolute"
# The time-out script's endpoints: answered with JSON, never with a redirect.
STATUS_VIEW_NAME = "rx_session_status"
KEEP_ALIVE_VIEW_NAME = "rx_session_keep_alive"
PASSIVE_VIEW_NAMES = frozenset({STATUS_VIEW_NAME})
JSON_VIEW_NAMES = frozenset({STATUS_VIEW_NAME, KEEP_ALIVE_VIEW_NAME})


# --- Pure rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionClock:
    """Seconds since the epoch: when the session began and when it was last active."""

    started_at: float
    last_active_at: float

    def idle_remaining(self, *, now: float, idle_seconds: int) -> float:
        return self.last_active_at + idle_seconds - now

    def absolute_remaining(self, *, now: float, absolute_seconds: int) -> float:
        return self.started_at + absolute_seconds - now

    def expiry_reason(self, *, now: float, idle_seconds: int, absolute_seconds: int) -> str | None:
        """``"absolute"``, ``"idle"`` or None (still valid). The 12-hour cap wins a tie."""
        if self.absolute_remaining(now=now, absolute_seconds=absolute_seconds) <= 0:
            return ABSOLUTE
        if self.idle_remaining(now=now, idle_seconds=idle_seconds) <= 0:
            return IDLE
        return None


def _as_timestamp(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    return float(value)


# --- Reading and writing the session -----------------------------------------------------------


@dataclass(frozen=True)
class SessionTimeLeft:
    """What the time-out script needs (whole seconds, never negative)."""

    idle_seconds: int
    absolute_seconds: int
    warning_seconds: int

    def as_json(self) -> dict[str, int | bool]:
        return {
            "signed_in": True,
            "idle_remaining_seconds": self.idle_seconds,
            "absolute_remaining_seconds": self.absolute_seconds,
            "warning_seconds": self.warning_seconds,
        }


def read_session_clock(request: HttpRequest, *, now: float) -> SessionClock:
    """The session's clock, filling in what is missing (a fresh sign-in) without saving."""
    session = request.session
    started = _as_timestamp(session.get(STARTED_AT_SESSION_KEY))
    signed_in_at = _as_timestamp(session.get(SIGNED_IN_AT_SESSION_KEY))
    if signed_in_at is not None and (started is None or signed_in_at > started):
        started = signed_in_at  # a newer sign-in in this browser session starts the clock over
    if started is None or started > now:
        started = now
    last_active = _as_timestamp(session.get(LAST_ACTIVE_SESSION_KEY))
    if last_active is None or last_active < started:
        last_active = started  # nothing recorded since the session began
    elif last_active > now:
        last_active = now
    return SessionClock(started_at=started, last_active_at=last_active)


def record_activity(
    request: HttpRequest, *, session_clock: SessionClock, now: float, force: bool = False
) -> SessionClock:
    """Mark the session active at ``now`` (at most once per touch interval unless ``force``)."""
    session = request.session
    if session.get(STARTED_AT_SESSION_KEY) != session_clock.started_at:
        session[STARTED_AT_SESSION_KEY] = session_clock.started_at
    if force or now - session_clock.last_active_at >= settings.RXPORTAL_SESSION_TOUCH_SECONDS:
        session[LAST_ACTIVE_SESSION_KEY] = now
        return SessionClock(started_at=session_clock.started_at, last_active_at=now)
    if LAST_ACTIVE_SESSION_KEY not in session:
        session[LAST_ACTIVE_SESSION_KEY] = session_clock.last_active_at
    return session_clock


def time_left(request: HttpRequest) -> SessionTimeLeft:
    """How long the signed-in session of ``request`` has left, as of now."""
    now = clock.now().timestamp()
    session_clock = read_session_clock(request, now=now)
    return _time_left(session_clock, now=now)


def _time_left(session_clock: SessionClock, *, now: float) -> SessionTimeLeft:
    idle = session_clock.idle_remaining(
        now=now, idle_seconds=settings.RXPORTAL_SESSION_IDLE_SECONDS
    )
    absolute = session_clock.absolute_remaining(
        now=now, absolute_seconds=settings.RXPORTAL_SESSION_ABSOLUTE_SECONDS
    )
    return SessionTimeLeft(
        idle_seconds=max(0, math.floor(idle)),
        absolute_seconds=max(0, math.floor(absolute)),
        warning_seconds=settings.RXPORTAL_SESSION_WARNING_SECONDS,
    )


def keep_alive(request: HttpRequest) -> SessionTimeLeft:
    """ "Stay signed in": activity now, whatever the touch interval. Never extends the 12 hours."""
    now = clock.now().timestamp()
    session_clock = record_activity(
        request, session_clock=read_session_clock(request, now=now), now=now, force=True
    )
    return _time_left(session_clock, now=now)


def expire_session(request: HttpRequest, *, reason: str) -> None:
    """Audit, sign out (allauth's logout: the session is flushed) and leave a message."""
    user = request.user
    limit = (
        settings.RXPORTAL_SESSION_ABSOLUTE_SECONDS
        if reason == ABSOLUTE
        else settings.RXPORTAL_SESSION_IDLE_SECONDS
    )
    record_event(
        action=ACTION_SESSION_EXPIRED,
        outcome=Outcome.SUCCESS,
        actor=user,
        request=request,
        subject=user if isinstance(user, Model) else None,
        details={"reason": reason, "limit_seconds": limit},
    )
    logout(request, show_message=False)
    messages.info(request, expiry_message(reason))


def expiry_message(reason: str) -> str:
    if reason == ABSOLUTE:
        hours = settings.RXPORTAL_SESSION_ABSOLUTE_SECONDS // 3600
        return ngettext(
            "For your security, you were signed out %(count)d hour after signing in. "
            "Sign in again to continue.",
            "For your security, you were signed out %(count)d hours after signing in. "
            "Sign in again to continue.",
            hours,
        ) % {"count": hours}
    minutes = max(1, settings.RXPORTAL_SESSION_IDLE_SECONDS // 60)
    return ngettext(
        "For your security, you were signed out after %(count)d minute without activity. "
        "Sign in again to continue.",
        "For your security, you were signed out after %(count)d minutes without activity. "
        "Sign in again to continue.",
        minutes,
    ) % {"count": minutes}


def sign_in_url(next_url: str | None = None) -> str:
    url = reverse("account_login")
    if not next_url:
        return url
    query = QueryDict(mutable=True)
    query[REDIRECT_FIELD_NAME] = next_url
    return f"{url}?{query.urlencode(safe='/')}"  # as login_required writes it


def _expired_response(request: HttpRequest, view_name: str) -> HttpResponse:
    if view_name in JSON_VIEW_NAMES:
        return JsonResponse(
            {"signed_in": False, "sign_in_url": sign_in_url(), "message": gettext("Signed out")},
            status=401,
        )
    next_url = request.get_full_path() if request.method == "GET" else None
    response = HttpResponseRedirect(sign_in_url(next_url))
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, private"
    return response


class SessionTimeoutMiddleware:
    """Idle (15 min) and absolute (12 h) limits for signed-in sessions; see the module doc."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return None
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        now = clock.now().timestamp()
        session_clock = read_session_clock(request, now=now)
        reason = session_clock.expiry_reason(
            now=now,
            idle_seconds=settings.RXPORTAL_SESSION_IDLE_SECONDS,
            absolute_seconds=settings.RXPORTAL_SESSION_ABSOLUTE_SECONDS,
        )
        if reason is not None:
            expire_session(request, reason=reason)
            return _expired_response(request, view_name)
        if view_name in PASSIVE_VIEW_NAMES:
            if STARTED_AT_SESSION_KEY not in request.session:
                request.session[STARTED_AT_SESSION_KEY] = session_clock.started_at
                request.session[LAST_ACTIVE_SESSION_KEY] = session_clock.last_active_at
            return None
        record_activity(request, session_clock=session_clock, now=now)
        return None
