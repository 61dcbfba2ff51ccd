"""Sessions end after 15 minutes without activity and 12 hours after sign-in (frozen clock)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from rxportal.accounts import session_timeouts
from rxportal.accounts.session_timeouts import SessionClock
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.accounts.test_myaccount import sign_in
from tests.accounts.test_signin_support import (
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
    session_key,
)
from tests.conftest import Family
from tests.core.test_settings import GOOD_FIELD_KEY, GOOD_OIDC_KEY, GOOD_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


class FrozenClock:
    def __init__(self) -> None:
        self.now = START

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    frozen_clock = FrozenClock()
    monkeypatch.setattr(clock, "now", lambda: frozen_clock.now)
    return frozen_clock


@pytest.fixture
def signed_in(client: Client, frozen: FrozenClock) -> Client:
    make_user(username="dana", role="client")
    sign_in(client)
    assert client.get(reverse("rx_myaccount")).status_code == 200
    return client


def _expired_events(reason: str) -> int:
    return AuditEvent.objects.filter(action="auth.session.expired", details__reason=reason).count()


# --- The rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started", "last_active", "now", "reason"),
    [
        (0, 0, 899, None),
        (0, 0, 900, "idle"),
        (0, 43000, 43199, None),
        (0, 43000, 43200, "absolute"),
        (0, 0, 50000, "absolute"),  # both: the 12-hour limit is named
    ],
)
def test_session_clock_expiry_reason(
    started: float, last_active: float, now: float, reason: str | None
) -> None:
    session_clock = SessionClock(started_at=started, last_active_at=last_active)

    assert session_clock.expiry_reason(now=now, idle_seconds=900, absolute_seconds=43200) == reason


# --- Idle -------------------------------------------------------------------------------------


def test_fifteen_minutes_without_activity_signs_you_out(
    signed_in: Client, frozen: FrozenClock
) -> None:
    frozen.advance(minutes=14, seconds=59)
    assert signed_in.get(reverse("rx_myaccount")).status_code == 200

    frozen.advance(minutes=15)
    response = signed_in.get(reverse("rx_myaccount"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/my-account/"
    assert "_auth_user_id" not in signed_in.session
    assert _expired_events("idle") == 1
    event = AuditEvent.objects.get(action="auth.session.expired")
    assert event.details == {"reason": "idle", "limit_seconds": 900}
    assert event.actor.username == "dana"
    sign_in_page = html_of(signed_in.get(response["Location"]))
    assert "signed out after 15 minutes without activity" in sign_in_page


def test_a_post_after_the_idle_limit_is_refused(signed_in: Client, frozen: FrozenClock) -> None:
    frozen.advance(minutes=16)

    response = signed_in.post(reverse("rx_myaccount_end_other_sessions"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert not AuditEvent.objects.filter(action="auth.sessions.others_ended").exists()


def test_stay_signed_in_extends_the_idle_limit(signed_in: Client, frozen: FrozenClock) -> None:
    frozen.advance(minutes=14)
    kept = signed_in.post(reverse("rx_session_keep_alive"), HTTP_ACCEPT="application/json")
    frozen.advance(minutes=14)
    still = signed_in.get(reverse("rx_myaccount"))

    assert kept.status_code == 200
    assert kept.json() == {
        "signed_in": True,
        "idle_remaining_seconds": 900,
        "absolute_remaining_seconds": 43200 - 14 * 60,
        "warning_seconds": 120,
    }
    assert still.status_code == 200


def test_asking_how_long_is_left_is_not_activity(signed_in: Client, frozen: FrozenClock) -> None:
    frozen.advance(minutes=10)
    status = signed_in.get(reverse("rx_session_status"))
    frozen.advance(minutes=5, seconds=1)
    expired = signed_in.get(reverse("rx_session_status"))

    assert status.json()["idle_remaining_seconds"] == 300
    assert expired.status_code == 401
    assert expired.json()["signed_in"] is False
    assert expired.json()["sign_in_url"] == reverse("account_login")
    assert _expired_events("idle") == 1


def test_the_pages_tell_the_script_how_long_is_left(signed_in: Client, frozen: FrozenClock) -> None:
    frozen.advance(seconds=30)  # within the minute: activity is not written yet

    html = html_of(signed_in.get(reverse("rx_myaccount")))

    assert 'role="alertdialog"' in html
    assert 'data-idle-remaining-seconds="870"' in html
    assert 'data-warning-seconds="120"' in html
    assert 'src="/static/accounts/session-timeout.js" defer' in html
    assert "data-keep-alive" in html


def test_signed_out_pages_have_no_timer(client: Client) -> None:
    html = html_of(client.get(reverse("web:home")))

    assert "session-timeout" not in html


def test_the_keep_alive_form_works_without_the_script(
    signed_in: Client, frozen: FrozenClock
) -> None:
    frozen.advance(minutes=14)

    response = signed_in.post(reverse("rx_session_keep_alive"), {"next": "/dashboard/"})
    outside = signed_in.post(reverse("rx_session_keep_alive"), {"next": "https://evil.example/"})

    assert response["Location"] == "/dashboard/"
    assert outside["Location"] == reverse("rx_myaccount")


def test_keep_alive_and_status_answer_json_when_signed_out(client: Client) -> None:
    kept = client.post(reverse("rx_session_keep_alive"), HTTP_ACCEPT="application/json")
    status = client.get(reverse("rx_session_status"))

    assert (kept.status_code, status.status_code) == (401, 401)
    assert kept.json()["signed_in"] is False


# --- Absolute -----------------------------------------------------------------------------


def test_twelve_hours_after_sign_in_you_are_signed_out_however_active(
    signed_in: Client, frozen: FrozenClock
) -> None:
    for _ in range(12 * 6 - 1):  # active every 10 minutes for 11 h 50 min
        frozen.advance(minutes=10)
        assert (
            signed_in.post(
                reverse("rx_session_keep_alive"), HTTP_ACCEPT="application/json"
            ).status_code
            == 200
        )
    frozen.advance(minutes=9, seconds=59)
    last = signed_in.post(reverse("rx_session_keep_alive"), HTTP_ACCEPT="application/json")

    frozen.advance(seconds=1)
    response = signed_in.get(reverse("web:dashboard"))

    assert last.json()["absolute_remaining_seconds"] == 1
    assert last.json()["idle_remaining_seconds"] == 900  # the script compares the two
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert _expired_events("absolute") == 1
    assert "12 hours after signing in" in html_of(signed_in.get(reverse("account_login")))


def test_the_clock_starts_at_sign_in_not_at_the_first_page(
    client: Client, frozen: FrozenClock
) -> None:
    make_user(username="dana", role="client")
    sign_in(client)
    frozen.advance(hours=12, seconds=1)  # no request at all in between

    response = client.get(reverse("rx_myaccount"))

    assert response.status_code == 302
    assert _expired_events("absolute") == 1


def test_a_new_sign_in_starts_a_new_session_clock(client: Client, frozen: FrozenClock) -> None:
    make_user(username="dana", role="client")
    sign_in(client)
    frozen.advance(minutes=20)
    client.get(reverse("rx_myaccount"))  # expired: signed out
    sign_in(client)

    response = client.get(reverse("rx_myaccount"))

    assert response.status_code == 200
    assert client.session[session_timeouts.STARTED_AT_SESSION_KEY] == START.timestamp() + 1200


# --- Session ids and cookies ---------------------------------------------------------------


def test_the_session_id_changes_at_each_step_and_at_sign_in(client: Client) -> None:
    make_user(username="dana", role="client")
    enter_username(client, "dana", question="stop")
    keys = [session_key(client)]
    from tests.accounts.test_signin_support import answer_question

    answer_question(client)
    keys.append(session_key(client))
    enter_password(client)
    keys.append(session_key(client))

    assert "_auth_user_id" in client.session
    assert len(set(keys)) == 3


def test_the_session_cookie_is_http_only_and_same_site_lax(client: Client) -> None:
    make_user(username="dana", role="client")
    enter_username(client, "dana")

    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]

    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_production_cookies_use_the_host_prefix() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.pop("REDIS_URL", None)
    env.update(
        RXPORTAL_ENV="production",
        DJANGO_SETTINGS_MODULE="rxportal.settings.prod",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
        RXPORTAL_FIELD_ENCRYPTION_KEYS=GOOD_FIELD_KEY,
        RXPORTAL_OIDC_RSA_PRIVATE_KEY=GOOD_OIDC_KEY,
        RXPORTAL_BASE_URL="https://portal.example.org",
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.RXPORTAL_SESSION_IDLE_SECONDS, "
        "s.RXPORTAL_SESSION_ABSOLUTE_SECONDS]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "__Host-sessionid",
        "__Host-csrftoken",
        True,
        True,
        "Lax",
        900,
        43200,
    ]


# --- The session list's activity (ThrottledUserSessionsMiddleware) ------------------------------


def test_session_activity_is_written_at_most_once_a_minute(
    signed_in: Client, frozen: FrozenClock
) -> None:
    from allauth.usersessions.models import UserSession

    row = UserSession.objects.get(session_key=session_key(signed_in))
    first_seen = row.last_seen_at

    frozen.advance(seconds=30)
    signed_in.get(reverse("rx_myaccount"), REMOTE_ADDR="203.0.113.7")
    row.refresh_from_db()
    assert (row.last_seen_at, row.ip) == (first_seen, "127.0.0.1")  # not written again yet

    frozen.advance(seconds=django_settings.RXPORTAL_SESSION_TOUCH_SECONDS)
    signed_in.get(reverse("rx_myaccount"), REMOTE_ADDR="203.0.113.7")
    row.refresh_from_db()
    assert row.last_seen_at > first_seen
    assert row.ip == "203.0.113.7"


def test_a_bearer_token_call_leaves_no_session_behind(client: Client, family: Family) -> None:
    """The JSON API signs its caller in by token for one request (``request.user``), not the
    session: the first-page skip must not take that for a sign-in and save a session, with its
    cookie and row, on every API call."""
    from django.contrib.sessions.models import Session

    from tests.oauth_tokens import bearer, issue_access_token

    assert family.subscriber.user is not None
    token = issue_access_token(family.subscriber.user)

    response = client.get("/api/v1/profile", **bearer(token))

    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
