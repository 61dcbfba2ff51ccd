"""Sign-in lock-out per username, per-IP throttle, global breaker; no account enumeration."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from rxportal.accounts.domain import GateDecision
from rxportal.accounts.models import LoginThrottle
from rxportal.accounts.selectors import get_sign_in_status
from rxportal.accounts.services.lockout import (
    _row_digest,
    clear_throttle_for,
    global_breaker_tripped,
    ip_throttle_exceeded,
    note_global_failure,
    note_ip_failure,
    record_sign_in_failure,
    record_sign_in_success,
    sign_in_gate,
)
from rxportal.audit.models import AuditEvent
from rxportal.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def isolated_cache(settings: Any) -> None:
    """A cache of this test's own (unique LocMem store or Redis key prefix); never cleared."""
    caches = copy.deepcopy(settings.CACHES)
    default = caches["default"]
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-{uuid.uuid4().hex[:8]}"
    if default["BACKEND"].endswith("LocMemCache"):
        default["LOCATION"] = uuid.uuid4().hex
    settings.CACHES = caches


def fail(
    username: str, times: int, *, start: dt.datetime = NOW
) -> tuple[dt.datetime, GateDecision]:
    """``times`` failures, each at the first moment the gate allows one; returns (now, decision)."""
    now = start
    decision = sign_in_gate(username=username, now=now)
    for _ in range(times):
        assert not sign_in_gate(username=username, now=now).blocked
        decision = record_sign_in_failure(username=username, now=now)
        now = max(now, decision.locked_until or now) + SECOND
    return now, decision


def test_unknown_name_starts_open() -> None:
    assert sign_in_gate(username="nobody", now=NOW) == GateDecision(
        captcha_required=False, locked_until=None, hard_locked=False, ip_throttled=False
    )


def test_third_failure_requires_the_captcha() -> None:
    _, decision = fail("alice", 2)
    assert not decision.captcha_required
    _, decision = fail("alice", 1)
    assert decision.captcha_required and not decision.blocked


def test_fifth_failure_locks_for_one_minute_then_doubles() -> None:
    for _ in range(4):
        assert not record_sign_in_failure(username="alice", now=NOW).blocked
    decision = record_sign_in_failure(username="alice", now=NOW)
    assert decision.locked_until == NOW + dt.timedelta(minutes=1)
    assert sign_in_gate(username="alice", now=NOW + 59 * SECOND).blocked
    later = NOW + dt.timedelta(minutes=1)
    assert not sign_in_gate(username="alice", now=later).blocked
    assert record_sign_in_failure(username="alice", now=later).locked_until == later + dt.timedelta(
        minutes=2
    )


def test_username_is_normalized_before_counting() -> None:
    for name in ("Alice", " ALICE ", "ａｌｉｃｅ"):
        record_sign_in_failure(username=name, now=NOW)
    assert sign_in_gate(username="alice", now=NOW).captcha_required
    assert LoginThrottle.objects.count() == 1


@pytest.mark.parametrize("failures", [1, 3, 5, 6, 9])
def test_known_and_unknown_names_get_identical_decisions(failures: int) -> None:
    UserFactory(username="realuser", email="real@example.org")
    now_known, known = fail("realuser", failures)
    now_unknown, unknown = fail("ghostuser", failures)
    assert known == unknown
    assert now_known == now_unknown
    for moment in (now_known, now_known + dt.timedelta(minutes=20), NOW + dt.timedelta(hours=13)):
        assert sign_in_gate(username="realuser", now=moment) == sign_in_gate(
            username="ghostuser", now=moment
        )
    fields = (
        "consecutive_failures",
        "failures_since_success",
        "first_failure_at",
        "locked_until",
        "owner_notified_at",
    )
    rows = [{f: getattr(row, f) for f in fields} for row in LoginThrottle.objects.order_by("pk")]
    assert rows[0] == rows[1]


def test_known_and_unknown_names_cost_the_same_queries_at_the_lock(
    django_capture_on_commit_callbacks: Any,
) -> None:
    UserFactory(username="realuser", email="real@example.org")
    fail("realuser", 4)
    fail("ghostuser", 4)
    with django_capture_on_commit_callbacks(execute=False):
        with CaptureQueriesContext(connection) as known:
            record_sign_in_failure(username="realuser", now=NOW + dt.timedelta(hours=1))
        with CaptureQueriesContext(connection) as unknown:
            record_sign_in_failure(username="ghostuser", now=NOW + dt.timedelta(hours=1))
    assert len(known) == len(unknown)


def test_owner_is_emailed_once_per_lock_episode(
    mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    UserFactory(username="alice", email="alice@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        now, _ = fail("alice", 9)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.org"]
    assert "reset your password" in message.body
    assert "paused" in message.subject

    # Twelve hours later a new episode starts: one more email when it locks again.
    with django_capture_on_commit_callbacks(execute=True):
        fail("alice", 5, start=now + dt.timedelta(hours=13))
    assert len(mailoutbox) == 2


def test_no_email_for_unknown_names_or_users_without_email(
    mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    """An unknown name's notice is a rolled-back rehearsal (the same work, nothing kept); an
    account without an address is told in its inbox only."""
    user = UserFactory(username="noemail", email="")
    with django_capture_on_commit_callbacks(execute=True):
        fail("ghostuser", 6)
        fail("noemail", 6)
    assert mailoutbox == []
    notices = Notification.objects.filter(kind="security.sign_in_paused")
    assert [(row.recipient_id, row.channel) for row in notices] == [(user.pk, "inbox")]


def test_lock_start_is_audited_for_real_and_unknown_names() -> None:
    user = UserFactory(username="alice")
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        record_sign_in_failure(username="alice", now=NOW, request=request)
    fail("ghostuser", 5)
    events = list(AuditEvent.objects.filter(action="auth.lockout.started").order_by("sequence"))
    assert len(events) == 2
    assert events[0].subject_id == str(user.public_id)
    assert events[0].ip_address == "203.0.113.9"
    assert events[0].details["failures"] == 5
    assert len(events[0].details["username_digest"]) == 64
    assert events[1].subject_id == ""
    assert "alice" not in str(events[0].details) and "ghost" not in str(events[1].details)


def test_episode_resets_twelve_hours_after_its_first_failure() -> None:
    fail("alice", 4)
    assert sign_in_gate(username="alice", now=NOW + dt.timedelta(hours=12)).captcha_required
    later = NOW + dt.timedelta(hours=12) + SECOND
    assert not sign_in_gate(username="alice", now=later).captcha_required
    decision = record_sign_in_failure(username="alice", now=later)
    assert not decision.captcha_required
    row = LoginThrottle.objects.get()
    assert (row.consecutive_failures, row.failures_since_success) == (1, 5)
    assert row.first_failure_at == later


def test_no_burst_of_failures_locks_an_account_without_an_end() -> None:
    """Failures as fast as the gate allows, well past the old permanent ceiling of 100: every
    lock has an end (at most a day after the failure that started it), and a password reset or
    the service center still lifts it at once."""
    UserFactory(username="alice")
    now, decision = NOW, sign_in_gate(username="alice", now=NOW)
    failures = 0
    while failures < 130:
        assert not sign_in_gate(username="alice", now=now).blocked
        decision = record_sign_in_failure(username="alice", now=now)
        failures += 1
        if decision.blocked:
            assert decision.locked_until is not None
            assert decision.locked_until <= now + dt.timedelta(hours=24)
        now = max(now, decision.locked_until or now) + SECOND
    assert AuditEvent.objects.filter(action="auth.lockout.hard_locked").count() == 1
    locked = sign_in_gate(username="alice", now=now - 2 * SECOND)
    assert locked.blocked and locked.hard_locked
    assert not sign_in_gate(username="alice", now=now).blocked
    assert not sign_in_gate(username="alice", now=now + dt.timedelta(days=60)).blocked
    record_sign_in_failure(username="alice", now=now)
    assert clear_throttle_for(username="alice", reason="password reset")
    assert not sign_in_gate(username="alice", now=now).blocked
    assert AuditEvent.objects.filter(action="auth.lockout.cleared").count() == 1


def test_the_service_center_sees_when_the_day_long_lock_ends() -> None:
    state = LoginThrottle.objects.create(
        username_digest=_row_digest("alice"),
        consecutive_failures=1,
        failures_since_success=120,
        first_failure_at=NOW,
        locked_until=NOW + dt.timedelta(hours=24),
    )
    status = get_sign_in_status(username="Alice", now=NOW + dt.timedelta(hours=13))
    html = render_to_string("staff/_sign_in_status.html", {"status": status})

    assert status.hard_locked and status.locked_until == state.locked_until
    assert "100 or more failed tries since the last sign-in" in html
    assert "Locked until" in html and "until unlocked" not in html
    later = get_sign_in_status(username="alice", now=NOW + dt.timedelta(hours=24))
    assert not later.locked
    assert "Not locked" in render_to_string("staff/_sign_in_status.html", {"status": later})


def test_clear_throttle_for_lifts_a_timed_lock_and_reports_whether_anything_was_there() -> None:
    fail("Newcomer", 6)
    assert sign_in_gate(username="newcomer", now=NOW).blocked
    assert clear_throttle_for(username="NEWCOMER")
    assert sign_in_gate(username="newcomer", now=NOW) == GateDecision(
        captcha_required=False, locked_until=None, hard_locked=False
    )
    assert not clear_throttle_for(username="newcomer")


def test_success_forgets_failures() -> None:
    fail("alice", 4)
    record_sign_in_success(username="ALICE")
    assert not LoginThrottle.objects.exists()
    assert not sign_in_gate(username="alice", now=NOW).captcha_required


def test_success_forgets_the_username_and_the_email_in_one_delete() -> None:
    fail("alice", 2)
    fail("alice@example.com", 2)
    fail("bob", 2)

    with CaptureQueriesContext(connection) as queries:
        record_sign_in_success(username="alice", email="Alice@Example.com")

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1
    assert LoginThrottle.objects.count() == 1  # bob's failures stay


# --- Per-IP throttle ---------------------------------------------------------------------------


def test_ip_throttle_trips_at_the_limit_and_decays(settings: Any) -> None:
    settings.RXPORTAL_LOGIN_IP_FAILURE_LIMIT = 3
    settings.RXPORTAL_LOGIN_IP_FAILURE_WINDOW_SECONDS = 900
    start = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)  # a window boundary
    for _ in range(2):
        note_ip_failure(ip="203.0.113.7", now=start)
    assert not ip_throttle_exceeded(ip="203.0.113.7", now=start)
    note_ip_failure(ip="203.0.113.7", now=start)
    assert ip_throttle_exceeded(ip="203.0.113.7", now=start)
    assert not ip_throttle_exceeded(ip="203.0.113.8", now=start)
    # Half-way through the next window the old failures count for half: 1.5 < 3.
    assert not ip_throttle_exceeded(ip="203.0.113.7", now=start + dt.timedelta(minutes=22.5))
    assert not ip_throttle_exceeded(ip="203.0.113.7", now=start + dt.timedelta(minutes=30))


def test_ipv6_addresses_in_one_slash_64_share_a_counter(settings: Any) -> None:
    settings.RXPORTAL_LOGIN_IP_FAILURE_LIMIT = 2
    note_ip_failure(ip="2001:db8:1:2::1", now=NOW)
    note_ip_failure(ip="2001:db8:1:2:aaaa::9", now=NOW)
    assert ip_throttle_exceeded(ip="2001:db8:1:2:ffff::5", now=NOW)
    assert not ip_throttle_exceeded(ip="2001:db8:1:3::1", now=NOW)


def test_sign_in_failures_count_against_the_request_ip(settings: Any) -> None:
    settings.RXPORTAL_LOGIN_IP_FAILURE_LIMIT = 3
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.4")
    for name in ("a1", "a2", "a3"):  # spraying across usernames
        decision = record_sign_in_failure(username=name, now=NOW, request=request)
    assert decision.ip_throttled and decision.blocked
    gate = sign_in_gate(username="brand-new", now=NOW, ip="198.51.100.4")
    assert gate.blocked and gate.ip_throttled
    assert not sign_in_gate(username="brand-new", now=NOW, ip="198.51.100.5").blocked


def test_garbage_ip_is_ignored() -> None:
    note_ip_failure(ip="not-an-ip", now=NOW)
    assert not ip_throttle_exceeded(ip="not-an-ip", now=NOW)


# --- Global breaker ----------------------------------------------------------------------------


def test_global_breaker_requires_the_captcha_for_everyone_but_blocks_no_one(
    settings: Any,
) -> None:
    settings.RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT = 3
    for _ in range(3):
        note_global_failure(now=NOW)
    assert not global_breaker_tripped(now=NOW)
    record_sign_in_failure(username="someone", now=NOW)
    assert global_breaker_tripped(now=NOW)
    decision = sign_in_gate(username="fresh-name", now=NOW)
    assert dataclasses.astuple(decision) == (True, None, False, False)
    assert not decision.blocked
    assert not global_breaker_tripped(now=NOW + dt.timedelta(minutes=3))


def test_an_account_has_one_email_address(settings: Any) -> None:
    """``clear_throttles_for_user`` and the adapter's ``post_login`` clear the counter of
    ``user.email`` only: right while an account has one address. Raising the limit needs them
    to clear every verified address's counter first."""
    assert settings.ACCOUNT_MAX_EMAIL_ADDRESSES == 1
