"""Recognized devices: browsers that passed the new-device check at sign-in.

The browser keeps a signed cookie (name and lifetime from settings) listing, per user who signed
in on it, the public id of that user's ``RecognizedDevice`` row. The signature stops forgery; the
row makes the entry revocable (My Account, password reset). A recognized device only skips the
new-device step: never the password, never the second factor.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest

from rxportal.accounts.domain import normalize_username
from rxportal.accounts.gateways import is_sms_enabled
from rxportal.accounts.models import (
    OneTimeCodePurpose,
    RecognizedDevice,
    SecurityProfile,
    User,
)
from rxportal.accounts.services import security_notices
from rxportal.accounts.services.codes import send_code, verify_code
from rxportal.accounts.services.lockout import record_sign_in_failure
from rxportal.audit.models import Outcome
from rxportal.audit.services import client_ip, record_event
from rxportal.core.errors import DomainError

DEVICE_COOKIE_SALT = "rxportal.accounts.device-cookie.v1"
# Several people may share one browser (a family computer): keep an entry for the last few.
MAX_USERS_PER_COOKIE = 5
LABEL_MAX_LENGTH = 200

DEVICE_REVOKED = "auth.device.revoked"
# My Account's "last used" for a browser: within the hour is close enough, and refreshing it
# every time would cost a write on each sign-in (twice: the username step and the new-device
# stage both look).
LAST_SEEN_REFRESH = dt.timedelta(hours=1)

_Entries = list[tuple[str, str]]  # (user public id, device public id), newest first


def read_device_cookie(value: str | None) -> _Entries:
    """The entries of a device cookie; empty when missing, expired, forged or malformed."""
    if not value:
        return []
    try:
        data = signing.loads(
            value, salt=DEVICE_COOKIE_SALT, max_age=settings.RXPORTAL_DEVICE_COOKIE_AGE
        )
    except signing.BadSignature:
        return []
    if not isinstance(data, list):
        return []
    entries: _Entries = []
    for item in data[:MAX_USERS_PER_COOKIE]:
        if (
            isinstance(item, list)
            and len(item) == 2
            and all(isinstance(part, str) and len(part) <= 36 for part in item)
        ):
            entries.append((item[0], item[1]))
    return entries


def _dump_device_cookie(entries: _Entries) -> str:
    payload = [list(entry) for entry in entries[:MAX_USERS_PER_COOKIE]]
    return signing.dumps(payload, salt=DEVICE_COOKIE_SALT, compress=True)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def find_recognized_device(
    *, user: User, cookie_value: str | None, now: dt.datetime
) -> RecognizedDevice | None:
    """The user's live device named by the cookie, else None. Its last-seen time is refreshed
    when older than ``LAST_SEEN_REFRESH``."""
    for user_id, device_id in read_device_cookie(cookie_value):
        if user_id != str(user.public_id):
            continue
        device_uuid = _as_uuid(device_id)
        if device_uuid is None:
            return None
        device = RecognizedDevice.objects.filter(
            user=user, public_id=device_uuid, revoked_at__isnull=True
        ).first()
        if device is not None and now - device.last_seen_at >= LAST_SEEN_REFRESH:
            RecognizedDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
            device.last_seen_at = now
        return device
    return None


def _label_from_user_agent(user_agent: str) -> str:
    cleaned = "".join(ch for ch in user_agent if ch.isprintable()).strip()
    return cleaned[:LABEL_MAX_LENGTH] or "Unknown browser"


def remember_device(
    *, user: User, request: HttpRequest, now: dt.datetime
) -> tuple[RecognizedDevice, str]:
    """Record this browser for ``user``; returns the device and the new cookie value.

    The cookie keeps the entries of other people who signed in on this browser.
    """
    device = RecognizedDevice.objects.create(
        user=user,
        label=_label_from_user_agent(request.META.get("HTTP_USER_AGENT", "")),
        ip_address=client_ip(request),
        last_seen_at=now,
    )
    previous = read_device_cookie(request.COOKIES.get(settings.RXPORTAL_DEVICE_COOKIE_NAME))
    entries = [(str(user.public_id), str(device.public_id))]
    entries += [entry for entry in previous if entry[0] != str(user.public_id)]
    return device, _dump_device_cookie(entries)


def revoke_device(
    *, user: User, device_public_id: uuid.UUID, now: dt.datetime, request: HttpRequest | None = None
) -> bool:
    """Forget one of the user's devices (its cookie then no longer skips the check)."""
    with transaction.atomic():
        device = (
            RecognizedDevice.objects.select_for_update()
            .filter(user=user, public_id=device_public_id, revoked_at__isnull=True)
            .first()
        )
        if device is None:
            return False
        device.revoked_at = now
        device.save(update_fields=["revoked_at"])
        record_event(
            action=DEVICE_REVOKED,
            outcome=Outcome.SUCCESS,
            actor=user,
            request=request,
            subject=device,
        )
    return True


def revoke_all_devices(*, user: User, now: dt.datetime) -> int:
    """Forget every device of the user (after a password reset); returns how many."""
    return RecognizedDevice.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now
    )


# --- The new-device check at sign-in -----------------------------------------------------------
# Its progress lives in the login stage's state (allauth keeps it in the session with the pending
# sign-in): where a code went, how many wrong tries. A right answer to the challenge question
# before the password (accounts/flows/signin.py) counts as this check (``complete_check``).

CODE_CHANNEL_KEY = "code_channel"
FAILURES_KEY = "failures"
ACTION_CHECK_PASSED = "auth.new_device.passed"
ACTION_CHECK_FAILED = "auth.new_device.failed"
ACTION_CHECK_ABANDONED = "auth.new_device.exhausted"


@dataclass(frozen=True)
class NewDeviceCheck:
    """What the new-device page offers this user (the challenge question is asked before the
    password now, ``accounts/flows/signin.py``; this page is for those who could not answer)."""

    email_hint: str  # masked address, e.g. "d•••@example.com"
    sms_last4: str  # "" when no verified phone (or SMS is off)
    code_channel: str  # where the last code went ("" before any)

    @property
    def can_email(self) -> bool:
        return bool(self.email_hint)

    @property
    def can_text(self) -> bool:
        return bool(self.sms_last4)


def _mask_email(email: str) -> str:
    local, _, domain_part = email.partition("@")
    if not local or not domain_part:
        return ""
    return f"{local[0]}•••@{domain_part}"


def start_check(*, user: User, state: dict[str, Any]) -> NewDeviceCheck:
    """The check for this sign-in: where a code can go."""
    profile = SecurityProfile.objects.filter(user=user).first()
    sms_last4 = ""
    if profile is not None and profile.sms_phone_verified and is_sms_enabled():
        sms_last4 = profile.sms_phone_last4
    return NewDeviceCheck(
        email_hint=_mask_email(user.email),
        sms_last4=sms_last4,
        code_channel=str(state.get(CODE_CHANNEL_KEY, "")),
    )


def send_check_code(*, user: User, state: dict[str, Any], channel: str, now: dt.datetime) -> bool:
    """Send a new-device code by email or text; False when that channel is not available."""
    try:
        send_code(user=user, purpose=OneTimeCodePurpose.NEW_DEVICE, channel=channel, now=now)
    except DomainError:
        return False
    state[CODE_CHANNEL_KEY] = channel
    return True


def _record_failure(
    *, user: User, state: dict[str, Any], request: HttpRequest, now: dt.datetime, method: str
) -> None:
    state[FAILURES_KEY] = int(state.get(FAILURES_KEY, 0)) + 1
    record_sign_in_failure(
        username=normalize_username(user.get_username()), request=request, now=now
    )
    record_event(
        action=ACTION_CHECK_FAILED,
        outcome=Outcome.FAILURE,
        request=request,
        subject=user,
        details={"method": method, "attempt": state[FAILURES_KEY]},
    )


def verify_check_code(
    *, user: User, state: dict[str, Any], code: str, request: HttpRequest, now: dt.datetime
) -> bool:
    if state.get(CODE_CHANNEL_KEY) and verify_code(
        user=user, purpose=OneTimeCodePurpose.NEW_DEVICE, code=code, now=now
    ):
        return True
    _record_failure(user=user, state=state, request=request, now=now, method="code")
    return False


def attempts_exhausted(*, state: dict[str, Any]) -> bool:
    return int(state.get(FAILURES_KEY, 0)) >= settings.RXPORTAL_NEW_DEVICE_MAX_ATTEMPTS


def complete_check(
    *, user: User, request: HttpRequest, method: str, now: dt.datetime
) -> tuple[RecognizedDevice, str]:
    """The check passed: remember this browser; returns the device and the cookie value."""
    with transaction.atomic():
        device, cookie_value = remember_device(user=user, request=request, now=now)
        record_event(
            action=ACTION_CHECK_PASSED,
            outcome=Outcome.SUCCESS,
            actor=user,
            request=request,
            subject=device,
            details={"method": method},
        )
        security_notices.notify_new_device(user=user, device=device)
    return device, cookie_value


def record_exhausted_check(*, user: User, request: HttpRequest) -> None:
    """Too many wrong answers or codes: the sign-in is abandoned (the edge starts it over)."""
    record_event(
        action=ACTION_CHECK_ABANDONED, outcome=Outcome.FAILURE, request=request, subject=user
    )
