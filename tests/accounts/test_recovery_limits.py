"""Forgot password under attack: its limits are its own, and the owner always has a way back.

- Wrong codes, answers and second-factor codes never feed the sign-in lock-out.
- A code dies after 5 wrong tries; a reset attempt's code is bound to that attempt, so nobody
  else's attempts can spend or replace it.
- 6-digit codes are checked at most ``RXPORTAL_PASSWORD_RESET_CODE_CHECKS_PER_NAME`` times a day
  per name typed; past that, new codes are long (12 letters and digits, not guessable), so the
  owner still gets in through the email.
- Asking for codes is limited per name *and client address*: someone else's requests never use
  up the owner's.
- Wrong answers and second-factor codes are limited per account across attempts.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.domain import GateDecision
from rxportal.accounts.models import LoginThrottle, OneTimeCode, User
from rxportal.accounts.services import lockout
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.accounts.test_recovery_support import (
    NEW_PASSWORD,
    answer_question,
    choose_password,
    enter_code,
    enter_second_factor,
    reset_state,
    start_reset,
)
from tests.accounts.test_signin_support import (
    ANSWER,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
    totp_code,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CODE_URL = "rx_password_reset_code"
QUESTION_URL = "rx_password_reset_question"
START_URL = "rx_password_reset"
_ANY_CODE_RE = re.compile(r"\b(\d{6}|[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
_LONG_CODE_RE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def newest_code(to: str) -> str:
    """The newest reset code emailed to ``to``, 6 digits or long."""
    for message in reversed(mail.outbox):
        if to in message.to:
            match = _ANY_CODE_RE.search(message.body)
            assert match is not None, message.body
            return match.group(1)
    raise AssertionError(f"no code was emailed to {to}")


def wrong_code() -> str:
    """A 6-digit code that is not the newest one emailed to anybody (so it is wrong for all)."""
    emailed = {m.group(1) for m in (_ANY_CODE_RE.search(x.body) for x in mail.outbox) if m}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in emailed)


def guess_codes(client: Client, times: int) -> list:
    return [enter_code(client, wrong_code()) for _ in range(times)]


def resend(client: Client, capture):
    with capture(execute=True):
        return client.post(reverse(CODE_URL), {"action": "resend"})


def spend_the_names_code_checks(identifier: str, capture, *, ip: str = ATTACKER_IP) -> None:
    """Two attempts of five wrong codes: the name's ten 6-digit checks a day are used up."""
    for _ in range(2):
        attacker = Client(REMOTE_ADDR=ip)
        start_reset(attacker, identifier, capture)
        responses = guess_codes(attacker, 5)
        assert responses[-1]["Location"] == reverse(START_URL)


def _open_gate() -> GateDecision:
    return GateDecision(captcha_required=False, locked_until=None, hard_locked=False)


# --- Not a sign-in failure --------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["dana", "DANA@example.org", "nobody-here"])
def test_wrong_reset_codes_are_not_sign_in_failures(
    client: Client, capture, identifier: str
) -> None:
    make_user(username="dana")
    start_reset(client, identifier, capture)

    guess_codes(client, 5)

    assert not LoginThrottle.objects.exists()
    for name in ("dana", identifier):
        assert lockout.sign_in_gate(username=name, now=clock.now()) == _open_gate()


def test_wrong_answers_and_second_factor_codes_are_not_sign_in_failures(
    client: Client, capture
) -> None:
    user = make_user(username="dana", totp=True)
    start_reset(client, "dana", capture)
    enter_code(client, newest_code(user.email))

    answer_question(client, "red heron")
    answer_question(client, ANSWER)
    enter_second_factor(client, "000000" if totp_code() != "000000" else "111111")

    assert reset_state(client)["failures"] == 2
    assert not LoginThrottle.objects.exists()
    assert lockout.sign_in_gate(username="dana", now=clock.now()) == _open_gate()


def test_a_burst_of_resets_with_wrong_codes_never_locks_the_owner_out_of_sign_in(
    capture, settings
) -> None:
    """The reported attack: 61 wrong reset codes in 7 seconds used to reach the permanent lock."""
    settings.ACCOUNT_RATE_LIMITS = False  # only our own limits are under test
    make_user(username="dana", role="client")

    for _ in range(25):  # 125 wrong codes
        attacker = Client()
        start_reset(attacker, "dana", capture)
        guess_codes(attacker, 5)

    assert lockout.sign_in_gate(username="dana", now=clock.now()) == _open_gate()
    owner = Client()
    enter_username(owner, "dana")  # answers the challenge question: this browser is then known
    assert enter_password(owner, DEFAULT_PASSWORD)["Location"] == reverse("clients:home")


# --- Per attempt: the code dies, and only this attempt's code counts ---------------------------


def test_five_wrong_tries_kill_the_code_and_say_to_ask_for_a_new_one(
    client: Client, capture
) -> None:
    user = make_user(username="dana")
    start_reset(client, "dana", capture)
    right = newest_code(user.email)

    responses = guess_codes(client, 5)
    start_page = html_of(client.get(responses[-1]["Location"]))

    assert responses[-1]["Location"] == reverse(START_URL)
    assert "wrong 5 times, so it no longer works" in start_page
    assert "we will send you a new code" in start_page
    row = OneTimeCode.objects.get(user=user)
    assert row.attempts == 5 and row.used_at is None
    start_reset(client, "dana", capture)
    assert enter_code(client, right).status_code == 200  # the dead code does not come back


@pytest.mark.parametrize("owner_first", [True, False])
def test_someone_elses_reset_attempts_cannot_spend_or_replace_the_owners_code(
    capture, owner_first: bool
) -> None:
    user = make_user(username="dana")
    owner, attacker = Client(REMOTE_ADDR=OWNER_IP), Client(REMOTE_ADDR=ATTACKER_IP)
    if owner_first:
        start_reset(owner, "dana", capture)
        owners_code = newest_code(user.email)
        start_reset(attacker, "dana", capture)
    else:
        start_reset(attacker, "dana", capture)
        start_reset(owner, "dana", capture)
        owners_code = newest_code(user.email)

    guesses = guess_codes(attacker, 5)

    assert guesses[-1]["Location"] == reverse(START_URL)
    assert enter_code(owner, owners_code)["Location"] == reverse(QUESTION_URL)


def test_a_code_of_one_attempt_does_not_open_another(capture) -> None:
    user = make_user(username="dana")
    first, second = Client(), Client()
    start_reset(first, "dana", capture)
    firsts_code = newest_code(user.email)
    start_reset(second, "dana", capture)
    seconds_code = newest_code(user.email)
    if firsts_code == seconds_code:  # pragma: no cover - one chance in a million
        pytest.skip("the two codes happen to be equal")

    assert enter_code(second, firsts_code).status_code == 200
    assert enter_code(first, seconds_code).status_code == 200
    assert enter_code(first, firsts_code)["Location"] == reverse(QUESTION_URL)


# --- Per name: ten 6-digit checks a day, then long codes ---------------------------------------


@pytest.mark.parametrize("identifier", ["dana", "nobody-here"])
def test_past_the_names_daily_checks_a_six_digit_code_is_refused_and_explained(
    capture, identifier: str
) -> None:
    make_user(username="dana")
    spend_the_names_code_checks(identifier, capture)
    client = Client()
    start_reset(client, identifier, capture)

    response = enter_code(client, "123456")

    assert response.status_code == 200
    page = html_of(response)
    assert "Too many wrong codes have been entered for this username or email" in page
    assert "Send a new code" in page
    assert reset_state(client)["code_failures"] == 0  # not checked, so not counted
    assert not LoginThrottle.objects.exists()


def test_the_owner_gets_back_in_through_the_email_after_an_attacker_spent_every_limit(
    capture,
) -> None:
    """The owner's way back: the attacker used up the name's code checks and, from their
    address, the name's code requests. The owner still gets a code (a long one) and resets."""
    user = make_user(username="dana", role="client")
    owner = Client(REMOTE_ADDR=OWNER_IP)
    start_reset(owner, "dana", capture)
    owners_short_code = newest_code(user.email)

    spend_the_names_code_checks("dana", capture)
    statuses = [
        start_reset(Client(REMOTE_ADDR=ATTACKER_IP), "dana", capture).status_code for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]  # five requests from the attacker's address, no more

    refused = enter_code(owner, owners_short_code)
    assert refused.status_code == 200
    assert "Too many wrong codes" in html_of(refused)
    assert resend(owner, capture)["Location"] == reverse(CODE_URL)
    long_code = newest_code(user.email)
    assert _LONG_CODE_RE.match(long_code)
    assert enter_code(owner, long_code.lower().replace("-", " "))["Location"] == reverse(
        QUESTION_URL
    )
    answer_question(owner, ANSWER)
    assert choose_password(owner, capture)["Location"] == reverse("rx_password_reset_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # A fresh start from the owner's own address works too, with a long code.
    other_device = Client(REMOTE_ADDR=OWNER_IP)
    assert start_reset(other_device, "dana", capture)["Location"] == reverse(CODE_URL)
    assert _LONG_CODE_RE.match(newest_code(user.email))


def test_wrong_long_codes_still_end_the_attempt_after_five(client: Client, capture) -> None:
    user = make_user(username="dana")
    spend_the_names_code_checks("dana", capture)
    start_reset(client, "dana", capture)
    assert _LONG_CODE_RE.match(newest_code(user.email))

    responses = [enter_code(client, "AAAA-BBBB-CCCC") for _ in range(5)]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 302]
    assert "That code did not work" in html_of(responses[0])


def test_asking_for_codes_is_limited_per_name_and_address_not_per_name_alone(
    capture,
) -> None:
    user = make_user(username="dana")
    statuses = [
        start_reset(Client(REMOTE_ADDR=ATTACKER_IP), "dana", capture).status_code for _ in range(6)
    ]
    owner = Client(REMOTE_ADDR=OWNER_IP)
    started = start_reset(owner, "dana", capture)

    assert statuses == [302] * 5 + [429]
    assert started["Location"] == reverse(CODE_URL)
    assert enter_code(owner, newest_code(user.email))["Location"] == reverse(QUESTION_URL)


# --- Per account: wrong answers and second-factor codes across attempts ------------------------


def _through_the_code(identifier: str, user: User, capture) -> Client:
    client = Client()
    start_reset(client, identifier, capture)
    assert enter_code(client, newest_code(user.email))["Location"] == reverse(QUESTION_URL)
    return client


def test_wrong_answers_are_limited_per_account_whatever_name_was_typed(capture) -> None:
    user = make_user(username="dana")
    for identifier in ("dana", "dana@example.org"):
        client = _through_the_code(identifier, user, capture)
        responses = [answer_question(client, guess) for guess in ("red", "green", "grey")]
    paused_page = html_of(Client().get(reverse(START_URL)))  # another browser: no message
    stopped = html_of(client.get(responses[-1]["Location"]))

    client = _through_the_code("dana", user, capture)
    refused = answer_question(client, ANSWER)  # even the right answer, for now

    assert responses[-1]["Location"] == reverse(START_URL)
    assert "Too many wrong answers have been given for this account" in stopped
    assert "Too many wrong answers" not in paused_page
    assert refused["Location"] == reverse(START_URL)
    assert "Too many wrong answers have been given" in html_of(client.get(refused["Location"]))
    assert reset_state(client) is None
    assert AuditEvent.objects.filter(
        action="account.password.reset.abandoned", details__reason="account_limit"
    ).exists()
    assert not LoginThrottle.objects.exists()


def test_wrong_second_factor_codes_share_the_accounts_limit(capture) -> None:
    user = make_user(username="dana", totp=True)
    wrong = "000000" if totp_code() != "000000" else "111111"
    for _ in range(2):
        client = _through_the_code("dana", user, capture)
        answer_question(client, ANSWER)
        responses = [enter_second_factor(client, wrong) for _ in range(3)]

    assert responses[-1]["Location"] == reverse(START_URL)
    assert "Too many wrong answers have been given for this account" in html_of(
        client.get(responses[-1]["Location"])
    )
    assert not LoginThrottle.objects.exists()
