"""One-time numeric codes sent by email or text (new device, password reset, SMS factor, phone).

Six digits from ``secrets``, valid 10 minutes, stored only as a keyed digest bound to the row
(the message that carries it waits in the outbox until a worker sends it, then the
notifications app erases it: ``notifications.services.send_code_message``), single use, at most 5 guesses per code (then it is dead), and issuing a code kills the user's
earlier unused codes for the same purpose. Only the newest code of a purpose is ever checked.

Five guesses at one in a million each leave 1 in 200,000 per issued code: the edges must also
rate-limit how often codes can be requested (allauth rate limits) and count wrong codes at
sign-in as lock-out failures (``lockout.record_sign_in_failure``).

Bound codes (``issue_bound_code`` / ``verify_bound_code``, used by forgot password) differ: each
belongs to one attempt, which keeps the code row's public id. Issuing one does not end the user's
other codes, and only that attempt's guesses count against it, so nobody else's attempts can
spend or replace it. They may be long (12 letters and digits) instead of 6 digits.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid

from django.db import transaction
from django.utils.translation import gettext

from rxportal.accounts import domain
from rxportal.accounts.crypto import decrypt_text, keyed_digest
from rxportal.accounts.errors import EmailNotSet, PhoneNotSet, PhoneNotVerified
from rxportal.accounts.gateways import get_sms_gateway
from rxportal.accounts.models import (
    OneTimeCode,
    OneTimeCodeChannel,
    OneTimeCodePurpose,
    SecurityProfile,
    User,
)
from rxportal.notifications import services as notifications

CODE_DIGEST_PURPOSE = "one-time-code"


def _code_digest(public_id: uuid.UUID, code: str) -> str:
    return keyed_digest(CODE_DIGEST_PURPOSE, f"{public_id}:{code}")


def _new_code() -> str:
    return f"{secrets.randbelow(10**domain.CODE_DIGITS):0{domain.CODE_DIGITS}d}"


def issue_code(*, user: User, purpose: str, channel: str, now: dt.datetime) -> str:
    """Create a code and return it in clear (to be sent, never stored or logged)."""
    kind, via = OneTimeCodePurpose(purpose), OneTimeCodeChannel(channel)
    code = _new_code()
    with transaction.atomic():
        OneTimeCode.objects.filter(
            user=user, purpose=kind, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        row = OneTimeCode(
            user=user, purpose=kind, channel=via, expires_at=now + domain.CODE_LIFETIME
        )
        row.code_digest = _code_digest(row.public_id, code)
        row.save(force_insert=True)
    return code


def verify_code(*, user: User, purpose: str, code: str, now: dt.datetime) -> bool:
    """True once for the right code within its lifetime; every try counts toward the five."""
    kind = OneTimeCodePurpose(purpose)
    typed = domain.normalize_code_input(code)
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(user=user, purpose=kind)
            .order_by("-pk")
            .first()
        )
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now
            or row.attempts >= domain.CODE_MAX_ATTEMPTS
        ):
            return False
        row.attempts += 1
        matched = typed is not None and hmac.compare_digest(
            row.code_digest, _code_digest(row.public_id, typed)
        )
        if matched:
            row.used_at = now
        row.save(update_fields=["attempts", "used_at"])
    return matched


def _new_long_code() -> str:
    """12 symbols, unformatted (the form the digest is taken of)."""
    alphabet = domain.RECOVERY_CODE_ALPHABET
    return "".join(secrets.choice(alphabet) for _ in range(domain.LONG_CODE_LENGTH))


def issue_bound_code(
    *,
    user: User,
    purpose: str,
    channel: str,
    now: dt.datetime,
    long: bool = False,
    replaces: uuid.UUID | None = None,
) -> tuple[uuid.UUID, str]:
    """A code for one attempt: (its id, the code in clear, to be sent, never stored or logged).

    Only ``replaces`` (the attempt's previous code) stops working; the user's other codes of this
    purpose, which belong to other attempts, are left alone.
    """
    kind, via = OneTimeCodePurpose(purpose), OneTimeCodeChannel(channel)
    typed = _new_long_code() if long else _new_code()
    code = domain.format_recovery_code(typed) if long else typed
    with transaction.atomic():
        if replaces is not None:
            OneTimeCode.objects.filter(
                user=user, public_id=replaces, used_at__isnull=True, expires_at__gt=now
            ).update(expires_at=now)
        row = OneTimeCode(
            user=user, purpose=kind, channel=via, expires_at=now + domain.CODE_LIFETIME
        )
        row.code_digest = _code_digest(row.public_id, typed)
        row.save(force_insert=True)
    return row.public_id, code


def verify_bound_code(
    *, user: User, purpose: str, code_id: uuid.UUID, code: str, now: dt.datetime
) -> bool:
    """True once for the right code of this one row (6 digits or long), within its lifetime;
    every try counts toward its five."""
    kind = OneTimeCodePurpose(purpose)
    typed = domain.normalize_code_input(code) or domain.normalize_long_code_input(code)
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(user=user, purpose=kind, public_id=code_id)
            .first()
        )
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now
            or row.attempts >= domain.CODE_MAX_ATTEMPTS
        ):
            return False
        row.attempts += 1
        matched = typed is not None and hmac.compare_digest(
            row.code_digest, _code_digest(row.public_id, typed)
        )
        if matched:
            row.used_at = now
        row.save(update_fields=["attempts", "used_at"])
    return matched


def _sms_phone(user: User, purpose: OneTimeCodePurpose) -> str:
    profile = SecurityProfile.objects.filter(user=user).first()
    if profile is None or not profile.sms_phone_encrypted:
        raise PhoneNotSet(gettext("There is no mobile phone number on your account."))
    if purpose != OneTimeCodePurpose.PHONE_VERIFICATION and not profile.sms_phone_verified:
        raise PhoneNotVerified(gettext("Your mobile phone number has not been confirmed yet."))
    return decrypt_text(profile.sms_phone_encrypted)


def _sms_body(code: str) -> str:
    return gettext(
        "rxportal code: %(code)s. It expires in 10 minutes. Never share it: we will never call "
        "or text to ask for it."
    ) % {"code": code}


def _email_subject(purpose: OneTimeCodePurpose) -> str:
    return gettext("Your rxportal code (%(purpose)s)") % {"purpose": purpose.label}


def _email_body(code: str) -> str:
    return gettext(
        "Your rxportal code is %(code)s\n\n"
        "Enter it on the page that asked for it. It expires in 10 minutes and works once.\n\n"
        "If you did not ask for this code, someone may know your password: change it, and do "
        "not give this code to anyone. We will never ask for it by phone, text or email.\n"
    ) % {"code": code}


def send_code(*, user: User, purpose: str, channel: str, now: dt.datetime) -> None:
    """Issue a code and send it by email or text once the surrounding transaction commits.

    Raises ``PhoneNotSet``/``PhoneNotVerified``/``SmsUnavailable``/``EmailNotSet`` before
    issuing anything. Only a phone-verification code may go to an unverified phone.
    """
    kind, via = OneTimeCodePurpose(purpose), OneTimeCodeChannel(channel)
    if via == OneTimeCodeChannel.SMS:
        phone = _sms_phone(user, kind)
        get_sms_gateway()  # SmsUnavailable before a code is issued
        with transaction.atomic():
            code = issue_code(user=user, purpose=kind, channel=via, now=now)
            notifications.send_code_message(
                kind=f"code.{kind.value}",
                recipient=user,
                channel=notifications.Channel.SMS,
                to_address=phone,
                body_text=_sms_body(code),
            )
        return
    if not user.email:
        raise EmailNotSet(gettext("There is no email address on your account."))
    with transaction.atomic():
        code = issue_code(user=user, purpose=kind, channel=via, now=now)
        notifications.send_code_message(
            kind=f"code.{kind.value}",
            recipient=user,
            channel=notifications.Channel.EMAIL,
            to_address=user.email,
            subject=_email_subject(kind),
            body_text=_email_body(code),
        )
