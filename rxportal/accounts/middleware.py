"""Two middlewares of the accounts app.

``MfaEnrolmentGateMiddleware`` keeps a member or staff user who has no second factor on the
enrolment pages; ``ThrottledUserSessionsMiddleware`` records the session list's activity (see
its docstring).

The enrolment gate:

``SecondFactorPolicyStage`` flags the session at sign-in; until an authenticator app, a passkey
or a confirmed phone is added, every other page (dashboard, back office, member data) redirects
to the two-factor page. Sign-out, language switch and the public home page stay reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from rxportal.accounts.services import signin
from rxportal.core import clock

ENROLMENT_URL_NAME = "mfa_index"
ALLOWED_VIEW_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "rx_myaccount_sms",  # a confirmed phone (text-message codes) is a second factor too
        "rx_session_keep_alive",
        "rx_session_status",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "web:logout",
        "web:home",
        "set_language",
        "healthz",
        "readyz",
        "metrics",
    }
)


class MfaEnrolmentGateMiddleware:
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
        if not hasattr(request, "session") or not signin.is_enrolment_flagged(request):
            return None
        if not request.user.is_authenticated:
            signin.flag_enrolment(request=request, required=False)
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_VIEW_NAMES:
            return None
        if not signin.needs_second_factor_enrolment(request.user):
            signin.flag_enrolment(request=request, required=False)
            return None
        return HttpResponseRedirect(reverse(ENROLMENT_URL_NAME))


# The session key holding when this session's UserSession row (IP, user agent, last seen) was
# last written.
USERSESSION_SEEN_SESSION_KEY = "rx_usersession_seen_at"


class ThrottledUserSessionsMiddleware:
    """allauth's session tracking, written at most once per RXPORTAL_SESSION_TOUCH_SECONDS.

    allauth's own middleware rewrites the UserSession row on every request (a transaction and
    five queries), which was most of a bare signed-in request's database work. "My account >
    Sessions" shows the last-seen time, IP and browser to within that interval instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if not usersessions_settings.TRACK_ACTIVITY or session is None:
            return self.get_response(request)
        signed_in_before = request.user.is_authenticated
        if signed_in_before and session.session_key:
            now = clock.now().timestamp()
            seen_at = session.get(USERSESSION_SEEN_SESSION_KEY)
            due = not isinstance(seen_at, float) or not 0 <= now - seen_at < _touch_seconds()
            if due:
                UserSession.objects.create_from_request(request)
                session[USERSESSION_SEEN_SESSION_KEY] = now
        response = self.get_response(request)
        if not signed_in_before and _session_signed_in(request, session):
            # This request signed in: allauth's ``user_logged_in`` receiver has just written the
            # session's row, so the first page after sign-in need not write it again.
            session[USERSESSION_SEEN_SESSION_KEY] = clock.now().timestamp()
        return response


def _session_signed_in(request: HttpRequest, session: SessionBase) -> bool:
    """The session now holds the request's user (Django's ``login()`` ran). A bearer token
    sets ``request.user`` for one API call only: marking that session would save a new one,
    row and cookie, on every call."""
    user = request.user
    if not user.is_authenticated:
        return False
    return session.get(SESSION_KEY) == user._meta.pk.value_to_string(user)


def _touch_seconds() -> int:
    return int(settings.RXPORTAL_SESSION_TOUCH_SECONDS)
