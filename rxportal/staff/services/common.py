"""The opening every staff action shares: role and target checks, the reason typed for the audit
trail, and the audit entry of a refusal.

Every call is audited, refusals and failures included: who (actor), what (action, subject,
outcome), when, IP and user agent (from ``request``), and the reason the staff member typed.
Audit details hold digests, flags and error codes only, never a name or an address.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts.models import Role, User
from rxportal.audit.services import Outcome, record_event
from rxportal.core.errors import DomainError, ValidationFailed
from rxportal.members.selectors import get_support_contacts
from rxportal.staff.access import Actor, can_change_identity, may_act_on
from rxportal.staff.errors import ReasonInvalid, ReasonRequired, ReasonTooLong, StaffForbidden

REASON_MAX_LENGTH = 500


def as_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def refuse(
    error: DomainError,
    *,
    action: str,
    actor: Actor,
    request: HttpRequest | None,
    subject: Model | None,
    reason: str = "",
) -> DomainError:
    """Audit a refused or failed attempt (committed on its own) and hand back the error."""
    record_event(
        action=action,
        outcome=Outcome.DENIED if isinstance(error, StaffForbidden) else Outcome.FAILURE,
        actor=actor,
        request=request,
        subject=subject,
        reason=reason,
        details={"error_code": error.code},
    )
    return error


def _check_allowed(
    *,
    actor: Actor,
    allowed: Callable[[Actor], bool],
    user: User | None,
    action: str,
    request: HttpRequest | None,
    subject: Model | None,
) -> None:
    if not allowed(actor):
        raise refuse(
            StaffForbidden(_("Your role does not allow this.")),
            action=action,
            actor=actor,
            request=request,
            subject=subject,
        )
    if user is not None and not may_act_on(actor, user):
        message = (
            _("You cannot make this change to your own account.")
            if actor.pk == user.pk
            else _("Only an administrator can change a staff account.")
        )
        raise refuse(
            StaffForbidden(message),
            action=action,
            actor=actor,
            request=request,
            subject=subject,
        )


# Bidirectional embeddings, overrides and isolates: they can make an audit reason read differently
# from what is stored ("Trojan Source"), so they are refused along with control characters.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_unsafe_char(char: str) -> bool:
    return (unicodedata.category(char) == "Cc" and char not in "\n\r\t") or char in _BIDI_CONTROLS


def clean_reason(reason: str) -> str:
    """The reason, trimmed; required, at most 500 characters, no control or bidi-override
    characters (newlines and tabs are fine)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ReasonRequired(_("Enter the reason for this change."))
    if len(text) > REASON_MAX_LENGTH:
        raise ReasonTooLong(
            _("Keep the reason to %(limit)d characters or fewer.") % {"limit": REASON_MAX_LENGTH}
        )
    if any(_is_unsafe_char(char) for char in text):
        raise ReasonInvalid(_("The reason contains characters that cannot be stored."))
    return text


def authorize(
    *,
    action: str,
    actor: Actor,
    allowed: Callable[[Actor], bool],
    user: User | None,
    subject: Model | None,
    reason: str,
    request: HttpRequest | None,
) -> str:
    """The opening of every staff action: role and target checks, then the reason (cleaned).
    Each refusal is audited."""
    _check_allowed(
        actor=actor, allowed=allowed, user=user, action=action, request=request, subject=subject
    )
    try:
        return clean_reason(reason)
    except ValidationFailed as error:
        raise refuse(error, action=action, actor=actor, request=request, subject=subject) from None


def support_phone(user: User) -> str:
    """The user's own help line, as every page shows it (``rxportal.core.contact``)."""
    contacts = get_support_contacts(viewer=user)
    return contacts.member_phone if user.role == Role.MEMBER else contacts.client_phone


def change_sign_in_detail(
    *,
    action: str,
    user: User,
    new_value: str,
    clean: Callable[[str], str],
    change: Callable[[User, str, str], dict[str, object]],
    actor: Actor,
    reason: str,
    request: HttpRequest | None,
) -> User:
    """What the account team's username and email changes share: role and target checks, the
    reason, the new value cleaned, then ``change(locked_user, value, reason)`` on the locked row
    (it saves, writes its notices and returns the audit details, or raises the field's
    unchanged/taken error), one audit entry; every refusal audited. ``user`` gets the saved row's
    values back."""
    reason = authorize(
        action=action,
        actor=actor,
        allowed=can_change_identity,
        user=user,
        subject=user,
        reason=reason,
        request=request,
    )
    try:
        value = clean(new_value)
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            details = change(locked, value, reason)
            record_event(
                action=action,
                outcome=Outcome.SUCCESS,
                actor=actor,
                request=request,
                subject=locked,
                reason=reason,
                details=details,
            )
    except DomainError as error:
        raise refuse(
            error, action=action, actor=actor, request=request, subject=user, reason=reason
        ) from None
    user.username, user.email, user.updated_at = locked.username, locked.email, locked.updated_at
    return user
