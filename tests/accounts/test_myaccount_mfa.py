"""Second factors from My Account and at sign-in: recovery codes, text-message codes, and
the rule that an account which must have a second factor cannot remove its last one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from rxportal.accounts.gateways import FakeSmsGateway
from rxportal.accounts.models import LoginThrottle, RecoveryCode, SecurityProfile
from rxportal.accounts.services import sms_factor
from rxportal.accounts.services.recovery_codes import generate_recovery_codes
from rxportal.accounts.services.sitekey import set_sms_phone
from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from tests.accounts.test_myaccount import reauthenticate
from tests.accounts.test_signin_support import (
    enter_password,
    enter_totp,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
    session_key,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

FAKE_SMS = "rxportal.accounts.gateways.FakeSmsGateway"
PHONE = "+1 (555) 010-0199"


@pytest.fixture
def sms(settings):
    settings.RXPORTAL_SMS_GATEWAY = FAKE_SMS
    FakeSmsGateway.outbox.clear()
    yield FakeSmsGateway.outbox
    FakeSmsGateway.outbox.clear()


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _last_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)


def _with_verified_phone(user) -> None:
    set_sms_phone(user=user, phone_e164=PHONE, actor=user)
    SecurityProfile.objects.filter(user=user).update(sms_phone_verified=True)


def _to_second_step(client: Client, username: str = "dana"):
    enter_username(client, username)
    return enter_password(client)


# --- Recovery codes in My Account ------------------------------------------------------------


def test_recovery_codes_need_the_password_again_and_are_shown_once(client: Client) -> None:
    user = make_user(username="dana", totp=True)
    client.force_login(user)
    page = client.get(reverse("rx_myaccount_recovery_codes"))
    assert "You have no unused recovery codes." in html_of(page)

    asked = client.post(reverse("rx_myaccount_recovery_codes"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    shown = client.post(asked["Location"], {"password": "Correct-Horse-Battery-Staple-2026"})

    html = html_of(shown)
    codes = re.findall(r"<code>([A-Z0-9-]{14})</code>", html)
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    assert len(codes) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_digest", flat=True))
    assert len(stored) == 10
    assert not any(code.replace("-", "") in digest for code in codes for digest in stored)
    assert AuditEvent.objects.filter(action="account.recovery_codes.generated").count() == 1
    later = html_of(client.get(reverse("rx_myaccount_recovery_codes")))
    assert "You have 10 unused recovery codes." in later
    assert codes[0] not in later


def test_recovery_codes_download_as_text(client: Client) -> None:
    user = make_user(username="dana", totp=True)
    client.force_login(user)
    codes = generate_recovery_codes(user=user, now=clock.now())
    reauthenticate(client, reverse("rx_myaccount_sitekey"))  # any recent password check

    response = client.post(
        reverse("rx_myaccount_recovery_codes_download"), {"codes": " ".join(codes)}
    )
    bogus = client.post(
        reverse("rx_myaccount_recovery_codes_download"), {"codes": "<script>alert(1)</script>"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="rxportal-recovery-codes.txt"'
    assert all(code in response.content.decode() for code in codes)
    assert bogus.status_code == 302


def test_recovery_codes_wait_for_a_second_factor(client: Client) -> None:
    user = make_user(username="dana", role="client")
    client.force_login(user)
    reauthenticate(client, reverse("rx_myaccount_sitekey"))

    response = client.post(reverse("rx_myaccount_recovery_codes"))

    assert response.status_code == 302
    assert not RecoveryCode.objects.filter(user=user).exists()


# --- Recovery codes at sign-in ---------------------------------------------------------------


def test_a_recovery_code_works_once_at_the_mfa_step(client: Client) -> None:
    user = make_user(username="dana", totp=True)
    code = generate_recovery_codes(user=user, now=clock.now())[3]
    assert _to_second_step(client)["Location"] == reverse("mfa_authenticate")
    page = html_of(client.get(reverse("mfa_authenticate")))
    assert "Use a recovery code" in page

    first = enter_totp(client, f" {code.lower()} ")
    signed_in_first = _signed_in(client)
    client.post(reverse("web:logout"))
    _to_second_step(client)
    replay = enter_totp(client, code)

    assert first.status_code == 302
    assert signed_in_first
    assert replay.status_code == 200
    assert "That recovery code did not work" in html_of(replay)
    assert code not in html_of(replay)
    assert not _signed_in(client)
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 9
    assert AuditEvent.objects.filter(action="account.recovery_codes.used").count() == 1
    failure = AuditEvent.objects.get(action="auth.second_factor.failed")
    assert failure.details == {"method": "recovery_code"}
    assert LoginThrottle.objects.get().consecutive_failures == 1


def test_a_recovery_code_sign_in_rotates_the_session_and_passes_the_policy(
    client: Client,
) -> None:
    user = make_user(username="dana", totp=True)
    code = generate_recovery_codes(user=user, now=clock.now())[0]
    _to_second_step(client)
    before = session_key(client)

    enter_totp(client, code)

    assert session_key(client) != before
    assert client.get(reverse("web:dashboard")).status_code == 200


@pytest.mark.parametrize(
    "code",
    ["x" * 5000, "12\x0034", "ＡＢＣＤ", "", "1234-5678-ABCD"],
    ids=["overlong", "null-byte", "fullwidth", "empty", "not-a-recovery-code"],
)
def test_odd_codes_at_the_mfa_step_are_refused_politely(client: Client, code: str) -> None:
    make_user(username="dana", totp=True)
    _to_second_step(client)

    response = enter_totp(client, code)

    assert response.status_code == 200
    assert 'role="alert"' in html_of(response)
    assert not _signed_in(client)


# --- Text-message factor: enrolment ----------------------------------------------------------


def test_adding_a_phone_sends_a_code_and_the_code_confirms_it(
    client: Client, sms, django_capture_on_commit_callbacks
) -> None:
    user = make_user(username="dana", totp=True)
    client.force_login(user)
    page = reauthenticate(client, reverse("rx_myaccount_sms"))
    assert "Add your mobile phone" in html_of(page)

    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(reverse("rx_myaccount_sms"), {"action": "add", "phone": PHONE})
    wrong = client.post(reverse("rx_myaccount_sms"), {"action": "confirm", "code": "000000"})
    right = client.post(reverse("rx_myaccount_sms"), {"action": "confirm", "code": _last_code(sms)})

    assert added.status_code == 302
    assert sms[-1].to == "+15550100199"
    assert wrong.status_code == 200
    assert "That code did not match" in html_of(wrong)
    assert right.status_code == 302
    profile = SecurityProfile.objects.get(user=user)
    assert profile.sms_phone_verified
    assert "5550100199" not in profile.sms_phone_encrypted
    assert AuditEvent.objects.filter(action="account.sms_phone.verified", actor=user).exists()


@pytest.mark.parametrize(
    "phone",
    ["555-0199", "+1 555 010 0199 ext 7", "+" + "9" * 40, "\x00", ""],
    ids=["no-country-code", "extension", "overlong", "null-byte", "empty"],
)
def test_a_bad_phone_number_is_explained_and_kept(client: Client, sms, phone: str) -> None:
    user = make_user(username="dana", totp=True)
    client.force_login(user)
    reauthenticate(client, reverse("rx_myaccount_sms"))

    response = client.post(reverse("rx_myaccount_sms"), {"action": "add", "phone": phone})

    assert response.status_code == 200
    assert 'class="field__error"' in html_of(response)
    if phone == "555-0199":
        assert 'value="555-0199"' in html_of(response)
    assert sms == []


# --- Text-message factor: sign-in ------------------------------------------------------------


def test_a_member_with_only_a_phone_signs_in_with_a_texted_code(
    client: Client, sms, django_capture_on_commit_callbacks
) -> None:
    user = make_user(username="dana")
    _with_verified_phone(user)

    response = _to_second_step(client)
    page = html_of(client.get(reverse("rx_login_sms")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rx_login_sms"), {"action": "send"})
    before = session_key(client)
    done = client.post(reverse("rx_login_sms"), {"action": "code", "code": _last_code(sms)})

    assert response["Location"] == reverse("rx_login_sms")
    assert "email" not in page.lower()  # email codes are never a second factor
    assert sms[-1].to == "+15550100199"
    assert re.search(r"\b\d{6}\b", sms[-1].body)
    assert done.status_code == 302
    assert _signed_in(client)
    assert session_key(client) != before
    assert client.get(reverse("web:dashboard")).status_code == 200  # no enrolment gate


def test_a_texted_code_works_once(client: Client, sms, django_capture_on_commit_callbacks) -> None:
    user = make_user(username="dana")
    _with_verified_phone(user)
    _to_second_step(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rx_login_sms"), {"action": "send"})
    code = _last_code(sms)
    client.post(reverse("rx_login_sms"), {"action": "code", "code": code})
    client.post(reverse("web:logout"))

    _to_second_step(client)
    replay = client.post(reverse("rx_login_sms"), {"action": "code", "code": code})

    assert replay.status_code == 200
    assert "That code did not work" in html_of(replay)
    assert not _signed_in(client)
    assert AuditEvent.objects.get(action="auth.second_factor.failed").details == {"method": "sms"}


def test_a_texted_code_expires_after_ten_minutes(
    client: Client, sms, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    user = make_user(username="dana")
    _with_verified_phone(user)
    _to_second_step(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rx_login_sms"), {"action": "send"})
    later = clock.now() + dt.timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)

    response = client.post(reverse("rx_login_sms"), {"action": "code", "code": _last_code(sms)})

    assert response.status_code == 200
    assert not _signed_in(client)


def test_too_many_wrong_texted_codes_start_the_sign_in_over(client: Client, sms) -> None:
    user = make_user(username="dana")
    _with_verified_phone(user)
    _to_second_step(client)

    responses = [
        client.post(reverse("rx_login_sms"), {"action": "code", "code": "000000"}) for _ in range(5)
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 302]
    assert responses[-1]["Location"] == reverse("account_login")
    assert client.get(reverse("rx_login_sms")).status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {"action": "code", "code": "9" * 5000},
        {"action": "code", "code": "12\x003456"},
        {"action": "code"},
        {"action": "recovery", "recovery_code": "🙂" * 12},
        {"action": "recovery", "recovery_code": "x" * 5000},
        {"action": "something-else"},
    ],
    ids=["overlong", "null-byte", "missing", "emoji", "overlong-recovery", "unknown-action"],
)
def test_odd_input_at_the_text_message_step_is_refused_politely(
    client: Client, sms, data: dict[str, str]
) -> None:
    user = make_user(username="dana")
    _with_verified_phone(user)
    _to_second_step(client)

    response = client.post(reverse("rx_login_sms"), data)

    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert 'class="field__error"' in html_of(response)
    assert not _signed_in(client)


def test_a_recovery_code_also_works_at_the_text_message_step(client: Client, sms) -> None:
    user = make_user(username="dana")
    _with_verified_phone(user)
    code = generate_recovery_codes(user=user, now=clock.now())[0]
    _to_second_step(client)

    response = client.post(reverse("rx_login_sms"), {"action": "recovery", "recovery_code": code})

    assert response.status_code == 302
    assert _signed_in(client)


def test_with_text_messages_switched_off_a_phone_only_account_is_refused_not_downgraded(
    client: Client, settings
) -> None:
    # Treating the phone as "no factor" would let the password alone enrol a new authenticator.
    settings.RXPORTAL_SMS_GATEWAY = ""
    user = make_user(username="dana")
    _with_verified_phone(user)

    response = _to_second_step(client)

    assert response.status_code == 302
    assert response["Location"] != reverse("web:dashboard")
    assert not _signed_in(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    assert not _signed_in(client)


def test_a_member_held_for_enrolment_can_add_a_phone(
    client: Client, sms, django_capture_on_commit_callbacks
) -> None:
    make_user(username="dana")
    _to_second_step(client)
    assert client.get(reverse("web:dashboard"))["Location"] == reverse("mfa_index")
    assert "Use text-message codes" in html_of(client.get(reverse("mfa_index")))

    reauthenticate(client, reverse("rx_myaccount_sms"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rx_myaccount_sms"), {"action": "add", "phone": PHONE})
    client.post(reverse("rx_myaccount_sms"), {"action": "confirm", "code": _last_code(sms)})

    assert client.get(reverse("web:dashboard")).status_code == 200


# --- The last factor stays ------------------------------------------------------------------


def test_staff_cannot_turn_off_their_only_authenticator_app(client: Client) -> None:
    agent = make_user(username="agent", role="service_center", is_staff=True, totp=True)
    client.force_login(agent)
    reauthenticate(client, reverse("mfa_deactivate_totp"))

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert "must keep a second factor" in html_of(response)
    assert Authenticator.objects.filter(user=agent).exists()


def test_staff_cannot_remove_their_only_passkey(client: Client) -> None:
    agent = make_user(username="agent", role="service_center", is_staff=True)
    passkey = Authenticator.objects.create(
        user=agent, type=Authenticator.Type.WEBAUTHN, data={"name": "key", "credential": {}}
    )
    client.force_login(agent)
    url = reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk})
    page = reauthenticate(client, url)

    response = client.post(url)

    assert "must keep a second factor" in html_of(page)
    assert response.status_code == 302
    assert Authenticator.objects.filter(pk=passkey.pk).exists()


def test_a_confirmed_phone_lets_the_authenticator_app_go(client: Client, sms) -> None:
    member = make_user(username="dana", totp=True)
    _with_verified_phone(member)
    client.force_login(member)
    reauthenticate(client, reverse("mfa_deactivate_totp"))

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=member).exists()


def test_the_only_phone_cannot_be_removed_but_a_spare_one_can(client: Client, sms) -> None:
    member = make_user(username="dana")
    _with_verified_phone(member)
    client.force_login(member)
    page = reauthenticate(client, reverse("rx_myaccount_sms"))

    refused = client.post(reverse("rx_myaccount_sms"), {"action": "remove"})
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={"secret": "x"})
    removed = client.post(reverse("rx_myaccount_sms"), {"action": "remove"})

    assert "cannot be removed" in html_of(page)
    assert refused.status_code == 302
    assert removed.status_code == 302
    assert not sms_factor.has_sms_factor(member)
    assert AuditEvent.objects.filter(action="account.sms_phone.removed").count() == 1
