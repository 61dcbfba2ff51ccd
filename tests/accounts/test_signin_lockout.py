"""Failed passwords at sign-in: generic errors, counting, CAPTCHA, lock-out, timing parity."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import LoginThrottle
from rxportal.accounts.services import lockout
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.accounts.test_signin_support import (
    GENERIC_ERROR,
    enter_password,
    enter_totp,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
    solve_captcha,
    totp_code,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def _throttle() -> LoginThrottle:
    return LoginThrottle.objects.get()


def _fail(client: Client, times: int) -> None:
    for _ in range(times):
        response = enter_password(client, "not-the-password")
        assert response.status_code == 200
        assert GENERIC_ERROR in html_of(response) or "Sign-in is paused" in html_of(response)


def test_a_wrong_password_gets_the_generic_error_and_is_counted(client: Client) -> None:
    make_user(username="dana")
    enter_username(client, "dana")

    response = enter_password(client, "not-the-password")

    html = html_of(response)
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert GENERIC_ERROR in html
    assert 'aria-invalid="true"' in html
    assert _throttle().consecutive_failures == 1
    assert AuditEvent.objects.filter(action="auth.login.failed").count() == 1
    assert "_auth_user_id" not in client.session


def test_an_unknown_username_is_counted_exactly_like_a_real_one(client: Client) -> None:
    enter_username(client, "nobody-here", question="skip")

    enter_password(client, "not-the-password")

    assert _throttle().consecutive_failures == 1


def test_after_three_failures_a_captcha_is_required(client: Client) -> None:
    make_user(username="dana")
    enter_username(client, "dana")
    assert 'name="captcha_answer"' not in html_of(client.get(reverse("rx_login_password")))
    _fail(client, 3)

    page = html_of(client.get(reverse("rx_login_password")))
    without_answer = client.post(reverse("rx_login_password"), {"password": DEFAULT_PASSWORD})

    assert 'name="captcha_answer"' in page
    assert 'aria-describedby="id_captcha_answer_hint"' in page
    assert without_answer.status_code == 200
    assert "_auth_user_id" not in client.session
    assert _throttle().consecutive_failures == 3  # the password was not even tried
    assert enter_password(client).status_code == 302  # with the CAPTCHA solved


def test_a_wrong_captcha_answer_never_checks_the_password(client: Client) -> None:
    make_user(username="dana")
    enter_username(client, "dana")
    _fail(client, 3)

    response = enter_password(client, captcha_answer="999")

    assert response.status_code == 200
    assert "That answer did not match the check." in html_of(response)
    assert _throttle().consecutive_failures == 3


def test_after_five_failures_even_the_right_password_is_told_of_the_pause(
    client: Client,
) -> None:
    make_user(username="dana")
    enter_username(client, "dana")
    _fail(client, 5)
    assert _throttle().locked_until > clock.now()
    failures_logged = AuditEvent.objects.filter(action="auth.login.failed").count()

    response = enter_password(client, DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert "Sign-in is paused for this username until" in html_of(response)
    assert "_auth_user_id" not in client.session
    # Not authenticated at all (Django's failed-login signal would have fired), not counted.
    assert AuditEvent.objects.filter(action="auth.login.failed").count() == failures_logged
    assert _throttle().consecutive_failures == 5


def test_a_locked_account_gets_in_again_once_the_lock_ends(client: Client) -> None:
    make_user(username="dana", role="client")
    enter_username(client, "dana")
    _fail(client, 5)
    later = clock.now() + dt.timedelta(minutes=2)

    with mock.patch("rxportal.core.clock.now", return_value=later):
        response = enter_password(client)

    assert response.status_code == 302


def test_a_completed_sign_in_resets_the_failures(client: Client) -> None:
    make_user(username="dana", role="client")
    enter_username(client, "dana")
    _fail(client, 2)

    response = enter_password(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")
    assert not LoginThrottle.objects.exists()


def test_the_lock_also_stops_second_factor_guessing(client: Client) -> None:
    user = make_user(username="dana", totp=True)
    enter_username(client, "dana")
    enter_password(client)
    for _ in range(5):
        lockout.record_sign_in_failure(username="dana", now=clock.now())

    response = enter_totp(client, totp_code())

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert user.authenticator_set.get().last_used_at is None


@pytest.mark.parametrize("case", ["unknown", "wrong_password", "locked"])
def test_every_refusal_costs_one_password_hash(client: Client, case: str) -> None:
    """Unknown names are hashed too (allauth's backend hashes a dummy), so timing matches."""
    make_user(username="dana")
    if case == "unknown":
        enter_username(client, "someone-else", question="skip")
    else:
        enter_username(client, "dana")
    if case == "locked":
        for _ in range(5):
            lockout.record_sign_in_failure(username="dana", now=clock.now())
    page = client.get(reverse("rx_login_password"))
    captcha = solve_captcha(html_of(page))
    data = {"password": "not-the-password"}
    if captcha:
        data.update(captcha_token=captcha[0], captcha_answer=captcha[1])
    original = MD5PasswordHasher.encode

    with mock.patch.object(MD5PasswordHasher, "encode", autospec=True, side_effect=original) as spy:
        response = client.post(reverse("rx_login_password"), data)

    assert response.status_code == 200
    assert spy.call_count == 1
