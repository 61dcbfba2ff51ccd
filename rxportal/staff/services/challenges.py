"""The service center resets a member's challenge questions, for a caller who no longer
remembers them.

Same rules as every staff action (``common``: role and target checks, a reason, every attempt
audited); the owner is told at the email on file, in the reset's own transaction.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext
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
    if not user.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your rxportal challenge questions were reset")
        body = gettext(
            "Hello,\n\n"
            "Our service center removed the challenge questions on your rxportal account, as "
            "you asked on the phone. Please sign in and choose new ones in My Account.\n\n"
            "If you did not ask for this, call us at %(phone)s right away.\n\n"
            "We will never ask for your password or a sign-in code by email, text or phone.\n"
        ) % {"phone": support_phone(user)}
    notifications.enqueue(
        kind="security.challenges_reset",
        recipient=user,
        subject=subject,
        body_text=body,
        language=settings.LANGUAGE_CODE,
    )
