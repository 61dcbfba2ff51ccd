"""Forgot password: code, challenge question, second factor, new password, and what follows."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.gateways import FakeSmsGateway
from rxportal.accounts.models import (
    LoginThrottle,
    OneTimeCode,
    RecognizedDevice,
    SecurityProfile,
    User,
)
from rxportal.accounts.services import lockout, recovery, recovery_limits
from rxportal.accounts.services.recovery_codes import generate_recovery_codes
from rxportal.accounts.services.sitekey import set_sms_phone
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.accounts.test_recovery_support import (
    NEW_PASSWORD,
    answer_question,
    choose_password,
    enter_code,
    enter_second_factor,
    last_code,
    reset_state,
    start_reset,
    without_csrf,
)
from tests.accounts.test_signin_support import (
    ANSWER,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    is_question_page,
    make_user,
    totp_code,
)
from tests.accounts.test_signin_support import (
    answer_question as answer_sign_in_question,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CODE_URL = "rx_password_reset_code"


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _through_the_code(client: Client, capture, user: User, identifier: str = "") -> None:
    start_reset(client, identifier or user.username, capture)
    response = enter_code(client, last_code(user.email))
    assert response.status_code == 302, html_of(response)[:2000]


def _freeze(monkeypatch, at: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: at)


# --- Enumeration ------------------------------------------------------------------------------


@pytest.mark.parametrize("identify_by", ["username", "email"])
def test_an_existing_and_an_unknown_account_get_the_same_pages_through_the_code_step(
    capture, identify_by: str
) -> None:
    user = make_user(username="dana", totp=True)
    known_id = user.username if identify_by == "username" else user.email.upper()
    unknown_id = "nobody-here" if identify_by == "username" else "nobody@example.org"
    pages: dict[str, list[tuple[int, str, str]]] = {}

    for label, identifier in (("known", known_id), ("unknown", unknown_id)):
        client = Client()
        form = client.get(reverse("rx_password_reset"))
        started = start_reset(client, identifier, capture)
        code_page = client.get(started["Location"])
        wrong = enter_code(client, "000000")
        with capture(execute=True):
            resent = client.post(reverse(CODE_URL), {"action": "resend"})
        question = client.get(reverse("rx_password_reset_question"))
        pages[label] = [
            (r.status_code, r.get("Location", ""), without_csrf(html_of(r)))
            for r in (form, started, code_page, wrong, resent, question)
        ]

    assert pages["known"] == pages["unknown"]
    assert pages["known"][1][1] == reverse(CODE_URL)
    assert "If we have an account for that" in pages["known"][2][2]
    assert "@" not in pages["known"][2][2].split("<main", 1)[1].split("</main>", 1)[0]
    assert [message.to for message in mail.outbox] == [[user.email], [user.email]]


@pytest.mark.parametrize("identifier", ["dana@example.org", "nobody@example.org"])
def test_wrong_codes_count_against_the_name_typed_whether_or_not_it_exists(
    client: Client, capture, identifier: str
) -> None:
    """Against the reset's own daily count of 6-digit checks, never the sign-in lock-out."""
    make_user(username="dana")
    start_reset(client, identifier, capture)

    enter_code(client, "000000")
    enter_code(client, "000001")

    checks = lockout.estimate_window_count(
        recovery_limits._code_checks_key(identifier),
        window_seconds=settings.RXPORTAL_PASSWORD_RESET_LIMIT_WINDOW_SECONDS,
        now=clock.now(),
    )
    assert checks == 2
    assert not LoginThrottle.objects.exists()


def test_an_unknown_account_gets_a_stable_decoy_question_and_never_passes_the_code() -> None:
    first = recovery.start_password_reset(identifier="Nobody-Here", request=None, now=clock.now())
    second = recovery.start_password_reset(
        identifier=" nobody-here ", request=None, now=clock.now()
    )

    assert first.user is None
    assert first.question == second.question
    assert recovery.question_text(first.question)
    assert not recovery.verify_reset_code(
        attempt=first, code="123456", request=None, now=clock.now()
    )
    assert recovery.current_step(first) == recovery.Step.CODE


def test_a_users_question_is_the_same_on_every_attempt() -> None:
    user = make_user(username="dana")
    questions = {recovery.question_for(user) for _ in range(5)}
    assert len(questions) == 1
    assert questions <= {"first-pet", "first-concert", "childhood-nickname"}


# --- The whole flow ---------------------------------------------------------------------------


def test_a_member_resets_with_code_question_and_authenticator_app_and_is_not_signed_in(
    client: Client, capture
) -> None:
    user = make_user(username="dana", totp=True)

    started = start_reset(client, "  DANA@example.ORG ", capture)
    code = last_code(user.email)
    after_code = enter_code(client, f"{code[:3]} {code[3:]}")
    question_page = client.get(after_code["Location"])
    after_question = answer_question(client, "  Blue HERON! ")
    factor_page = client.get(after_question["Location"])
    after_factor = enter_second_factor(client, totp_code())
    password_page = client.get(after_factor["Location"])
    done = choose_password(client, capture)

    assert started["Location"] == reverse(CODE_URL)
    assert after_code["Location"] == reverse("rx_password_reset_question")
    assert question_page.status_code == 200
    assert after_question["Location"] == reverse("rx_password_reset_second_factor")
    assert "authenticator app" in html_of(factor_page)
    assert after_factor["Location"] == reverse("rx_password_reset_new_password")
    assert password_page.status_code == 200
    assert done.status_code == 302
    assert done["Location"] == reverse("rx_password_reset_done")
    assert client.get(done["Location"]).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not _signed_in(client)
    assert reset_state(client) is None
    event = AuditEvent.objects.get(action="account.password.reset")
    assert event.subject_id == str(user.public_id)
    assert event.details["steps"] == ["code", "question", "second_factor"]
    assert "password" not in str(event.details).replace("password_", "")


def test_after_a_reset_the_user_signs_in_normally_with_the_new_password(
    client: Client, capture
) -> None:
    user = make_user(username="dana", role="client")
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    choose_password(client, capture)

    identified = enter_username(client, "dana", question="stop")
    answer_sign_in_question(client)
    old = enter_password(client, DEFAULT_PASSWORD)
    new = enter_password(client, NEW_PASSWORD)

    assert is_question_page(identified)  # devices were forgotten
    assert old.status_code == 200
    assert new.status_code == 302
    assert new["Location"] == reverse("clients:home")  # a client lands on their home


def test_an_account_without_questions_or_second_factor_goes_from_code_to_password(
    client: Client, capture
) -> None:
    user = make_user(username="carla", role="client", answers=False)
    start_reset(client, "carla", capture)
    response = enter_code(client, last_code(user.email))
    assert response["Location"] == reverse("rx_password_reset_new_password")


def test_the_notice_email_says_what_happened_and_whom_to_call(client: Client, capture) -> None:
    user = make_user(username="dana", role="client")
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    mail.outbox.clear()

    choose_password(client, capture)

    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [user.email]
    assert notice.subject == "Your rxportal password was changed"
    assert "If this was not you, call us at 1-800-555-0144" in notice.body
    assert NEW_PASSWORD not in notice.body


def test_the_code_also_goes_to_a_confirmed_phone(client: Client, capture, settings) -> None:
    settings.RXPORTAL_SMS_GATEWAY = "rxportal.accounts.gateways.FakeSmsGateway"
    FakeSmsGateway.outbox.clear()
    user = make_user(username="dana", role="client")
    set_sms_phone(user=user, phone_e164="+15550100199", actor=user)
    SecurityProfile.objects.filter(user=user).update(sms_phone_verified=True)

    start_reset(client, "dana", capture)

    assert [sms.to for sms in FakeSmsGateway.outbox] == ["+15550100199"]
    assert last_code(user.email) in FakeSmsGateway.outbox[0].body
    assert OneTimeCode.objects.filter(user=user).count() == 1


# --- The code ---------------------------------------------------------------------------------


def test_a_wrong_code_is_refused_and_explained(client: Client, capture) -> None:
    user = make_user(username="dana")
    start_reset(client, "dana", capture)
    right = last_code(user.email)
    wrong = "000000" if right != "000000" else "111111"

    response = enter_code(client, wrong)

    assert response.status_code == 200
    page = html_of(response)
    assert "That code did not work" in page
    assert f'value="{wrong}"' not in page  # a code is not kept
    assert reset_state(client)["code_failures"] == 1
    assert not LoginThrottle.objects.exists()  # not a sign-in failure


def test_five_wrong_codes_end_the_reset(client: Client, capture) -> None:
    user = make_user(username="dana")
    start_reset(client, "dana", capture)
    right = last_code(user.email)
    wrong = "000000" if right != "000000" else "111111"

    responses = [enter_code(client, wrong) for _ in range(5)]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 302]
    assert responses[-1]["Location"] == reverse("rx_password_reset")
    assert reset_state(client) is None
    assert enter_code(client, right)["Location"] == reverse("rx_password_reset")
    assert AuditEvent.objects.filter(action="account.password.reset.abandoned").count() == 1


def test_an_expired_code_is_refused(client: Client, capture, monkeypatch) -> None:
    user = make_user(username="dana")
    start = clock.now()
    _freeze(monkeypatch, start)
    start_reset(client, "dana", capture)
    code = last_code(user.email)

    _freeze(monkeypatch, start + dt.timedelta(minutes=10, seconds=1))
    response = enter_code(client, code)

    assert response.status_code == 200
    assert "That code did not work" in html_of(response)


def test_the_whole_reset_expires_after_fifteen_minutes(
    client: Client, capture, monkeypatch
) -> None:
    user = make_user(username="dana", role="client")
    start = clock.now()
    _freeze(monkeypatch, start)
    _through_the_code(client, capture, user)

    _freeze(monkeypatch, start + dt.timedelta(minutes=15, seconds=1))
    response = answer_question(client, ANSWER)

    assert response["Location"] == reverse("rx_password_reset")
    assert reset_state(client) is None
    assert "took too long" in html_of(client.get(response["Location"]))


def test_a_used_code_cannot_be_replayed(client: Client, capture) -> None:
    user = make_user(username="dana")
    start_reset(client, "dana", capture)
    code = last_code(user.email)
    assert enter_code(client, code)["Location"] == reverse("rx_password_reset_question")
    again = enter_code(client, code)  # the step is done: nothing is checked again

    other = Client()
    start_reset(other, "dana", capture)
    if last_code(user.email) == code:  # pragma: no cover - one chance in a million
        pytest.skip("the new code happens to equal the used one")
    replayed = enter_code(other, code)

    assert again["Location"] == reverse("rx_password_reset_question")
    assert replayed.status_code == 200
    assert "That code did not work" in html_of(replayed)


def test_a_new_code_replaces_the_old_one_and_resends_are_capped(client: Client, capture) -> None:
    user = make_user(username="dana")
    start_reset(client, "dana", capture)
    first = last_code(user.email)

    with capture(execute=True):
        resent = [client.post(reverse(CODE_URL), {"action": "resend"}) for _ in range(3)]
    newest = last_code(user.email)

    assert all(r["Location"] == reverse(CODE_URL) for r in resent)
    assert len(mail.outbox) == 3  # the first code and two new ones; the third resend is refused
    assert "cannot send more codes" in html_of(client.get(reverse(CODE_URL)))
    if first != newest:
        assert enter_code(client, first).status_code == 200
    assert enter_code(client, newest)["Location"] == reverse("rx_password_reset_question")


# --- The question is never enough on its own ---------------------------------------------------


def test_the_question_cannot_be_reached_or_answered_before_the_code(
    client: Client, capture
) -> None:
    make_user(username="dana")
    start_reset(client, "dana", capture)

    page = client.get(reverse("rx_password_reset_question"))
    answered = answer_question(client, ANSWER)
    factor = enter_second_factor(client, "123456")
    password = choose_password(client, capture)

    for response in (page, answered, factor, password):
        assert response.status_code == 302
        assert response["Location"] == reverse(CODE_URL)
    assert reset_state(client)["passed"] == []
    assert not AuditEvent.objects.filter(action__startswith="account.password.reset.step").exists()


@pytest.mark.parametrize(
    "url_name",
    [
        "rx_password_reset_code",
        "rx_password_reset_question",
        "rx_password_reset_second_factor",
        "rx_password_reset_new_password",
    ],
)
def test_without_a_started_reset_every_step_goes_back_to_the_start(
    client: Client, url_name: str
) -> None:
    for response in (client.get(reverse(url_name)), client.post(reverse(url_name), {})):
        assert response.status_code == 302
        assert response["Location"] == reverse("rx_password_reset")


def test_three_wrong_answers_end_the_reset_and_are_not_sign_in_failures(
    client: Client, capture
) -> None:
    user = make_user(username="dana")
    _through_the_code(client, capture, user)

    responses = [answer_question(client, guess) for guess in ("red", "green heron", "grey")]

    assert [r.status_code for r in responses] == [200, 200, 302]
    assert "did not match the one on file" in html_of(responses[0])
    assert responses[-1]["Location"] == reverse("rx_password_reset")
    assert reset_state(client) is None
    assert not LoginThrottle.objects.exists()


def test_the_second_factor_cannot_be_skipped(client: Client, capture) -> None:
    user = make_user(username="dana", totp=True)
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)

    response = choose_password(client, capture)

    assert response["Location"] == reverse("rx_password_reset_second_factor")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- Second factor ----------------------------------------------------------------------------


def test_a_recovery_code_is_accepted_once(client: Client, capture) -> None:
    user = make_user(username="dana", totp=True)
    codes = generate_recovery_codes(user=user, now=clock.now())

    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    first = enter_second_factor(client, codes[0].lower())

    again = Client()
    _through_the_code(again, capture, user)
    answer_question(again, ANSWER)
    reused = enter_second_factor(again, codes[0])

    assert first["Location"] == reverse("rx_password_reset_new_password")
    assert reused.status_code == 200
    assert "That code did not work" in html_of(reused)


def test_a_totp_code_already_used_is_refused(client: Client, capture) -> None:
    user = make_user(username="dana", totp=True)
    code = totp_code()
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    first = enter_second_factor(client, code)

    again = Client()
    _through_the_code(again, capture, user)
    answer_question(again, ANSWER)
    replayed = enter_second_factor(again, code)

    assert first["Location"] == reverse("rx_password_reset_new_password")
    assert replayed.status_code == 200


def test_three_wrong_second_factor_codes_end_the_reset(client: Client, capture) -> None:
    user = make_user(username="dana", totp=True)
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    wrong = "000000" if totp_code() != "000000" else "111111"

    responses = [enter_second_factor(client, wrong) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 302]
    assert reset_state(client) is None


def test_recovery_codes_alone_also_require_the_second_step(client: Client, capture) -> None:
    user = make_user(username="dana", role="client")
    codes = generate_recovery_codes(user=user, now=clock.now())
    _through_the_code(client, capture, user)

    response = answer_question(client, ANSWER)
    page = html_of(client.get(response["Location"]))

    assert response["Location"] == reverse("rx_password_reset_second_factor")
    assert "Enter one of your recovery codes" in page
    assert enter_second_factor(client, codes[3])["Location"] == reverse(
        "rx_password_reset_new_password"
    )


def test_a_passkey_only_account_is_told_to_call_and_cannot_skip_the_step(
    client: Client, capture
) -> None:
    user = make_user(username="dana")
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    _through_the_code(client, capture, user)

    response = answer_question(client, ANSWER)
    page = html_of(client.get(response["Location"]))

    assert response["Location"] == reverse("rx_password_reset_second_factor")
    assert "cannot be used to reset a password here" in page
    assert "1-800-555-0142" in page
    assert choose_password(client, capture)["Location"] == reverse(
        "rx_password_reset_second_factor"
    )


def test_a_wrong_answer_is_announced_and_tied_to_the_field(client: Client, capture) -> None:
    user = make_user(username="dana")
    _through_the_code(client, capture, user)

    page = html_of(answer_question(client, "red heron"))

    assert 'role="alert"' in page
    assert 'id="recovery-errors"' in page
    assert 'aria-describedby="id_answer_hint recovery-errors"' in page
    assert 'aria-invalid="true"' in page
    assert "red heron" not in page


# --- After the change -------------------------------------------------------------------------


def test_the_reset_ends_every_session_and_forgets_every_device(client: Client, capture) -> None:
    user = make_user(username="dana", role="client")
    browsers = [Client(), Client()]
    for browser in browsers:
        enter_username(browser, "dana")
        enter_password(browser)
        assert _signed_in(browser)
    assert UserSession.objects.filter(user=user).count() == 2
    assert RecognizedDevice.objects.filter(user=user, revoked_at__isnull=True).count() == 2

    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    choose_password(client, capture)

    for browser in browsers:
        response = browser.get(reverse("web:dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not UserSession.objects.filter(user=user).exists()
    assert Session.objects.count() <= 1  # only the resetting browser's own session
    assert not RecognizedDevice.objects.filter(user=user, revoked_at__isnull=True).exists()
    details = AuditEvent.objects.get(action="account.password.reset").details
    assert details["sessions_ended"] == 2
    assert details["devices_revoked"] == 2


def test_a_locked_account_can_reset_and_then_sign_in(client: Client, capture) -> None:
    user = make_user(username="dana", role="client")
    for _ in range(5):
        lockout.record_sign_in_failure(username="dana", now=clock.now())
    assert lockout.sign_in_gate(username="dana", now=clock.now()).blocked

    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    choose_password(client, capture)

    assert not lockout.sign_in_gate(username="dana", now=clock.now()).blocked
    assert AuditEvent.objects.get(action="account.password.reset").details["lock_cleared"]
    enter_username(client, "dana")
    assert enter_password(client, NEW_PASSWORD)["Location"] == reverse("clients:home")


def test_an_account_in_the_day_long_lock_can_still_reset(client: Client, capture) -> None:
    user = make_user(username="dana", role="client")
    LoginThrottle.objects.create(
        username_digest=lockout._row_digest("dana"),
        consecutive_failures=5,
        failures_since_success=100,
        first_failure_at=clock.now(),
        locked_until=clock.now() + dt.timedelta(hours=24),
    )
    assert lockout.sign_in_gate(username="dana", now=clock.now()).hard_locked
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)
    choose_password(client, capture)
    assert not LoginThrottle.objects.exists()


# --- New password -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("short-one", "short-one", 'class="field__error"'),
        ("Violet-Kettle-Harbor-Lantern-77", "Violet-Kettle-Harbor-Lantern-78", "do not match"),
        ("", "", "This field is required"),
        ("Violet\x00Kettle-Harbor-Lantern", "Violet\x00Kettle-Harbor-Lantern", "Null characters"),
        ("x" * 5000, "x" * 5000, "at most"),
    ],
)
def test_a_bad_new_password_is_explained_and_not_echoed(
    client: Client, capture, first: str, second: str, message: str
) -> None:
    user = make_user(username="dana", role="client")
    _through_the_code(client, capture, user)
    answer_question(client, ANSWER)

    response = client.post(
        reverse("rx_password_reset_new_password"), {"password1": first, "password2": second}
    )

    assert response.status_code == 200
    page = html_of(response)
    assert message in page
    if first:
        assert first[:12] not in page
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert reset_state(client) is not None


# --- Bad input never answers 500 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("", "This field is required"),
        ("   ", "This field is required"),
        ("a" * 255, "at most 254 characters"),
        ("dana\x00", "Null characters"),
        ("dana\u202e", "characters a username or email address cannot have"),
        ("\U000f0000", "characters a username or email address cannot have"),
    ],
)
def test_the_start_form_explains_bad_input_and_keeps_what_was_typed(
    client: Client, identifier: str, message: str
) -> None:
    response = client.post(reverse("rx_password_reset"), {"identifier": identifier})

    assert response.status_code == 200
    assert message in html_of(response)
    assert reset_state(client) is None


def test_the_start_form_keeps_a_typed_identifier(client: Client) -> None:
    response = client.post(reverse("rx_password_reset"), {"identifier": "dana\u202e"})
    assert 'value="dana\u202e"' in html_of(response)


@pytest.mark.parametrize(
    "identifier", ["ｄａｎａ", "DANA", "dana@EXAMPLE.org", "Straße@example.org", "ß" * 40]
)
def test_odd_but_valid_identifiers_get_the_code_page(
    client: Client, capture, identifier: str
) -> None:
    make_user(username="dana")
    response = start_reset(client, identifier, capture)
    assert response.status_code == 302
    assert response["Location"] == reverse(CODE_URL)


@pytest.mark.parametrize(
    ("step", "payload"),
    [
        ("code", {}),
        ("code", {"code": "12345"}),
        ("code", {"code": "1" * 500}),
        ("code", {"code": "12\x0034"}),
        ("code", {"code": "١٢٣٤٥٦"}),  # Arabic-Indic digits: not a code
        ("question", {}),
        ("question", {"answer": "a" * 201}),
        ("question", {"answer": "blue\x00heron"}),
        ("second_factor", {}),
        ("second_factor", {"code": "not a code"}),
        ("second_factor", {"code": "7" * 41}),
        ("new_password", {"password1": "Violet-Kettle-Harbor-Lantern-77"}),
    ],
)
def test_every_step_explains_bad_input_without_counting_it(
    client: Client, capture, step: str, payload: dict[str, str]
) -> None:
    user = make_user(username="dana", totp=True)
    start_reset(client, "dana", capture)
    if step != "code":
        enter_code(client, last_code(user.email))
    if step in {"second_factor", "new_password"}:
        answer_question(client, ANSWER)
    if step == "new_password":
        enter_second_factor(client, totp_code())
    url = {
        "code": CODE_URL,
        "question": "rx_password_reset_question",
        "second_factor": "rx_password_reset_second_factor",
        "new_password": "rx_password_reset_new_password",
    }[step]

    response = client.post(reverse(url), payload)

    assert response.status_code == 200
    assert 'class="field__error"' in html_of(response)
    state = reset_state(client)
    assert state["code_failures"] == 0
    assert state["failures"] == 0


# --- Edges ------------------------------------------------------------------------------------


def test_the_sign_in_pages_link_to_both_recovery_pages(client: Client) -> None:
    identify = html_of(client.get(reverse("account_login")))
    enter_username(client, "someone", question="skip")
    password = html_of(client.get(reverse("rx_login_password")))

    for page in (identify, password):
        assert f'href="{reverse("rx_password_reset")}"' in page
        assert f'href="{reverse("rx_forgot_username")}"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/reset/key/3-set-password/",
        "/accounts/password/reset/key/done/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/confirm/",
        "/accounts/password/reset/complete/",
    ],
)
def test_allauths_own_reset_pages_lead_to_ours(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("rx_password_reset")
    assert reverse("account_reset_password") == reverse("rx_password_reset")


def test_a_signed_in_client_is_sent_to_the_client_portal(client: Client) -> None:
    user = make_user(username="dana", role="client")
    client.force_login(user)
    response = client.get(reverse("rx_password_reset"))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")


def test_asking_for_codes_is_rate_limited_per_username(client: Client, capture) -> None:
    make_user(username="dana")
    statuses = [start_reset(Client(), "dana", capture).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert start_reset(client, "someone-else", capture).status_code == 302
