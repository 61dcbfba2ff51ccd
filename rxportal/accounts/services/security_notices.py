"""Security notices a person gets about their own account, written to the outbox in the event's
transaction (``notifications.services.notify``; the words are the kinds' templates).

They are never switched off and name no secret: no code, password, phone number or address,
only what changed and the help line to call if it was not them.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from django.urls import reverse

from rxportal.accounts.models import RecognizedDevice, Role, User
from rxportal.members.selectors import get_support_contacts
from rxportal.notifications import services as notifications


class FactorChange(StrEnum):
    """What happened to a second sign-in step (the template words each one)."""

    TOTP_ADDED = "totp_added"
    TOTP_REMOVED = "totp_removed"
    SMS_ADDED = "sms_added"
    SMS_REMOVED = "sms_removed"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    RECOVERY_CODES = "recovery_codes"


def support_phone(user: User) -> str:
    """The person's own help line, as every page shows it (``rxportal.core.contact``)."""
    contacts = get_support_contacts(viewer=user)
    return contacts.member_phone if user.role == Role.MEMBER else contacts.client_phone


def notify_new_device(*, user: User, device: RecognizedDevice) -> None:
    """A browser passed the new-device check and is now remembered: once per device.

    Its label is the browser's own User-Agent, written by whoever signed in, so only the inbox
    (behind sign-in) shows it; the email does not."""
    notifications.notify(
        recipient=user,
        kind="security.new_device",
        context={"device": device.label, "phone": support_phone(user)},
        idempotency_key=str(device.public_id),
        link_path=reverse("rx_myaccount"),
    )


def notify_password_changed(*, user: User) -> None:
    """The person changed their password in My Account (recovery words its own notice)."""
    notifications.notify(
        recipient=user,
        kind="security.password_changed",
        context={"reset": False, "phone": support_phone(user)},
        idempotency_key=uuid.uuid4().hex,  # each change is its own event
        link_path=reverse("rx_myaccount"),
    )


def notify_second_factor_changed(*, user: User, change: FactorChange) -> None:
    """A second sign-in step was added or removed, or recovery codes were made anew."""
    notifications.notify(
        recipient=user,
        kind="security.second_factor_changed",
        context={"change": change.value, "phone": support_phone(user)},
        idempotency_key=uuid.uuid4().hex,  # each change is its own event
        link_path=reverse("rx_myaccount"),
    )
