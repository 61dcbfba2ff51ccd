"""Security notices about a person's own account: a new device remembered, a password changed in
My Account, a second sign-in step added or removed, recovery codes made anew. Each is told once,
to the account's owner, by email and to the inbox, in English or Spanish, naming no secret."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from rxportal.accounts.adapters import PortalAccountAdapter
from rxportal.accounts.gateways import FakeSmsGateway
from rxportal.accounts.models import RecognizedDevice
from rxportal.accounts.services import security_notices, sms_factor
from rxportal.accounts.services.recovery_codes import generate_recovery_codes
from rxportal.core import clock
from rxportal.notifications import kinds, services
from rxportal.notifications.models import Channel, Notification
from tests.accounts.test_myaccount import DEFAULT_PASSWORD, reauthenticate, sign_in
from tests.accounts.test_signin_support import fresh_cache, make_user  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

PHONE = "+1 (555) 010-0199"

# Facts each new kind is rendered with (the kinds' own test renders them with none).
SAMPLE_CONTEXT: dict[str, dict[str, Any]] = {
    "security.new_device": {"device": "Firefox on Linux", "phone": "1-800-555-0100"},
    "security.second_factor_changed": {"change": "sms_removed", "phone": "1-800-555-0100"},
    "security.password_changed": {"reset": False, "phone": "1-800-555-0100"},
    # Converted from hand-built emails: the old words and their Spanish.
    "security.challenges_reset": {"phone": "1-800-555-0100"},
    "account.username_reminder": {"usernames": "dana", "phone": "1-800-555-0100"},
}


@pytest.fixture
def sms(settings: Any) -> Any:
    settings.RXPORTAL_SMS_GATEWAY = "rxportal.accounts.gateways.FakeSmsGateway"
    FakeSmsGateway.outbox.clear()
    yield FakeSmsGateway.outbox
    FakeSmsGateway.outbox.clear()


def _rows(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("channel"))


def _only_email(kind_subject: str) -> Any:
    found = [message for message in mail.outbox if message.subject == kind_subject]
    assert len(found) == 1, [message.subject for message in mail.outbox]
    return found[0]


# --- A new device ---------------------------------------------------------------------------


def test_a_new_browser_passing_the_check_tells_the_owner_once(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(username="dana", role="client")

    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client)  # the right answer to the question stands for the new-device check

    device = RecognizedDevice.objects.get(user=user)
    message = _only_email("A new device signed in to your rxportal account")
    assert message.to == [user.email]
    # The browser's own description is the sender's to write: shown behind sign-in only.
    assert device.label not in message.body
    assert "127.0.0.1" not in message.body
    inbox = Notification.objects.get(recipient=user, kind="security.new_device", channel="inbox")
    assert device.label in inbox.body_text
    assert sorted(row.channel for row in _rows(user, "security.new_device")) == [
        Channel.EMAIL,
        Channel.INBOX,
    ]
    assert {row.link_path for row in _rows(user, "security.new_device")} == {
        reverse("rx_myaccount")
    }

    security_notices.notify_new_device(user=user, device=device)  # the same device again
    assert len(_rows(user, "security.new_device")) == 2


# --- Password changed in My Account -------------------------------------------------------------


def test_a_password_changed_in_my_account_is_told_without_the_password(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(username="dana", role="client")
    sign_in(client)
    mail.outbox.clear()
    new = "a brand new passphrase for rxportal"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rx_myaccount_password"),
            {"oldpassword": DEFAULT_PASSWORD, "password1": new, "password2": new},
        )

    assert response.status_code == 302
    message = _only_email("Your rxportal password was changed")
    assert message.to == [user.email]
    assert "changed in My Account" in message.body
    assert new not in message.body and DEFAULT_PASSWORD not in message.body
    assert len(mail.outbox) == 1  # allauth's own notice is replaced, not sent beside ours
    assert len(_rows(user, "security.password_changed")) == 2  # email and inbox


# --- Second sign-in steps ------------------------------------------------------------------------


def test_confirming_a_phone_is_told_without_the_number(
    sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(username="dana", role="client")
    with django_capture_on_commit_callbacks(execute=True):  # the code is texted on commit
        sms_factor.start_sms_enrolment(user=user, phone=PHONE, now=clock.now())
    code = re.search(r"\b(\d{6})\b", sms[-1].body).group(1)  # type: ignore[union-attr]

    with django_capture_on_commit_callbacks(execute=True):
        assert sms_factor.confirm_sms_enrolment(user=user, code=code, now=clock.now())

    message = _only_email("Your rxportal sign-in steps were changed")
    assert "A mobile number was confirmed" in message.body
    assert "0199" not in message.body and code not in message.body


def test_removing_a_confirmed_phone_is_told_and_a_pending_one_is_not(
    sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed = make_user(username="dana", role="client")
    pending = make_user(username="erin", role="client")
    for user in (confirmed, pending):
        with django_capture_on_commit_callbacks(execute=True):
            sms_factor.start_sms_enrolment(user=user, phone=PHONE, now=clock.now())
    code = re.search(r"\b(\d{6})\b", sms[0].body).group(1)  # type: ignore[union-attr]
    sms_factor.confirm_sms_enrolment(user=confirmed, code=code, now=clock.now())
    Notification.objects.all().delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sms_factor.remove_sms_factor(user=confirmed)
        sms_factor.remove_sms_factor(user=pending)

    message = _only_email("Your rxportal sign-in steps were changed")
    assert message.to == [confirmed.email]
    assert "mobile number for sign-in codes was removed" in message.body
    assert _rows(pending, "security.second_factor_changed") == []


def test_new_recovery_codes_are_told_without_the_codes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = make_user(username="dana", totp=True)

    with django_capture_on_commit_callbacks(execute=True):
        codes = generate_recovery_codes(user=user, now=clock.now())

    message = _only_email("Your rxportal sign-in steps were changed")
    assert "New recovery codes were made" in message.body
    assert not any(code in message.body for code in codes)
    assert not any(code in row.body_text for row in Notification.objects.all() for code in codes)


def test_turning_off_the_authenticator_app_in_allauths_page_is_told(
    client: Client, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    member = make_user(username="dana", totp=True)
    with django_capture_on_commit_callbacks(execute=True):
        sms_factor.start_sms_enrolment(user=member, phone=PHONE, now=clock.now())
    code = re.search(r"\b(\d{6})\b", sms[-1].body).group(1)  # type: ignore[union-attr]
    sms_factor.confirm_sms_enrolment(user=member, code=code, now=clock.now())
    client.force_login(member)
    reauthenticate(client, reverse("mfa_deactivate_totp"))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    [message] = mail.outbox  # ours only: allauth's notice is not sent beside it
    assert message.subject == "Your rxportal sign-in steps were changed"
    assert "authenticator app was removed" in message.body


@pytest.mark.parametrize(
    ("template_prefix", "words"),
    [
        ("mfa/email/totp_activated", "An authenticator app was added"),
        ("mfa/email/totp_deactivated", "The authenticator app was removed"),
        ("mfa/email/webauthn_added", "A passkey or security key was added"),
        ("mfa/email/webauthn_removed", "A passkey or security key was removed"),
        ("mfa/email/recovery_codes_generated", "New recovery codes were made"),
        ("account/email/password_changed", "changed in My Account"),
        ("account/email/password_set", "changed in My Account"),
    ],
)
def test_allauths_security_notices_become_ours(
    template_prefix: str, words: str, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(username="dana")

    with django_capture_on_commit_callbacks(execute=True):
        PortalAccountAdapter().send_notification_mail(template_prefix, user)

    [message] = mail.outbox
    assert message.to == [user.email]
    assert words in message.body
    assert Notification.objects.filter(recipient=user, channel=Channel.INBOX).count() == 1


# --- Words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(SAMPLE_CONTEXT))
def test_each_notice_renders_in_english_and_spanish(code: str) -> None:
    kind = kinds.get_kind(code)
    with translation.override("en"):
        english = services.render_message(kind, SAMPLE_CONTEXT[code])
    with translation.override("es"):
        spanish = services.render_message(kind, SAMPLE_CONTEXT[code])

    assert kind.optional is False
    for message in (english, spanish):
        assert message.subject and "\n" not in message.subject
        assert "1-800-555-0100" in message.body_text
        assert "%(" not in message.body_text and "{{" not in message.body_text
    assert spanish.subject != english.subject
    assert "Hola" in spanish.body_text and "Hello" not in spanish.body_text


def test_every_second_factor_change_has_its_own_words() -> None:
    kind = kinds.get_kind("security.second_factor_changed")
    generic = services.render_message(kind, {}).body_text
    for change in security_notices.FactorChange:
        for language in ("en", "es"):
            with translation.override(language):
                body = services.render_message(kind, {"change": change.value}).body_text
                fallback = services.render_message(kind, {}).body_text
            assert body != fallback, (change, language)
    assert "second sign-in step of your rxportal account was changed" in generic
