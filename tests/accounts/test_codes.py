"""One-time codes: issue, verify, expiry, attempt limit, single use, delivery by email and SMS."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from rxportal.accounts.errors import EmailNotSet, PhoneNotSet, PhoneNotVerified, SmsUnavailable
from rxportal.accounts.gateways import ConsoleSmsGateway, FakeSmsGateway, is_sms_enabled
from rxportal.accounts.models import OneTimeCode, OneTimeCodePurpose, SecurityProfile
from rxportal.accounts.services.codes import issue_code, send_code, verify_code
from rxportal.accounts.services.sitekey import confirm_sms_phone, set_sms_phone
from rxportal.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
NEW_DEVICE = OneTimeCodePurpose.NEW_DEVICE
SMS_MFA = OneTimeCodePurpose.SMS_SECOND_FACTOR
PHONE = "+15550100199"


@pytest.fixture
def fake_sms(settings: Any) -> Iterator[list[Any]]:
    settings.RXPORTAL_SMS_GATEWAY = "rxportal.accounts.gateways.FakeSmsGateway"
    FakeSmsGateway.outbox.clear()
    yield FakeSmsGateway.outbox
    FakeSmsGateway.outbox.clear()


def test_issued_code_is_six_digits_and_only_its_digest_is_stored() -> None:
    user = UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    assert len(code) == 6 and code.isdigit()
    row = OneTimeCode.objects.get(user=user)
    assert code not in row.code_digest
    assert len(row.code_digest) == 64
    assert row.expires_at == NOW + dt.timedelta(minutes=10)
    stored = " ".join(str(v) for v in OneTimeCode.objects.values_list().get())
    assert code not in stored.replace(row.code_digest, "")


def test_code_verifies_once() -> None:
    user = UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    assert verify_code(user=user, purpose=NEW_DEVICE, code=code, now=NOW)
    assert not verify_code(user=user, purpose=NEW_DEVICE, code=code, now=NOW)
    assert OneTimeCode.objects.get(user=user).used_at == NOW


def test_code_accepts_spaces_typed_by_people() -> None:
    user = UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    assert verify_code(user=user, purpose=NEW_DEVICE, code=f" {code[:3]} {code[3:]} ", now=NOW)


def test_code_expires_after_ten_minutes() -> None:
    user = UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    assert not verify_code(
        user=user, purpose=NEW_DEVICE, code=code, now=NOW + dt.timedelta(minutes=10)
    )
    other = UserFactory()
    code = issue_code(user=other, purpose=NEW_DEVICE, channel="email", now=NOW)
    assert verify_code(
        user=other, purpose=NEW_DEVICE, code=code, now=NOW + dt.timedelta(minutes=9, seconds=59)
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_fifth_wrong_guess_kills_the_code() -> None:
    user = UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    for _ in range(5):
        assert not verify_code(user=user, purpose=NEW_DEVICE, code=_wrong(code), now=NOW)
    assert not verify_code(user=user, purpose=NEW_DEVICE, code=code, now=NOW)
    assert OneTimeCode.objects.get(user=user).attempts == 5


def test_four_wrong_guesses_still_leave_the_right_code_usable() -> None:
    user = UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    for _ in range(4):
        assert not verify_code(user=user, purpose=NEW_DEVICE, code=_wrong(code), now=NOW)
    assert verify_code(user=user, purpose=NEW_DEVICE, code=code, now=NOW)


def test_malformed_input_counts_as_an_attempt() -> None:
    user = UserFactory()
    issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    assert not verify_code(user=user, purpose=NEW_DEVICE, code="abc", now=NOW)
    assert OneTimeCode.objects.get(user=user).attempts == 1


def test_issuing_a_new_code_invalidates_the_older_one() -> None:
    user = UserFactory()
    first = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    second = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    if first != second:
        assert not verify_code(user=user, purpose=NEW_DEVICE, code=first, now=NOW)
    assert verify_code(user=user, purpose=NEW_DEVICE, code=second, now=NOW)
    assert OneTimeCode.objects.filter(user=user, expires_at__lte=NOW).count() == 1


def test_codes_are_bound_to_their_user_and_purpose() -> None:
    user, other = UserFactory(), UserFactory()
    code = issue_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
    issue_code(user=user, purpose=OneTimeCodePurpose.PASSWORD_RESET, channel="email", now=NOW)
    assert not verify_code(user=other, purpose=NEW_DEVICE, code=code, now=NOW)
    assert verify_code(user=user, purpose=NEW_DEVICE, code=code, now=NOW)


def test_no_code_at_all_is_simply_false() -> None:
    assert not verify_code(user=UserFactory(), purpose=NEW_DEVICE, code="123456", now=NOW)


def test_unknown_purpose_or_channel_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        issue_code(user=UserFactory(), purpose="lunch", channel="email", now=NOW)
    with pytest.raises(ValueError):
        issue_code(user=UserFactory(), purpose=NEW_DEVICE, channel="pigeon", now=NOW)


# --- Delivery ----------------------------------------------------------------------------------


def test_email_code_is_sent_after_commit(
    mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory(email="pat@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        send_code(user=user, purpose=NEW_DEVICE, channel="email", now=NOW)
        assert mailoutbox == []
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["pat@example.org"]
    row = OneTimeCode.objects.get(user=user)
    code = next(word for word in mailoutbox[0].body.split() if word.isdigit() and len(word) == 6)
    assert verify_code(user=user, purpose=NEW_DEVICE, code=code, now=NOW)
    assert row.channel == "email"


def test_email_code_needs_an_email_address() -> None:
    with pytest.raises(EmailNotSet):
        send_code(user=UserFactory(email=""), purpose=NEW_DEVICE, channel="email", now=NOW)
    assert not OneTimeCode.objects.exists()


def _with_phone(*, verified: bool) -> Any:
    user = UserFactory()
    set_sms_phone(user=user, phone_e164=PHONE, actor=user)
    SecurityProfile.objects.filter(user=user).update(sms_phone_verified=verified)
    return user


def test_sms_code_goes_to_the_verified_phone(
    fake_sms: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    user = _with_phone(verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        send_code(user=user, purpose=SMS_MFA, channel="sms", now=NOW)
    assert len(fake_sms) == 1
    assert fake_sms[0].to == PHONE
    code = next(w.strip(".") for w in fake_sms[0].body.split() if w.strip(".").isdigit())
    assert verify_code(user=user, purpose=SMS_MFA, code=code, now=NOW)


def test_sms_factor_code_is_refused_for_an_unverified_phone(fake_sms: list[Any]) -> None:
    user = _with_phone(verified=False)
    with pytest.raises(PhoneNotVerified) as excinfo:
        send_code(user=user, purpose=SMS_MFA, channel="sms", now=NOW)
    assert excinfo.value.code == "account.sms_phone.unverified"
    assert not OneTimeCode.objects.exists()


def test_sms_code_needs_a_phone(fake_sms: list[Any]) -> None:
    with pytest.raises(PhoneNotSet):
        send_code(user=UserFactory(), purpose=SMS_MFA, channel="sms", now=NOW)


def test_sms_switched_off_issues_nothing(settings: Any) -> None:
    settings.RXPORTAL_SMS_GATEWAY = ""
    user = _with_phone(verified=True)
    assert not is_sms_enabled()
    with pytest.raises(SmsUnavailable) as excinfo:
        send_code(user=user, purpose=SMS_MFA, channel="sms", now=NOW)
    assert excinfo.value.code == "account.sms.unavailable"
    assert not OneTimeCode.objects.exists()


def test_phone_verification_flow_marks_the_phone_verified(
    fake_sms: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    user = _with_phone(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        send_code(user=user, purpose=OneTimeCodePurpose.PHONE_VERIFICATION, channel="sms", now=NOW)
    code = next(w.strip(".") for w in fake_sms[0].body.split() if w.strip(".").isdigit())
    assert not confirm_sms_phone(user=user, code=_wrong(code), now=NOW, actor=user)
    assert confirm_sms_phone(user=user, code=code, now=NOW, actor=user)
    assert SecurityProfile.objects.get(user=user).sms_phone_verified
    assert AuditEvent.objects.filter(action="account.sms_phone.verified").count() == 1


def test_console_gateway_refuses_to_run_outside_development(settings: Any) -> None:
    settings.RXPORTAL_ENV = "production"
    with pytest.raises(ImproperlyConfigured):
        ConsoleSmsGateway()


def test_console_gateway_masks_the_number_in_development(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.RXPORTAL_ENV = "development"
    with caplog.at_level(logging.WARNING, logger="rxportal.accounts.sms"):
        ConsoleSmsGateway().send_sms(to=PHONE, body="hello")
    assert "***0199" in caplog.text
    assert "5550100199" not in caplog.text
