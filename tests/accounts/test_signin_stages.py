"""After the password: the new-device check, the second factor, enrolment, session rotation.

A right answer to the question before the password is the new-device check (see
test_signin_question.py); "Can't answer?" leads to a code after the password instead.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import LoginThrottle, RecognizedDevice
from rxportal.accounts.services import devices, signin
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.accounts.test_signin_support import (
    answer_question,
    enter_password,
    enter_totp,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    is_password_page,
    is_question_page,
    make_user,
    session_key,
    totp_code,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def _password_steps(client: Client, username: str = "dana", question: str = "answer"):
    enter_username(client, username, question=question)
    return enter_password(client)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- New device ----------------------------------------------------------------------------


def test_an_unrecognized_browser_that_answered_first_is_remembered_after_the_password(
    client: Client, settings
) -> None:
    user = make_user(username="dana", role="client")

    response = _password_steps(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:home")
    assert _signed_in(client)
    cookie = response.cookies[settings.RXPORTAL_DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.RXPORTAL_DEVICE_COOKIE_AGE
    device = RecognizedDevice.objects.get(user=user)
    assert device.revoked_at is None


def test_a_code_by_email_passes_the_new_device_check_after_cant_answer(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    make_user(username="dana", role="client", answers=False)
    response = _password_steps(client, question="skip")
    assert response["Location"] == reverse("rx_login_new_device")
    assert not _signed_in(client)
    page = html_of(client.get(reverse("rx_login_new_device")))
    assert "Answer your security question" not in page
    assert "Email a code to d•••@example.org" in page

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("rx_login_new_device"), {"action": "send_email"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = client.post(reverse("rx_login_new_device"), {"action": "code", "code": code})

    assert sent.status_code == 302
    assert mail.outbox[-1].to == ["dana@example.org"]
    assert response.status_code == 302
    assert _signed_in(client)


def _wrong_code(client: Client):
    return client.post(reverse("rx_login_new_device"), {"action": "code", "code": "000000"})


def test_wrong_codes_are_counted_and_three_start_the_sign_in_over(client: Client) -> None:
    make_user(username="dana", role="client")
    _password_steps(client, question="skip")

    first = _wrong_code(client)
    _wrong_code(client)
    last = _wrong_code(client)

    assert first.status_code == 200
    assert "That did not match" in html_of(first)
    assert last.status_code == 302
    assert last["Location"] == reverse("account_login")
    assert LoginThrottle.objects.get().consecutive_failures == 3
    assert AuditEvent.objects.filter(action="auth.new_device.failed").count() == 3
    assert AuditEvent.objects.filter(action="auth.new_device.exhausted").count() == 1
    assert client.get(reverse("rx_login_new_device")).status_code == 302
    assert not _signed_in(client)


def test_with_the_device_cookie_the_new_device_check_is_skipped(client: Client) -> None:
    make_user(username="dana", role="client")
    _password_steps(client)
    client.post(reverse("web:logout"))

    identified = enter_username(client, "dana")
    response = enter_password(client)

    assert is_password_page(identified)  # no question either
    assert response["Location"] == reverse("clients:home")
    assert _signed_in(client)


def test_the_device_cookie_never_skips_the_password_or_the_second_factor(client: Client) -> None:
    make_user(username="dana", totp=True)
    _password_steps(client)
    enter_totp(client, totp_code())
    client.post(reverse("web:logout"))

    enter_username(client, "dana")
    wrong = enter_password(client, "not-the-password")
    right = enter_password(client)

    assert wrong.status_code == 200
    assert right["Location"] == reverse("mfa_authenticate")
    assert not _signed_in(client)


@pytest.mark.parametrize("how", ["other_user", "revoked", "forged"])
def test_a_device_cookie_that_is_not_this_users_live_device_does_not_count(
    client: Client, settings, how: str
) -> None:
    dana = make_user(username="dana", role="client")
    eve = make_user(username="eve", role="client")
    owner = eve if how == "other_user" else dana
    enter_username(client, owner.username)
    enter_password(client)
    client.post(reverse("web:logout"))
    if how == "revoked":
        devices.revoke_device(
            user=dana,
            device_public_id=RecognizedDevice.objects.get(user=dana).public_id,
            now=clock.now(),
        )
    if how == "forged":
        name = settings.RXPORTAL_DEVICE_COOKIE_NAME
        value = client.cookies[name].value
        client.cookies[name] = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")

    response = enter_username(client, "dana", question="stop")

    assert is_question_page(response)


def test_one_browser_remembers_several_people(client: Client) -> None:
    make_user(username="dana", role="client")
    make_user(username="eve", role="client")
    for username in ("dana", "eve"):
        _password_steps(client, username)
        client.post(reverse("web:logout"))

    assert is_password_page(enter_username(client, "dana"))
    assert _password_steps(client, "dana")["Location"] == reverse("clients:home")


# --- Second factor ---------------------------------------------------------------------------


def test_a_member_with_an_authenticator_app_must_enter_a_code_after_the_password(
    client: Client,
) -> None:
    make_user(username="dana", totp=True)

    response = _password_steps(client)

    assert response["Location"] == reverse("mfa_authenticate")
    assert not _signed_in(client)
    assert client.get(reverse("web:dashboard")).status_code == 302
    page = client.get(reverse("mfa_authenticate"))
    assert 'autocomplete="one-time-code"' in html_of(page)
    response = enter_totp(client, totp_code())
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard")
    assert _signed_in(client)


def test_a_wrong_code_is_refused_and_counted(client: Client) -> None:
    make_user(username="dana", totp=True)
    _password_steps(client)

    response = enter_totp(client, "000000" if totp_code() != "000000" else "111111")

    assert response.status_code == 200
    assert "That code did not work" in html_of(response)
    assert not _signed_in(client)
    assert LoginThrottle.objects.get().consecutive_failures == 1


def _sign_in_with_code(client: Client, code: str):
    _password_steps(client)
    return enter_totp(client, code)


def test_a_totp_code_is_accepted_only_once(client: Client) -> None:
    make_user(username="dana", totp=True)
    _password_steps(client)
    code = totp_code()
    assert enter_totp(client, code).status_code == 302
    client.post(reverse("web:logout"))

    replay = _sign_in_with_code(client, code)

    assert replay.status_code == 200
    assert "That code did not work" in html_of(replay)
    assert not _signed_in(client)


def test_a_totp_code_stays_used_after_allauths_short_cache_marker_expires(
    client: Client,
) -> None:
    user = make_user(username="dana", totp=True)
    _password_steps(client)
    code = totp_code()
    enter_totp(client, code)
    client.post(reverse("web:logout"))
    # allauth's "used" marker lasts one period only: drop it as if 30 s had passed.
    cache.delete_many([k for k in _allauth_used_code_keys(user, code)])

    replay = _sign_in_with_code(client, code)
    fresh = enter_totp(client, totp_code(step_offset=1))  # the next step's code is fine

    assert replay.status_code == 200
    assert fresh.status_code == 302
    assert _signed_in(client)
    assert isinstance(user.authenticator_set.get().data[signin.LAST_TOTP_STEP_KEY], int)


def _allauth_used_code_keys(user, code: str) -> list[str]:
    from allauth.mfa.totp.internal.auth import TOTP

    return [TOTP(Authenticator.objects.get(user=user))._get_used_cache_key(code)]


def test_the_totp_secret_is_stored_encrypted(client: Client) -> None:
    from tests.accounts.test_signin_support import TOTP_SECRET

    user = make_user(username="dana", totp=True)

    stored = Authenticator.objects.get(user=user).data["secret"]

    assert TOTP_SECRET not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


# --- Second-factor policy --------------------------------------------------------------------


def test_a_member_without_a_second_factor_is_sent_to_enrol(client: Client) -> None:
    user = make_user(username="dana")

    response = _password_steps(client)
    assert _signed_in(client)
    dashboard = client.get(reverse("web:dashboard"))
    enrol_page = client.get(dashboard["Location"])

    assert response["Location"] == reverse("web:dashboard")
    assert dashboard.status_code == 302
    assert dashboard["Location"] == reverse("mfa_index")
    assert enrol_page.status_code == 200
    assert "One more step before your account opens" in html_of(enrol_page)
    # allauth asks for the password again before adding a factor; both pages stay reachable.
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(activate["Location"]).status_code == 200
    reauthenticated = client.post(activate["Location"], {"password": DEFAULT_PASSWORD})
    assert reauthenticated["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200

    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_staff_without_a_second_factor_cannot_reach_the_back_office(client: Client) -> None:
    make_user(username="agent", role="service_center", is_staff=True)
    _password_steps(client, "agent")

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")


def test_clients_may_sign_in_without_a_second_factor(client: Client) -> None:
    make_user(username="dana", role="client")
    _password_steps(client)

    # Not held on the enrolment page: the dashboard sends a client on to the client home.
    assert client.get(reverse("web:dashboard"))["Location"] == reverse("clients:home")
    assert client.get(reverse("clients:home")).status_code == 200


def test_sign_out_stays_reachable_while_enrolment_is_pending(client: Client) -> None:
    make_user(username="dana")
    _password_steps(client)

    response = client.post(reverse("web:logout"))

    assert response["Location"] == reverse("web:logout")
    assert not _signed_in(client)


def test_the_last_second_factor_of_a_member_cannot_be_removed() -> None:
    from allauth.mfa.adapter import get_adapter

    user = make_user(username="dana", totp=True)
    totp = Authenticator.objects.get(user=user)

    assert not get_adapter().can_delete_authenticator(totp)


# --- Sessions ----------------------------------------------------------------------------


def test_the_session_id_changes_at_each_factor_and_at_sign_in(client: Client) -> None:
    make_user(username="dana", totp=True)
    enter_username(client, "dana", question="stop")
    keys = [session_key(client)]

    answer_question(client)
    keys.append(session_key(client))
    enter_password(client)
    keys.append(session_key(client))
    enter_totp(client, totp_code())
    keys.append(session_key(client))

    assert _signed_in(client)
    assert len(set(keys)) == 4


def test_the_session_cookie_ends_with_the_browser(client: Client) -> None:
    make_user(username="dana", role="client")

    response = _password_steps(client)

    assert client.session.get_expire_at_browser_close()
    assert response.status_code == 302


def _policy_stage(rf, user):
    from allauth.account.models import Login
    from allauth.account.stages import LoginStageController
    from django.contrib.sessions.backends.db import SessionStore

    from rxportal.accounts.stages import SecondFactorPolicyStage

    request = rf.get("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    login = Login(user=user)
    return request, SecondFactorPolicyStage(LoginStageController(request, login), request, login)


def test_the_policy_stage_refuses_an_account_whose_factor_was_not_used(rf) -> None:
    _request, stage = _policy_stage(rf, make_user(username="dana", totp=True))

    assert stage.handle() == (None, False)


def test_the_policy_stage_flags_a_member_without_a_factor(rf) -> None:
    request, stage = _policy_stage(rf, make_user(username="dana"))

    assert stage.handle() == (None, True)
    assert signin.is_enrolment_flagged(request)


def test_the_policy_stage_leaves_clients_alone(rf) -> None:
    request, stage = _policy_stage(rf, make_user(username="dana", role="client"))

    assert stage.handle() == (None, True)
    assert not signin.is_enrolment_flagged(request)
