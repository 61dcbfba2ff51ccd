"""The service center, account team and admins clear an account's sign-in lock-out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts.services import lockout
from rxportal.audit.services import Outcome, record_event, username_digest
from rxportal.staff.access import Actor, can_unlock
from rxportal.staff.errors import NoAccount
from rxportal.staff.services.common import as_user, authorize, refuse

if TYPE_CHECKING:
    from rxportal.accounts.models import User

ACTION_ACCOUNT_UNLOCKED = "staff.account.unlocked"


@dataclass(frozen=True)
class UnlockResult:
    """``was_locked``: whether there were failures or a lock to clear."""

    was_locked: bool


def unlock_account(
    *,
    user: User | None,
    actor: Actor,
    reason: str,
    request: HttpRequest | None = None,
    subject: Model | None = None,
) -> UnlockResult:
    """Clear ``user``'s sign-in lock-out (timed and hard locks, failure counts).

    ``subject`` is what the audit entry names (the user by default; the staff console passes
    the member the caller was verified as). ``user=None`` (a member without an account) raises
    ``NoAccount`` after auditing the attempt.
    """
    action = ACTION_ACCOUNT_UNLOCKED
    subject = subject if subject is not None else user
    reason = authorize(
        action=action,
        actor=actor,
        allowed=can_unlock,
        user=user,
        subject=subject,
        reason=reason,
        request=request,
    )
    if user is None:
        raise refuse(
            NoAccount(_("This member has no online account.")),
            action=action,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
        )
    with transaction.atomic():
        cleared = lockout.clear_throttles_for_user(
            user=user, actor=as_user(actor), request=request, reason=reason
        )
        record_event(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
            details={"cleared": cleared, "username_digest": username_digest(user.username)},
        )
    return UnlockResult(was_locked=cleared)
