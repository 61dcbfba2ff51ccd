"""Service-center help beyond ``staff.py``: reset a member's challenge questions, and email a
client's or advisor's username to their address on file.

Same rules as ``staff.py`` (role and target checks, a reason, every attempt audited, notices
written to the outbox with the change); this module only adds the two use cases.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts import permissions as perms
from rxportal.accounts.models import ChallengeAnswer, User
from rxportal.accounts.permissions import has_permission
from rxportal.accounts.selectors import mask_email
from rxportal.accounts.services import staff
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event, username_digest
from rxportal.notifications import services as notifications

logger = logging.getLogger(__name__)

ACTION_CHALLENGES_RESET = "staff.challenges.reset"
ACTION_CLIENT_REMINDER_SENT = "staff.username.reminder_sent"


def can_reset_challenges(actor: staff.Actor) -> bool:
    return has_permission(actor, perms.RESET_CHALLENGES)


def can_help_client_users(actor: staff.Actor) -> bool:
    """Find a client or advisor who calls, send their username, unlock them."""
    return has_permission(actor, perms.HELP_CLIENT_CALLERS)


def reset_challenge_answers(
    *,
    user: User | None,
    actor: staff.Actor,
    reason: str,
    request: HttpRequest | None = None,
    subject: Model | None = None,
) -> int:
    """Remove ``user``'s challenge answers so they choose new ones; returns how many there were.

    For a caller who no longer remembers them. Until new ones are set, password reset asks no
    challenge question; the owner is told at the email on file, so a reset they did not ask for
    does not go unnoticed. Raises ``StaffForbidden``, the reason errors or ``NoAccount``.
    """
    action = ACTION_CHALLENGES_RESET
    subject = subject if subject is not None else user
    reason = staff._authorize(
        action=action,
        actor=actor,
        allowed=can_reset_challenges,
        user=user,
        subject=subject,
        reason=reason,
        request=request,
    )
    if user is None or not user.is_active:
        raise staff._refuse(
            staff.NoAccount(_("This member has no online account.")),
            action=action,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
        )
    with transaction.atomic():
        removed, _by_model = ChallengeAnswer.objects.filter(user=user).delete()
        record_event(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
            details={"answers_removed": removed, "notice_sent": bool(user.email)},
        )
        if user.email:
            _send_challenges_reset_notice(user)
    return removed


def send_client_username_reminder(
    *, user: User, actor: staff.Actor, reason: str, request: HttpRequest | None = None
) -> staff.ReminderResult:
    """Email a client's or advisor's username to their email on file, only (never shown)."""
    action = ACTION_CLIENT_REMINDER_SENT
    reason = staff._authorize(
        action=action,
        actor=actor,
        allowed=can_help_client_users,
        user=user,
        subject=user,
        reason=reason,
        request=request,
    )
    refuse = partial(
        staff._refuse, action=action, actor=actor, request=request, subject=user, reason=reason
    )
    if not user.is_active:
        raise refuse(staff.NoAccount(_("This account is deactivated.")))
    if not user.email:
        raise refuse(staff.NoEmailOnFile(_("There is no email address on file for this account.")))
    with transaction.atomic():
        record_event(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=user,
            reason=reason,
            details={"username_digest": username_digest(user.username)},
        )
        staff._send_username_reminder(user)
    return staff.ReminderResult(masked_email=mask_email(user.email))


def _send_challenges_reset_notice(user: User) -> None:
    notifications.notify(
        recipient=user,
        kind="security.challenges_reset",
        context={"phone": staff._support_phone(user)},
        idempotency_key=uuid.uuid4().hex,  # each reset is its own event
    )
