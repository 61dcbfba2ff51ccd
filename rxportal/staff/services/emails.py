"""The account team replaces an account's email address (account team and admins only).

Both addresses are told, through ``notifications`` in the change's own transaction: the old one
(it names the new address masked), and the new one (no username: it is not yet confirmed to
belong to the account's owner); the inbox keeps a note behind sign-in.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from rxportal.accounts.models import User
from rxportal.accounts.selectors import mask_email
from rxportal.notifications import kinds
from rxportal.notifications import services as notifications
from rxportal.staff.access import Actor
from rxportal.staff.errors import EmailTaken, EmailUnchanged, InvalidEmail
from rxportal.staff.services.common import change_sign_in_detail, support_phone

ACTION_EMAIL_CHANGED = "staff.email.changed"
EMAIL_CHANGED = "security.email_changed"

EMAIL_MAX_LENGTH = 254


def clean_new_email(raw: str) -> str:
    """Trimmed, lower-cased (as allauth stores addresses) and checked with Django's validator."""
    email = raw.strip().lower() if isinstance(raw, str) else ""
    if not email:
        raise InvalidEmail(_("Enter the new email address."))
    if len(email) > EMAIL_MAX_LENGTH:
        raise InvalidEmail(
            _("An email address can have at most %(limit)d characters.")
            % {"limit": EMAIL_MAX_LENGTH}
        )
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidEmail(_("Enter a valid email address.")) from None
    return email


def change_email(
    *,
    user: User,
    new_email: str,
    actor: Actor,
    reason: str,
    request: HttpRequest | None = None,
) -> User:
    """Replace ``user``'s email address and tell both the old and the new address.

    The new address becomes the account's only, primary allauth ``EmailAddress``, **unverified**:
    allauth asks the user to confirm it with a code at their next sign-in (mandatory
    verification). Raises ``StaffForbidden``, the reason errors, ``InvalidEmail``,
    ``EmailUnchanged`` or ``EmailTaken`` (another account has it, in any case).
    """

    def change(locked: User, email: str, reason: str) -> dict[str, object]:
        old_email = locked.email
        if old_email.strip().lower() == email:
            raise EmailUnchanged(_("That is already this account's email address."))
        taken = (
            User.objects.filter(email__iexact=email).exclude(pk=locked.pk).exists()
            or EmailAddress.objects.filter(email__iexact=email).exclude(user_id=locked.pk).exists()
        )
        if taken:
            raise EmailTaken(_("Another account already uses that email address."))
        EmailAddress.objects.filter(user_id=locked.pk).delete()
        EmailAddress.objects.create(user=locked, email=email, primary=True, verified=False)
        locked.email = email
        locked.save(update_fields=["email", "updated_at"])
        _send_email_changed_notices(locked, old_email)
        return {"verified": False, "old_notified": bool(old_email)}

    return change_sign_in_detail(
        action=ACTION_EMAIL_CHANGED,
        user=user,
        new_value=new_email,
        clean=clean_new_email,
        change=change,
        actor=actor,
        reason=reason,
        request=request,
    )


def _send_email_changed_notices(user: User, old_email: str) -> None:
    """``notify`` writes to the address on file, now the new one, and to the inbox; the old
    address, which the account just left, gets the same kind's words for it by email."""
    context = {
        "masked": mask_email(user.email),
        "phone": support_phone(user),
    }
    key = f"{user.public_id}:{user.updated_at.isoformat()}"  # this change
    notifications.notify(recipient=user, kind=EMAIL_CHANGED, context=context, idempotency_key=key)
    if not old_email:
        return
    language = notifications.language_for(user)
    with translation.override(language):
        message = notifications.render_message(
            kinds.get_kind(EMAIL_CHANGED), {**context, "to_old_address": True}
        )
    notifications.enqueue(
        kind=EMAIL_CHANGED,
        recipient=user,
        to_address=old_email,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        language=language,
        idempotency_key=f"{EMAIL_CHANGED}:{key}:old-address",
    )
