"""The service center resets a member's challenge questions, for a caller who no longer
remembers them.

Same rules as every staff action (``common``: role and target checks, a reason, every attempt
audited); the owner is told at the email on file and in the inbox, in the reset's own
transaction (``security.challenges_reset``).
"""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts.models import ChallengeAnswer, User
from rxportal.audit.services import Outcome, record_event
from rxportal.notifications import services as notifications
from rxportal.staff.access import Actor, can_reset_challenges
from rxportal.staff.errors import NoAccount
from rxportal.staff.services.common import authorize, refuse, support_phone

logger = logging.getLogger(__name__)

ACTION_CHALLENGES_RESET = "staff.challenges.reset"


def reset_challenge_answers(
    *,
    user: User | None,
    actor: Actor,
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
    reason = authorize(
        action=action,
        actor=actor,
        allowed=can_reset_challenges,
        user=user,
        subject=subject,
        reason=reason,
        request=request,
    )
    if user is None or not user.is_active:
        raise refuse(
            NoAccount(_("This member has no online account.")),
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


def _send_challenges_reset_notice(user: User) -> None:
    notifications.notify(
        recipient=user,
        kind="security.challenges_reset",
        context={"phone": support_phone(user)},
        idempotency_key=uuid.uuid4().hex,  # each reset is its own event
    )
