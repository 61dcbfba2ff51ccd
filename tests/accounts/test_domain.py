"""Pure account-security rules: no database, no cache, no clock."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from rxportal.accounts import domain
from rxportal.accounts.domain import GateDecision, ThrottleState

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [(0, None), (1, None), (4, None), (5, 1), (6, 2), (7, 4), (8, 8), (9, 15), (10, 15), (99, 15)],
)
def test_lock_duration_doubles_from_one_minute_to_a_fifteen_minute_cap(
    failures: int, minutes: int | None
) -> None:
    expected = None if minutes is None else dt.timedelta(minutes=minutes)
    assert domain.compute_lock_duration(failures) == expected


@pytest.mark.parametrize(("failures", "required"), [(0, False), (2, False), (3, True), (50, True)])
def test_captcha_is_required_from_the_third_failure(failures: int, required: bool) -> None:
    assert domain.is_captcha_required(failures) is required


@pytest.mark.parametrize(("failures", "locked"), [(99, False), (100, True), (250, True)])
def test_the_long_lock_starts_at_one_hundred_failures(failures: int, locked: bool) -> None:
    assert domain.is_hard_locked(failures) is locked


def test_episode_resets_only_when_the_first_failure_is_over_twelve_hours_old() -> None:
    first = NOW - dt.timedelta(hours=12)
    assert not domain.should_reset(None, NOW)
    assert not domain.should_reset(first, NOW)
    assert domain.should_reset(first, NOW + dt.timedelta(seconds=1))


def _fail(times: int, state: ThrottleState = ThrottleState()) -> ThrottleState:  # noqa: B008
    now = NOW
    for _ in range(times):
        state = domain.compute_failure(state, now).state
        now = max(now, state.locked_until or now) + dt.timedelta(seconds=1)
    return state


def test_fifth_failure_starts_a_one_minute_lock_and_asks_to_notify_the_owner_once() -> None:
    state = _fail(4)
    fifth = domain.compute_failure(state, NOW)
    assert fifth.lock_started
    assert fifth.notify_owner
    assert fifth.state.locked_until == NOW + MINUTE
    sixth = domain.compute_failure(fifth.state, NOW + 2 * MINUTE)
    assert not sixth.lock_started
    assert not sixth.notify_owner
    assert sixth.state.locked_until == NOW + 4 * MINUTE  # 2 + 2 minutes


def test_gate_decision_reflects_captcha_and_lock() -> None:
    state = _fail(3)
    assert domain.compute_gate_decision(state, NOW) == GateDecision(
        captcha_required=True, locked_until=None, hard_locked=False
    )
    locked = domain.compute_failure(_fail(4), NOW).state
    decision = domain.compute_gate_decision(locked, NOW + dt.timedelta(seconds=30))
    assert decision.blocked
    assert decision.retry_after_seconds(NOW + dt.timedelta(seconds=30)) == 30
    assert not domain.compute_gate_decision(locked, NOW + MINUTE).blocked


def test_stale_episode_is_forgotten_but_failures_since_success_are_kept() -> None:
    state = _fail(7)
    later = NOW + dt.timedelta(hours=13)
    decision = domain.compute_gate_decision(state, later)
    assert decision == GateDecision(captcha_required=False, locked_until=None, hard_locked=False)
    after = domain.compute_failure(state, later)
    assert after.state.consecutive_failures == 1
    assert after.state.failures_since_success == 8
    assert after.state.first_failure_at == later
    assert not after.state.owner_notified


def test_every_failure_past_one_hundred_locks_for_a_day_and_the_lock_ends() -> None:
    """No attacker-driven count may lock an account for ever: past 100 failures since the last
    success each failure locks for 24 hours (one guess a day), and the lock then ends by itself."""
    state = ThrottleState(failures_since_success=99, first_failure_at=NOW)
    hundredth = domain.compute_failure(state, NOW)
    assert hundredth.hard_lock_started
    assert hundredth.state.locked_until == NOW + dt.timedelta(hours=24)
    decision = domain.compute_gate_decision(hundredth.state, NOW + dt.timedelta(hours=23))
    assert decision.hard_locked and decision.blocked
    assert decision.retry_after_seconds(NOW + dt.timedelta(hours=23)) == 3600
    later = NOW + dt.timedelta(hours=24)
    reopened = domain.compute_gate_decision(hundredth.state, later)
    assert not reopened.blocked
    assert not reopened.hard_locked
    assert reopened.captcha_required  # still past the ceiling: the CAPTCHA stays
    next_one = domain.compute_failure(hundredth.state, later)
    assert not next_one.hard_lock_started
    assert next_one.state.locked_until == later + dt.timedelta(hours=24)
    assert not domain.compute_gate_decision(next_one.state, later + dt.timedelta(days=30)).blocked


def test_hundredth_failure_since_success_starts_the_long_lock() -> None:
    state = ThrottleState(failures_since_success=98, first_failure_at=NOW)
    assert not domain.compute_failure(state, NOW).hard_lock_started
    state = ThrottleState(failures_since_success=99, first_failure_at=NOW)
    assert domain.compute_failure(state, NOW).hard_lock_started


def test_global_breaker_and_ip_throttle_feed_the_decision() -> None:
    decision = domain.compute_gate_decision(ThrottleState(), NOW, global_breaker_tripped=True)
    assert decision.captcha_required and not decision.blocked
    decision = domain.compute_gate_decision(ThrottleState(), NOW, ip_throttled=True)
    assert decision.blocked


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Alice ", "alice"),
        ("ＡＬＩＣＥ", "alice"),  # full-width letters, NFKC
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
    ],
)
def test_normalize_username(raw: str, expected: str) -> None:
    assert domain.normalize_username(raw) == expected


@pytest.mark.parametrize(
    ("ip", "group"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not-an-ip", None),
        ("", None),
        (None, None),
    ],
)
def test_ip_groups_are_ipv4_addresses_and_ipv6_slash_64s(ip: str | None, group: str | None) -> None:
    assert domain.compute_ip_group(ip) == group


def test_sliding_window_estimate_weights_the_previous_window() -> None:
    assert domain.estimate_sliding_count(10, 40, 0.25) == 10 + 30
    index, elapsed = domain.compute_window_index(
        dt.datetime(2030, 1, 1, 0, 7, 30, tzinfo=dt.UTC), 900
    )
    assert elapsed == pytest.approx(0.5)
    assert index == math.floor(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp() / 900)


def test_recovery_codes_have_at_least_fifty_bits() -> None:
    bits = domain.RECOVERY_CODE_LENGTH * math.log2(len(domain.RECOVERY_CODE_ALPHABET))
    assert bits >= 50
    assert not set("01ILOU") & set(domain.RECOVERY_CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7KQ4-MX2P-9TRA", "7KQ4MX2P9TRA"),
        (" 7kq4 mx2p 9tra ", "7KQ4MX2P9TRA"),
        ("7kq4‐mx2p‐9tra", "7KQ4MX2P9TRA"),  # Unicode hyphens
        ("7KQ4-MX2P-9TR", None),
        ("7KQ4-MX2P-9TRO", None),  # O is not in the alphabet
    ],
)
def test_normalize_recovery_code(typed: str, expected: str | None) -> None:
    assert domain.normalize_recovery_code(typed) == expected


def test_format_recovery_code() -> None:
    assert domain.format_recovery_code("7KQ4MX2P9TRA") == "7KQ4-MX2P-9TRA"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+1 (555) 010-0199", "+15550100199"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+１５５５０１００１９９", "+15550100199"),
        ("5550100199", None),  # no country code
        ("+0 555 010 0199", None),
        ("+1555", None),
        ("+1234567890123456", None),  # 16 digits
        ("+1 555 010 0199 ext 2", None),
    ],
)
def test_normalize_phone_e164(typed: str, expected: str | None) -> None:
    assert domain.normalize_phone_e164(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        ("123-456", "123456"),
        ("12345", None),
        ("abcdef", None),
    ],
)
def test_normalize_code_input(typed: str, expected: str | None) -> None:
    assert domain.normalize_code_input(typed) == expected
