"""Usernames: the account team changes one; the service center emails one to a verified caller.

* ``change_username``: account team and admins only. Users never change their own username;
  staff never change their own account here either.
* ``send_username_reminder`` (a member caller) and ``send_client_username_reminder`` (a client or
  advisor caller): the username goes only to the account's email on file, never to the screen.

Notices go through ``notifications.services.notify`` in the change's own transaction: sent by a
worker after commit, retried when the mail server fails, never an error for the saved change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts.domain import is_foreign_email_username, normalize_username
from rxportal.accounts.models import User
from rxportal.accounts.selectors import mask_email
from rxportal.accounts.services import lockout
from rxportal.audit.services import Outcome, record_event, username_digest
from rxportal.notifications import services as notifications
from rxportal.staff.access import Actor, can_help_client_users, can_send_username_reminder
from rxportal.staff.errors import (
    InvalidUsername,
    NoAccount,
    NoEmailOnFile,
    UsernameTaken,
    UsernameUnchanged,
)
from rxportal.staff.services.common import (
    as_user,
    authorize,
    change_sign_in_detail,
    refuse,
    support_phone,
)

ACTION_USERNAME_CHANGED = "staff.username.changed"
ACTION_USERNAME_REMINDER_SENT = "staff.username.reminder_sent"

USERNAME_MAX_LENGTH = 150


def clean_new_username(raw: str) -> str:
    """Normalized (NFKC, trimmed, case-folded) and checked with Django's username rules."""
    name = normalize_username(raw) if isinstance(raw, str) else ""
    if not name:
        raise InvalidUsername(_("Enter the new username."))
    if len(name) > USERNAME_MAX_LENGTH:
        raise InvalidUsername(
            _("A username can have at most %(limit)d characters.") % {"limit": USERNAME_MAX_LENGTH}
        )
    try:
        User.username_validator(name)
    except ValidationError:
        raise InvalidUsername(
            _("A username may contain only letters, numbers and the characters @ . + - _")
        ) from None
    return name


def change_username(
    *,
    user: User,
    new_username: str,
    actor: Actor,
    reason: str,
    request: HttpRequest | None = None,
) -> User:
    """Give ``user`` a new username (stored normalized) and tell them at their email on file.

    Raises ``StaffForbidden``, ``ReasonRequired`` / ``ReasonTooLong`` / ``ReasonInvalid``,
    ``InvalidUsername``, ``UsernameUnchanged`` or ``UsernameTaken`` (case-insensitive). Any
    lock-out kept under the new name (failed tries before it belonged to anyone) is cleared.
    """

    def change(locked: User, name: str, reason: str) -> dict[str, object]:
        old_name = locked.username
        if normalize_username(old_name) == name:
            raise UsernameUnchanged(_("That is already this account's username."))
        if is_foreign_email_username(name, own_email=locked.email):
            # The username step takes addresses too: this name would sign in someone else.
            raise InvalidUsername(
                _("A username can't be an email address other than the account's own.")
            )
        if User.objects.filter(username__iexact=name).exclude(pk=locked.pk).exists():
            raise UsernameTaken(_("Another account already has that username."))
        locked.username = name
        try:
            with transaction.atomic():
                locked.save(update_fields=["username", "updated_at"])
        except IntegrityError:  # the same name taken by a concurrent change
            raise UsernameTaken(_("Another account already has that username.")) from None
        lockout.clear_throttle_for(
            username=name, actor=as_user(actor), request=request, reason=reason
        )
        if locked.email:
            _send_username_changed_notice(locked)
        return {
            "old_username_digest": username_digest(old_name),
            "new_username_digest": username_digest(name),
            "notice_sent": bool(locked.email),
        }

    return change_sign_in_detail(
        action=ACTION_USERNAME_CHANGED,
        user=user,
        new_value=new_username,
        clean=clean_new_username,
        change=change,
        actor=actor,
        reason=reason,
        request=request,
    )


@dataclass(frozen=True)
class ReminderResult:
    """Where the reminder went, masked, for the agent to read back to the caller."""

    masked_email: str


def send_username_reminder(
    *,
    member: Model,
    actor: Actor,
    reason: str,
    request: HttpRequest | None = None,
) -> ReminderResult:
    """Email the username of ``member``'s account to that account's email on file, only.

    The username is never returned or shown (the console shows it masked). ``member`` is a
    ``members.Member`` the caller was verified as. Raises ``StaffForbidden``, the reason errors,
    ``NoAccount`` (no active account) or ``NoEmailOnFile``.
    """
    return _send_reminder(
        user=getattr(member, "user", None),
        subject=member,
        allowed=can_send_username_reminder,
        no_account=_("This member has no online account."),
        actor=actor,
        reason=reason,
        request=request,
    )


def send_client_username_reminder(
    *, user: User, actor: Actor, reason: str, request: HttpRequest | None = None
) -> ReminderResult:
    """Email a client's or advisor's username to their email on file, only (never shown)."""
    return _send_reminder(
        user=user,
        subject=user,
        allowed=can_help_client_users,
        no_account=_("This account is deactivated."),
        actor=actor,
        reason=reason,
        request=request,
    )


def _send_reminder(
    *,
    user: User | None,
    subject: Model,
    allowed: Callable[[Actor], bool],
    no_account: str,
    actor: Actor,
    reason: str,
    request: HttpRequest | None,
) -> ReminderResult:
    """Both reminders: checks, reason, an active account with an email, one audit entry (naming
    ``subject``: the member the caller was verified as, or the client user) and the email."""
    action = ACTION_USERNAME_REMINDER_SENT
    reason = authorize(
        action=action,
        actor=actor,
        allowed=allowed,
        user=user,
        subject=subject,
        reason=reason,
        request=request,
    )
    refused = partial(
        refuse, action=action, actor=actor, request=request, subject=subject, reason=reason
    )
    if user is None or not user.is_active:
        raise refused(NoAccount(no_account))
    if not user.email:
        raise refused(NoEmailOnFile(_("There is no email address on file for this account.")))
    with transaction.atomic():
        record_event(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
            details={"username_digest": username_digest(user.username)},
        )
        _send_username_reminder(user)
    return ReminderResult(masked_email=mask_email(user.email))


# --- Notices ---------------------------------------------------------------------------------


def _send_username_changed_notice(user: User) -> None:
    """The new username, to the email on file and the inbox (``security.username_changed``)."""
    notifications.notify(
        recipient=user,
        kind="security.username_changed",
        context={
            "username": user.username,
            "phone": support_phone(user),
        },
        # One notice per change: the row's new updated_at names this change.
        idempotency_key=f"{user.public_id}:{user.updated_at.isoformat()}",
    )


def _send_username_reminder(user: User) -> None:
    """The same words as forgot-username's reminder (``account.username_reminder``)."""
    if not user.is_active or not user.email:
        return
    notifications.notify(
        recipient=user,
        kind="account.username_reminder",
        context={"usernames": user.username, "phone": support_phone(user)},
        idempotency_key=uuid.uuid4().hex,  # each call the caller asks for is its own event
    )
