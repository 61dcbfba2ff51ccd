"""Text-message codes as a second factor (allauth has no such authenticator type).

* Enrolment (My Account, or the enrolment page a member without a factor is held on): the user
  gives a mobile number, we text a 6-digit code to it (``PHONE_VERIFICATION``), and the number
  becomes a second factor only once that code comes back (``confirm_sms_phone``).
* Sign-in: ``SmsSecondFactorStage`` runs after allauth's MFA stage for people whose only factor
  is their phone; the code (``SMS_SECOND_FACTOR``: 6 digits, 10 minutes, single use, 5 guesses)
  goes through the configured SMS gateway. Wrong codes count as lock-out failures.
* Removal refuses the last factor of an account that must keep one (members and staff).

Email codes are never a second factor: they only prove an inbox (new-device check, reset).
Nothing here is usable while ``RXPORTAL_SMS_GATEWAY`` is off: the factor then does not count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from rxportal.accounts.domain import normalize_username
from rxportal.accounts.gateways import is_sms_enabled
from rxportal.accounts.models import (
    OneTimeCodeChannel,
    OneTimeCodePurpose,
    SecurityProfile,
    User,
)
from rxportal.accounts.services import security_notices
from rxportal.accounts.services.codes import send_code, verify_code
from rxportal.accounts.services.lockout import record_sign_in_failure
from rxportal.accounts.services.signin import SECOND_FACTOR_TYPES, is_second_factor_required
from rxportal.accounts.services.sitekey import confirm_sms_phone, set_sms_phone
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core.errors import DomainError

ACTION_PHONE_REMOVED = "account.sms_phone.removed"
ACTION_SECOND_FACTOR_FAILED = "auth.second_factor.failed"
ACTION_SMS_CODE_SENT = "auth.second_factor.sms_sent"


class LastSecondFactor(DomainError):
    """Removing this factor would leave an account that must have one without any."""

    code = "account.second_factor.last"


class PhoneAlreadyVerified(DomainError):
    """A confirmed number is replaced by removing it first (so a factor is never lost by typo)."""

    code = "account.sms_phone.already_verified"


@dataclass(frozen=True)
class SmsFactorStatus:
    available: bool  # an SMS gateway is configured
    phone_last4: str  # "" when no number on file
    verified: bool
    can_remove: bool

    @property
    def pending(self) -> bool:
        """A number was entered but its code has not come back yet."""
        return bool(self.phone_last4) and not self.verified


def _profile(user: AbstractBaseUser) -> SecurityProfile | None:
    return SecurityProfile.objects.filter(user_id=user.pk).first()


def _has_verified_phone(profile: SecurityProfile | None) -> bool:
    return bool(profile and profile.sms_phone_encrypted and profile.sms_phone_verified)


def _has_authenticator(user: AbstractBaseUser) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


def has_sms_factor(user: AbstractBaseUser) -> bool:
    """A confirmed mobile number, usable because text messages are switched on."""
    return is_sms_enabled() and _has_verified_phone(_profile(user))


def is_sms_step_needed(user: AbstractBaseUser) -> bool:
    """The sign-in SMS step runs for people whose only second factor is their phone.

    Anyone with an authenticator app or a passkey uses allauth's MFA step instead (recovery
    codes work there for a lost device).
    """
    return has_sms_factor(user) and not _has_authenticator(user)


def get_sms_factor_status(*, user: AbstractBaseUser) -> SmsFactorStatus:
    profile = _profile(user)
    last4 = profile.sms_phone_last4 if profile and profile.sms_phone_encrypted else ""
    verified = _has_verified_phone(profile)
    return SmsFactorStatus(
        available=is_sms_enabled(),
        phone_last4=last4,
        verified=verified,
        can_remove=bool(last4)
        and (not verified or _has_authenticator(user) or not is_second_factor_required(user)),
    )


def start_sms_enrolment(*, user: User, phone: str, now: dt.datetime) -> SmsFactorStatus:
    """Store a new (unconfirmed) mobile number and text it a confirmation code.

    Raises ``InvalidPhoneNumber``, ``PhoneAlreadyVerified`` or ``SmsUnavailable``.
    """
    if _has_verified_phone(_profile(user)):
        raise PhoneAlreadyVerified(
            gettext("Remove your current number before adding a different one.")
        )
    with transaction.atomic():
        set_sms_phone(user=user, phone_e164=phone, actor=user)
        send_code(
            user=user,
            purpose=OneTimeCodePurpose.PHONE_VERIFICATION,
            channel=OneTimeCodeChannel.SMS,
            now=now,
        )
    return get_sms_factor_status(user=user)


def resend_enrolment_code(*, user: User, now: dt.datetime) -> bool:
    """Text a fresh confirmation code to the pending number; False if there is none."""
    profile = _profile(user)
    if profile is None or not profile.sms_phone_encrypted or profile.sms_phone_verified:
        return False
    try:
        send_code(
            user=user,
            purpose=OneTimeCodePurpose.PHONE_VERIFICATION,
            channel=OneTimeCodeChannel.SMS,
            now=now,
        )
    except DomainError:
        return False
    return True


def confirm_sms_enrolment(*, user: User, code: str, now: dt.datetime) -> bool:
    """The confirmation code came back: the number is now a second factor."""
    return confirm_sms_phone(user=user, code=code, now=now, actor=user)


def remove_sms_factor(*, user: User, request: HttpRequest | None = None) -> None:
    """Forget the mobile number. Raises ``LastSecondFactor`` when it is the last factor."""
    with transaction.atomic():
        profile = SecurityProfile.objects.select_for_update().filter(user=user).first()
        if profile is None or not profile.sms_phone_encrypted:
            return
        if (
            profile.sms_phone_verified
            and is_second_factor_required(user)
            and not _has_authenticator(user)
        ):
            raise LastSecondFactor(
                gettext(
                    "Your account must keep a second factor. Add an authenticator app or a "
                    "passkey before removing your phone."
                )
            )
        was_a_factor = profile.sms_phone_verified
        profile.sms_phone_encrypted = ""
        profile.sms_phone_last4 = ""
        profile.sms_phone_verified = False
        profile.save(
            update_fields=[
                "sms_phone_encrypted",
                "sms_phone_last4",
                "sms_phone_verified",
                "updated_at",
            ]
        )
        record_event(
            action=ACTION_PHONE_REMOVED,
            outcome=Outcome.SUCCESS,
            actor=user,
            request=request,
            subject=user,
        )
        if was_a_factor:  # a number never confirmed was no sign-in step
            security_notices.notify_second_factor_changed(
                user=user, change=security_notices.FactorChange.SMS_REMOVED
            )


# --- The SMS step at sign-in ----------------------------------------------------------------


def send_sign_in_code(*, user: User, request: HttpRequest, now: dt.datetime) -> bool:
    """Text a sign-in code to the confirmed number; False when that is not possible now."""
    if not has_sms_factor(user):
        return False
    try:
        with transaction.atomic():
            send_code(
                user=user,
                purpose=OneTimeCodePurpose.SMS_SECOND_FACTOR,
                channel=OneTimeCodeChannel.SMS,
                now=now,
            )
            record_event(
                action=ACTION_SMS_CODE_SENT,
                outcome=Outcome.SUCCESS,
                request=request,
                subject=user,
            )
    except DomainError:
        return False
    return True


def verify_sign_in_code(*, user: User, code: str, request: HttpRequest, now: dt.datetime) -> bool:
    """True once for the newest sign-in code; a wrong one is a sign-in failure (lock-out)."""
    if has_sms_factor(user) and verify_code(
        user=user, purpose=OneTimeCodePurpose.SMS_SECOND_FACTOR, code=code, now=now
    ):
        return True
    record_second_factor_failure(user=user, request=request, now=now, method="sms")
    return False


def record_second_factor_failure(
    *, user: AbstractBaseUser, request: HttpRequest | None, now: dt.datetime, method: str
) -> None:
    """A wrong second-factor code at sign-in: one lock-out failure and an audit entry."""
    record_sign_in_failure(
        username=normalize_username(user.get_username()), request=request, now=now
    )
    record_event(
        action=ACTION_SECOND_FACTOR_FAILED,
        outcome=Outcome.FAILURE,
        request=request,
        subject=user,
        details={"method": method},
    )
