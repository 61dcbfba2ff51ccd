"""Parallel guesses cannot get past the per-username lock-out (review finding M2).

Each answer or password is counted as a failure, under the throttle row's lock, *before* it is
checked; a right one gives the failure back. A guess that arrives while another is being checked
therefore already sees the other's failure (and the lock it may have started).

The deterministic tests here make a second attempt from inside the first one's hash check (the
moment a parallel request would slip in); the threaded one needs PostgreSQL (real parallel
writers).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.models import LoginThrottle, User
from rxportal.accounts.services.lockout import _row_digest
from tests.accounts.test_signin_support import (
    ANSWER,
    answer_question,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    make_user,
    solve_captcha,
)
from tests.audit.support import audit_trail_purged, purge_audit_trail_before_flush  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

WRONG = "wrong guess here"


def _one_guess_left(username: str = "dana") -> None:
    """Past the 100-failure ceiling, the last 24-hour lock just ended: one guess is allowed."""
    now = timezone.now()
    LoginThrottle.objects.create(
        username_digest=_row_digest(username),
        consecutive_failures=3,
        failures_since_success=150,
        first_failure_at=now - dt.timedelta(hours=1),
        last_failure_at=now - dt.timedelta(hours=25),
        locked_until=now - dt.timedelta(seconds=1),
    )


def _failures(username: str = "dana") -> tuple[int, int]:
    row = LoginThrottle.objects.filter(username_digest=_row_digest(username)).first()
    return (row.consecutive_failures, row.failures_since_success) if row else (0, 0)


def _at_question(ip: str, username: str = "dana") -> tuple[Client, dict[str, str]]:
    client = Client(REMOTE_ADDR=ip)
    enter_username(client, username, question="stop")
    page = client.get(reverse("rx_login_question")).content.decode()
    data = {"action": "answer", "answer": WRONG}
    token = solve_captcha(page)
    if token is not None:
        data.update(captcha_token=token[0], captcha_answer=token[1])
    return client, data


def test_the_wrong_answer_is_counted_before_it_is_checked(monkeypatch) -> None:
    make_user()
    client, data = _at_question("198.51.100.1")
    seen: list[tuple[int, int]] = []
    real = signin_flow.check_password

    def spy(*args, **kwargs):
        seen.append(_failures())
        return real(*args, **kwargs)

    monkeypatch.setattr(signin_flow, "check_password", spy)
    client.post(reverse("rx_login_question"), data)

    assert seen == [(1, 1)]
    assert _failures() == (1, 1)


def test_a_guess_made_while_another_is_checked_is_refused_at_the_ceiling(monkeypatch) -> None:
    make_user()
    _one_guess_left()
    first, first_data = _at_question("198.51.100.1")
    second, second_data = _at_question("198.51.100.2")
    checked: list[str] = []
    real = signin_flow.check_password

    def parallel(answer, encoded, *args, **kwargs):
        checked.append(answer)
        if len(checked) == 1:  # the second request arrives while the first hash runs
            second.post(reverse("rx_login_question"), second_data)
        return real(answer, encoded, *args, **kwargs)

    monkeypatch.setattr(signin_flow, "check_password", parallel)
    first.post(reverse("rx_login_question"), first_data)

    assert len(checked) == 1  # only one of the two answers was checked
    assert _failures() == (4, 151)


def test_a_right_answer_gives_the_counted_failure_back() -> None:
    make_user()
    LoginThrottle.objects.create(
        username_digest=_row_digest("dana"),
        consecutive_failures=2,
        failures_since_success=7,
        first_failure_at=timezone.now() - dt.timedelta(minutes=5),
        last_failure_at=timezone.now() - dt.timedelta(minutes=5),
    )
    client = Client(REMOTE_ADDR="198.51.100.1")
    enter_username(client, "dana", question="stop")

    response = answer_question(client, ANSWER)

    assert response["Location"] == reverse("rx_login_password")
    row = LoginThrottle.objects.get()
    assert (row.consecutive_failures, row.failures_since_success) == (2, 7)
    assert row.locked_until is None


def test_the_fifth_answer_right_does_not_lock_the_account() -> None:
    make_user()
    now = timezone.now()
    LoginThrottle.objects.create(
        username_digest=_row_digest("dana"),
        consecutive_failures=4,
        failures_since_success=4,
        first_failure_at=now - dt.timedelta(minutes=5),
        last_failure_at=now - dt.timedelta(minutes=5),
    )
    client = Client(REMOTE_ADDR="198.51.100.1")
    enter_username(client, "dana", question="stop")
    page = client.get(reverse("rx_login_question")).content.decode()
    token = solve_captcha(page)
    data = {"action": "answer", "answer": ANSWER}
    if token is not None:
        data.update(captcha_token=token[0], captcha_answer=token[1])

    response = client.post(reverse("rx_login_question"), data)

    assert response["Location"] == reverse("rx_login_password")
    row = LoginThrottle.objects.get()
    assert (row.consecutive_failures, row.locked_until, row.owner_notified_at) == (4, None, None)


def test_the_wrong_password_is_counted_before_it_is_checked(monkeypatch) -> None:
    make_user()
    client = Client(REMOTE_ADDR="198.51.100.1")
    enter_username(client, "dana")
    seen: list[tuple[int, int]] = []
    real = User.check_password

    def spy(self, raw_password):
        seen.append(_failures())
        return real(self, raw_password)

    monkeypatch.setattr(User, "check_password", spy)
    enter_password(client, "not the password 1!")

    assert seen == [(1, 1)]
    assert _failures() == (1, 1)  # counted once, not again by the adapter


def test_a_password_tried_while_another_is_checked_is_refused_at_the_ceiling(monkeypatch) -> None:
    make_user()
    first, second = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
    enter_username(first, "dana")
    enter_username(second, "dana")
    _one_guess_left()
    second_page = second.get(reverse("rx_login_password")).content.decode()
    token = solve_captcha(second_page)
    second_data = {"password": "second wrong password 2!"}
    if token is not None:
        second_data.update(captcha_token=token[0], captcha_answer=token[1])
    checked: list[str] = []
    real = User.check_password

    def parallel(self, raw_password):
        checked.append(raw_password)
        if len(checked) == 1:
            second.post(reverse("rx_login_password"), second_data)
        return real(self, raw_password)

    monkeypatch.setattr(User, "check_password", parallel)
    enter_password(first, "first wrong password 1!")

    assert checked == ["first wrong password 1!"]
    assert _failures() == (4, 151)


def test_a_right_password_leaves_the_failures_as_they_were() -> None:
    make_user(totp=True)
    client = Client(REMOTE_ADDR="198.51.100.1")
    enter_username(client, "dana")
    LoginThrottle.objects.create(
        username_digest=_row_digest("dana"),
        consecutive_failures=2,
        failures_since_success=7,
        first_failure_at=timezone.now() - dt.timedelta(minutes=5),
        last_failure_at=timezone.now() - dt.timedelta(minutes=5),
    )

    response = enter_password(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert _failures() == (2, 7)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database is one writer"
)
@pytest.mark.usefixtures("audit_trail_purged")
def test_parallel_wrong_answers_get_one_guess_at_the_ceiling(settings) -> None:
    settings.PASSWORD_HASHERS = ["rxportal.accounts.hashers.PortalArgon2PasswordHasher"]
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "rx_identify": "1000/m/ip",
        "rx_new_device": "1000/m/ip,1000/10m/key",
    }
    make_user()
    _one_guess_left()
    attempts = [_at_question(f"198.51.100.{i + 1}") for i in range(8)]
    barrier = threading.Barrier(len(attempts))
    errors: list[BaseException] = []

    def guess(client: Client, data: dict[str, str]) -> None:
        try:
            barrier.wait()
            client.post(reverse("rx_login_question"), data)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=attempt) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert _failures() == (4, 151)


def test_a_row_made_and_given_back_by_a_parallel_attempt_is_looked_for_again(
    monkeypatch,
) -> None:
    """A parallel attempt inserts the name's row first (this one's create fails), then its
    right answer deletes it, unchanged, before this one reads it: this attempt must still be
    counted, not end in a server error."""
    from django.db import IntegrityError

    from rxportal.accounts.services import lockout

    manager = LoginThrottle.objects
    real_create = manager.create
    calls: list[str] = []

    def create_lost_to_a_parallel_insert(**kwargs):
        calls.append(kwargs["username_digest"])
        if len(calls) == 1:
            raise IntegrityError("duplicate key: the parallel attempt's row (deleted since)")
        return real_create(**kwargs)

    monkeypatch.setattr(lockout, "_insert_first_failure", lambda *args: False)
    monkeypatch.setattr(manager, "create", create_lost_to_a_parallel_insert)

    attempt = lockout.begin_sign_in_attempt(username="dana", now=timezone.now())

    assert not attempt.refused
    assert _failures() == (1, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database is one writer"
)
def test_right_and_wrong_passwords_in_parallel_each_count_or_give_back() -> None:
    """Fresh names, two right and two wrong attempts at once, many rounds: the right ones'
    give-backs (a DELETE of the unchanged row, outside any lock) never lose a wrong one's count
    nor make a parallel attempt fail."""
    from rxportal.accounts.services import lockout
    from rxportal.core import clock

    rounds, errors = 20, []
    for round_ in range(rounds):
        name = f"racer-{round_}"
        plan = [True, False, True, False]
        barrier = threading.Barrier(len(plan))

        def attempt(right: bool, name: str = name, barrier=barrier) -> None:
            try:
                barrier.wait()
                begun = lockout.begin_sign_in_attempt(username=name, now=clock.now())
                if right:
                    lockout.cancel_sign_in_attempt(begun)
                else:
                    lockout.fail_sign_in_attempt(begun, now=clock.now())
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(right,)) for right in plan]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _failures(name) == (2, 2), round_

    assert errors == []
