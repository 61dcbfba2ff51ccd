"""The sign-in and reset counters hold whatever the cache does (review finding L1).

Django's database cache (the embedded setup's) increments by reading then writing, and culls
keys past ``MAX_ENTRIES``; so counters that must hold live in their own table instead, updated
in place under the row's lock. A cache that keeps nothing (``DummyCache``) stands in here for
one that loses or culls keys.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from rxportal.accounts.services import lockout, recovery_limits
from rxportal.core import clock

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 12, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def cache_keeps_nothing(settings) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.mark.usefixtures("cache_keeps_nothing")
def test_the_per_address_sign_in_throttle_does_not_depend_on_the_cache(settings) -> None:
    settings.RXPORTAL_LOGIN_IP_FAILURE_LIMIT = 3
    for _ in range(3):
        lockout.note_ip_failure(ip="198.51.100.4", now=NOW)

    assert lockout.ip_throttle_exceeded(ip="198.51.100.4", now=NOW)
    assert not lockout.ip_throttle_exceeded(ip="198.51.100.5", now=NOW)


@pytest.mark.usefixtures("cache_keeps_nothing")
def test_the_global_breaker_does_not_depend_on_the_cache(settings) -> None:
    settings.RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT = 2
    for _ in range(3):
        lockout.note_global_failure(now=NOW)

    assert lockout.global_breaker_tripped(now=NOW)


@pytest.mark.usefixtures("cache_keeps_nothing")
def test_six_digit_code_checks_stop_at_the_limit_without_the_cache(settings) -> None:
    settings.RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME = 4

    taken = [recovery_limits.reserve_short_code_check(name="dana", now=NOW) for _ in range(6)]

    assert taken == [True, True, True, True, False, False]
    assert recovery_limits.code_checks_used_up(name="dana", now=NOW)
    assert not recovery_limits.code_checks_used_up(name="other", now=NOW)


def test_a_window_counter_counts_each_event_and_keeps_windows_apart() -> None:
    window = 60
    counts = [lockout.bump_window_counter("t:k", window_seconds=window, now=NOW) for _ in range(3)]
    later = NOW + dt.timedelta(seconds=window)

    assert counts == [1, 2, 3]
    assert lockout.bump_window_counter("t:k", window_seconds=window, now=later) == 1
    # Half of the next window is gone (NOW is half-way through its own): the previous counts half.
    assert lockout.estimate_window_count("t:k", window_seconds=window, now=later) == 1 + 3 * 0.5


def test_the_hourly_task_deletes_only_expired_windows() -> None:
    from rxportal.accounts.tasks import purge_expired_counters

    lockout.bump_window_counter("t:old", window_seconds=60, now=clock.now() - dt.timedelta(hours=1))
    lockout.bump_window_counter("t:new", window_seconds=60, now=clock.now())

    assert purge_expired_counters.delay().get() == {"deleted": 1}
    assert lockout.estimate_window_count("t:new", window_seconds=60, now=clock.now()) >= 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database is one writer"
)
def test_parallel_code_checks_never_overshoot_the_limit(settings) -> None:
    settings.RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME = 5
    now = clock.now()
    threads, taken, errors = 12, [], []
    barrier = threading.Barrier(threads)

    def reserve() -> None:
        try:
            barrier.wait()
            taken.append(recovery_limits.reserve_short_code_check(name="dana", now=now))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=reserve) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert taken.count(True) == 5
