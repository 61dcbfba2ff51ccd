"""Question first: on a browser the portal does not recognize, the SiteKey appears only after a
correct challenge answer (known and unknown usernames get the same question page)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS
from rxportal.accounts.models import LoginThrottle, RecognizedDevice
from rxportal.accounts.services.challenges import set_challenge_answers
from rxportal.audit.models import AuditEvent
from tests.accounts.test_signin_support import (
    ANSWER,
    QUESTIONS,
    SITEKEY_PHRASE,
    enter_password,
    enter_totp,
    fresh_cache,  # noqa: F401
    html_of,
    is_password_page,
    is_question_page,
    make_user,
    totp_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

QUESTION_TEXTS = {str(question.text) for question in CHALLENGE_QUESTIONS}
_LABEL_RE = re.compile(r'<label for="id_answer">([^<]+)</label>')


def _post_username(client: Client, username: str):
    return client.post(reverse("account_login"), {"username": username})


def _question_page(client: Client, username: str):
    response = _post_username(client, username)
    assert is_question_page(response)  # the username POST's answer is the question itself
    return response


def _asked(html: str) -> str:
    match = _LABEL_RE.search(html)
    assert match is not None, html[:3000]
    return match.group(1)


def _answer(client: Client, answer: str = ANSWER):
    return client.post(reverse("rx_login_question"), {"action": "answer", "answer": answer})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("known", [True, False])
def test_an_unrecognized_browser_gets_a_question_from_the_shared_list_and_no_sitekey(
    known: bool,
) -> None:
    if known:
        make_user(username="dana")

    html = html_of(_question_page(Client(), "dana"))

    assert _asked(html) in QUESTION_TEXTS
    assert SITEKEY_PHRASE not in html
    assert "sitekey__image" not in html and "sitekey__phrase" not in html
    assert "/static/accounts/sitekeys/" not in html
    assert 'name="password"' not in html


def test_a_known_user_is_asked_one_of_their_own_questions() -> None:
    make_user(username="dana")
    own = {str(q.text) for q in CHALLENGE_QUESTIONS if q.slug in QUESTIONS}

    assert _asked(html_of(_question_page(Client(), "dana"))) in own


@pytest.mark.parametrize("username", ["dana", "nobody-here"])
def test_the_question_is_the_same_on_every_attempt(username: str) -> None:
    make_user(username="dana")

    asked = {_asked(html_of(_question_page(Client(), username))) for _ in range(4)}

    assert len(asked) == 1


def test_the_question_changes_only_when_the_user_changes_questions() -> None:
    user = make_user(username="dana")
    before = _asked(html_of(_question_page(Client(), "dana")))
    others = [q.slug for q in CHALLENGE_QUESTIONS if q.slug not in QUESTIONS][:3]

    set_challenge_answers(user=user, answers=dict.fromkeys(others, ANSWER), actor=user)
    after = _asked(html_of(_question_page(Client(), "dana")))

    assert after in {str(q.text) for q in CHALLENGE_QUESTIONS if q.slug in others}
    assert before != after


def test_unknown_names_spread_over_the_whole_list() -> None:
    asked = {_asked(html_of(_question_page(Client(), f"ghost-{n}"))) for n in range(25)}

    assert len(asked) >= 7


def test_a_correct_answer_shows_the_real_sitekey_with_the_password_field(client: Client) -> None:
    make_user(username="dana")
    _question_page(client, "dana")

    response = _answer(client, "  Blue HERON ")
    page = html_of(client.get(reverse("rx_login_password")))

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_login_password")
    assert SITEKEY_PHRASE in page
    assert "/static/accounts/sitekeys/teapot.svg" in page
    assert page.index(SITEKEY_PHRASE) < page.index('name="password"')


def test_the_password_page_is_closed_until_the_question_is_answered(client: Client) -> None:
    make_user(username="dana")
    _question_page(client, "dana")

    response = client.get(reverse("rx_login_password"))

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_login_question")
    assert enter_password(client).status_code == 302
    assert not _signed_in(client)


@pytest.mark.parametrize("known", [True, False])
def test_a_wrong_answer_ends_the_attempt_and_counts_as_a_failure(client: Client, known) -> None:
    if known:
        make_user(username="dana")
    _question_page(client, "dana")

    response = _answer(client, "red heron")
    start = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "That answer did not match" in html_of(start)
    assert client.get(reverse("rx_login_password")).status_code == 302
    assert client.get(reverse("rx_login_question")).status_code == 302
    assert LoginThrottle.objects.get().consecutive_failures == 1
    assert AuditEvent.objects.filter(action="auth.new_device.failed").count() == 1


def test_a_correct_answer_is_the_new_device_check_and_the_browser_is_remembered(
    client: Client, settings
) -> None:
    user = make_user(username="dana", totp=True)
    _question_page(client, "dana")
    _answer(client)

    after_password = enter_password(client)
    after_code = enter_totp(client, totp_code())

    assert after_password["Location"] == reverse("mfa_authenticate")  # no new-device page
    assert after_password.cookies[settings.RXPORTAL_DEVICE_COOKIE_NAME].value
    assert after_code["Location"] == reverse("web:dashboard")
    assert _signed_in(client)
    assert RecognizedDevice.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    passed = AuditEvent.objects.get(action="auth.new_device.passed")
    assert passed.details == {"method": "question"}


def test_a_recognized_browser_skips_the_question(client: Client) -> None:
    make_user(username="dana", role="client")
    _question_page(client, "dana")
    _answer(client)
    enter_password(client)
    assert _signed_in(client)
    client.post(reverse("web:logout"))

    response = _post_username(client, "dana")
    page = html_of(response)

    assert is_password_page(response)
    assert SITEKEY_PHRASE in page
    assert enter_password(client)["Location"] == reverse("clients:home")


def test_another_users_device_cookie_does_not_skip_the_question(client: Client) -> None:
    make_user(username="dana", role="client")
    make_user(username="eve", role="client")
    _question_page(client, "eve")
    _answer(client)
    enter_password(client)
    client.post(reverse("web:logout"))

    assert is_question_page(_post_username(client, "dana"))


def test_cant_answer_leads_to_the_password_without_the_sitekey_then_a_code(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    make_user(username="dana", role="client")
    _question_page(client, "dana")

    skipped = client.post(reverse("rx_login_question"), {"action": "skip"})
    page = html_of(client.get(reverse("rx_login_password")))
    after_password = enter_password(client)
    check = html_of(client.get(reverse("rx_login_new_device")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rx_login_new_device"), {"action": "send_email"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    done = client.post(reverse("rx_login_new_device"), {"action": "code", "code": code})

    assert skipped["Location"] == reverse("rx_login_password")
    assert SITEKEY_PHRASE not in page and "sitekey__image" not in page
    assert "shown only after you answer your security question" in page
    assert after_password["Location"] == reverse("rx_login_new_device")
    assert 'name="answer"' not in check  # the question is not asked again here
    assert "Email a code to d•••@example.org" in check
    assert done["Location"] == reverse("clients:home")
    assert _signed_in(client)


def test_cant_answer_with_an_unknown_name_fails_at_the_password_like_today(
    client: Client,
) -> None:
    _question_page(client, "nobody-here")
    client.post(reverse("rx_login_question"), {"action": "skip"})

    response = enter_password(client, "whatever-it-is")

    assert response.status_code == 200
    assert "We could not sign you in" in html_of(response)
    assert LoginThrottle.objects.get().consecutive_failures == 1


def test_the_question_step_changes_the_session_id(client: Client) -> None:
    make_user(username="dana")
    _question_page(client, "dana")
    before = client.session.session_key

    _answer(client)

    assert client.session.session_key != before


def test_a_locked_name_cannot_keep_guessing_answers(client: Client) -> None:
    from rxportal.accounts.services import lockout
    from rxportal.core import clock

    make_user(username="dana")
    for _ in range(5):
        lockout.record_sign_in_failure(username="dana", now=clock.now())
    page = _question_page(client, "dana")
    captcha = re.search(r'name="captcha_token" value="([^"]+)"', html_of(page))
    from tests.accounts.test_signin_support import solve_captcha

    solved = solve_captcha(html_of(page))
    assert captcha is not None and solved is not None

    response = client.post(
        reverse("rx_login_question"),
        {
            "action": "answer",
            "answer": ANSWER,
            "captcha_token": solved[0],
            "captcha_answer": solved[1],
        },
    )

    assert response.status_code == 200  # the pause is said, and nothing opens
    assert "Sign-in is paused for this username until" in html_of(response)
    assert client.get(reverse("rx_login_password")).status_code == 302
    assert LoginThrottle.objects.get().consecutive_failures == 5  # refused, not counted


def test_the_question_page_in_spanish(client: Client) -> None:
    make_user(username="dana")
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    html = html_of(_question_page(client, "dana"))

    assert "¿No puede responder?" in html
    assert '<p class="steps">Su pregunta de seguridad</p>' in html
    assert "Your security question" not in html
