"""Issue 14, sign-in: a paused username is told so (until when, and the reset that lifts it), the
right password during the pause neither signs in nor lengthens it, and an unknown name gets the
same page; the email address works at the username step; the steps carry no false count."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from rxportal.accounts.models import LoginThrottle, User
from rxportal.accounts.services import lockout
from rxportal.core import clock
from tests.accounts.test_recovery_support import (
    answer_question as answer_reset_question,
)
from tests.accounts.test_recovery_support import (
    choose_password,
    enter_code,
    last_code,
    start_reset,
)
from tests.accounts.test_signin_support import (
    ANSWER,
    GENERIC_ERROR,
    SITEKEY_PHRASE,
    answer_question,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
    solve_captcha,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

PAUSED = "Sign-in is paused for this username"
PAUSED_ES = "El inicio de sesión está en pausa para este nombre de usuario"


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _lock(username: str) -> None:
    for _ in range(5):
        lockout.record_sign_in_failure(username=username, now=clock.now())


def _locked_until() -> dt.datetime:
    return LoginThrottle.objects.get().locked_until


def _shape(html: str, username: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'name="captcha_token" value="[^"]+"', "CAPTCHA-TOKEN", html)
    html = re.sub(r'<label for="id_captcha_answer">[^<]*</label>', "CAPTCHA-PROMPT", html)
    html = re.sub(r'<label for="id_answer">[^<]*</label>', "QUESTION", html)
    return html.replace(username, "USERNAME")


# --- Lock-out says so ----------------------------------------------------------------------------


def test_the_fifth_wrong_password_says_sign_in_is_paused_until_when_and_offers_the_reset(
    client: Client,
) -> None:
    make_user(username="dana")
    enter_username(client, "dana")
    for _ in range(4):
        assert GENERIC_ERROR in html_of(enter_password(client, "not-the-password"))

    html = html_of(enter_password(client, "not-the-password"))

    assert PAUSED in html
    assert "check both and try again" not in html.lower()
    assert f'href="{reverse("account_reset_password")}"' in html
    assert "reset your password" in html.lower()
    shown = formats.date_format(timezone.localtime(_locked_until()), "DATETIME_FORMAT")
    assert shown in html, shown


def test_the_right_password_during_the_pause_shows_the_pause_and_does_not_lengthen_it(
    client: Client,
) -> None:
    make_user(username="dana", role="client")
    enter_username(client, "dana")
    for _ in range(5):
        enter_password(client, "not-the-password")
    until = _locked_until()

    for seconds in (10, 20, 30):
        at = clock.now() + dt.timedelta(seconds=seconds)
        with mock.patch("rxportal.core.clock.now", return_value=at):
            response = enter_password(client, DEFAULT_PASSWORD)
        assert response.status_code == 200
        assert PAUSED in html_of(response)
        assert "_auth_user_id" not in client.session
        assert _locked_until() == until


def test_a_failure_counted_during_a_pause_never_moves_its_end() -> None:
    """Second-factor and new-device codes count failures without the password gate: a failure
    while a lock runs must not push its end further out (each retry lengthened it)."""
    _lock("dana")
    until = _locked_until()

    for seconds in (5, 15, 45):
        lockout.record_sign_in_failure(
            username="dana", now=clock.now() + dt.timedelta(seconds=seconds)
        )

    assert _locked_until() == until


def test_the_question_step_during_the_pause_says_so_too(client: Client) -> None:
    make_user(username="dana")
    _lock("dana")
    enter_username(client, "dana", question="stop")
    page = html_of(client.get(reverse("rx_login_question")))
    data = {"action": "answer", "answer": ANSWER}
    captcha = solve_captcha(page)
    if captcha:
        data.update(captcha_token=captcha[0], captcha_answer=captcha[1])

    response = client.post(reverse("rx_login_question"), data, follow=True)

    assert PAUSED in html_of(response)
    assert "That answer did not match" not in html_of(response)


def _paused_page(username: str, password: str) -> str:
    client = Client()
    enter_username(client, username, question="skip")
    return html_of(enter_password(client, password))


def test_the_paused_page_is_the_same_for_an_unknown_username() -> None:
    make_user(username="dana-known")
    _lock("dana-known")
    _lock("dana-ghost")
    with mock.patch("rxportal.core.clock.now", return_value=clock.now()):
        # One frozen instant: both locks end at the same minute.
        LoginThrottle.objects.update(locked_until=clock.now() + dt.timedelta(minutes=1))
        known = _paused_page("dana-known", DEFAULT_PASSWORD)
        unknown = _paused_page("dana-ghost", DEFAULT_PASSWORD)

    assert PAUSED in known
    assert _shape(known, "dana-known") == _shape(unknown, "dana-ghost")


def test_the_paused_page_in_spanish_formats_the_time_for_the_language(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    _lock("nadie")
    enter_username(client, "nadie", question="skip")

    html = html_of(enter_password(client, "lo-que-sea"))

    with translation.override("es"):
        shown = formats.date_format(timezone.localtime(_locked_until()), "DATETIME_FORMAT")
    assert PAUSED_ES in html
    assert shown in html
    assert PAUSED not in html


def test_a_password_reset_lifts_the_pause(client: Client, capture) -> None:
    user = make_user(username="dana", role="client")
    enter_username(client, "dana")
    for _ in range(5):
        enter_password(client, "not-the-password")
    assert PAUSED in html_of(enter_password(client, DEFAULT_PASSWORD))

    reset = Client()
    start_reset(reset, "dana", capture)
    assert enter_code(reset, last_code(user.email)).status_code == 302
    answer_reset_question(reset, ANSWER)
    choose_password(reset, capture, password="Violet-Kettle-Harbor-Lantern-77")

    again = Client()
    enter_username(again, "dana")
    response = enter_password(again, "Violet-Kettle-Harbor-Lantern-77")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")


# --- The email address at the username step ------------------------------------------------------


def test_the_email_address_works_at_the_username_step_case_insensitively(client: Client) -> None:
    user = make_user(username="dana", role="client")

    enter_username(client, user.email.upper())
    page = html_of(client.get(reverse("rx_login_password")))
    response = enter_password(client)

    assert SITEKEY_PHRASE in page
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_email_address_gets_the_members_own_question(client: Client) -> None:
    user = make_user(username="dana")
    enter_username(client, user.email, question="stop")

    response = answer_question(client, ANSWER)

    assert response["Location"] == reverse("rx_login_password")


def test_an_unverified_email_address_is_not_a_way_in(client: Client) -> None:
    user = make_user(username="dana")
    EmailAddress.objects.filter(user=user).update(verified=False)
    enter_username(client, user.email, question="stop")

    response = answer_question(client, ANSWER)

    assert response["Location"] == reverse("account_login")


def test_an_unknown_address_gets_a_stable_question_and_the_same_work(client: Client) -> None:
    user = make_user(username="dana")
    questions = []
    queries = {}
    for label, address in (("unknown", "nobody@example.org"), ("known", user.email)):
        for _ in range(2):
            fresh = Client()
            with CaptureQueriesContext(connection) as captured:
                enter_username(fresh, address, question="stop")
            queries.setdefault(label, len(captured))
            if label == "unknown":
                page = html_of(fresh.get(reverse("rx_login_question")))
                questions.append(re.search(r'<label for="id_answer">([^<]*)</label>', page)[1])

    assert questions[0] == questions[1]
    assert queries["unknown"] == queries["known"]


def test_a_wrong_password_after_the_email_counts_once() -> None:
    user = make_user(username="dana")
    client = Client()
    enter_username(client, user.email)

    enter_password(client, "not-the-password")

    assert LoginThrottle.objects.count() == 1
    assert LoginThrottle.objects.get().consecutive_failures == 1


# --- Steps without a false count -----------------------------------------------------------------


def test_no_sign_in_step_claims_a_number_it_cannot_know(client: Client) -> None:
    make_user(username="dana", totp=True)
    pages = [html_of(client.get(reverse("account_login")))]
    enter_username(client, "dana", question="stop")
    pages.append(html_of(client.get(reverse("rx_login_question"))))
    answer_question(client, ANSWER)
    pages.append(html_of(client.get(reverse("rx_login_password"))))
    enter_password(client)
    pages.append(html_of(client.get(reverse("mfa_authenticate"))))

    for html in pages:
        assert not re.search(r"Step \d", html), re.search(r"Step \d[^<]*", html)[0]
    # Each step before the password still says what it asks, without a count.
    names = ("Your username", "Your security question", "Your password")
    for html, name in zip(pages[:3], names, strict=True):
        assert f'<p class="steps">{name}</p>' in html


def test_a_username_equal_to_another_members_email_never_takes_their_email_sign_in() -> None:
    """Someone named (from before the rule) like another member's verified address: the address's
    owner is who that text signs in as; the username's owner keeps their own address."""
    owner = make_user(username="dana")
    squatter = make_user(username="robin")
    User.objects.filter(pk=squatter.pk).update(username=owner.email)

    assert lockout.find_user_for_sign_in(owner.email) == owner
    assert lockout.find_user_for_sign_in(owner.email.upper()) == owner
    assert lockout.find_user_for_sign_in(squatter.email) == squatter
