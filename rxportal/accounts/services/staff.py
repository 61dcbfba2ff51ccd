"""What PBM staff may do to someone's account from the staff console (rxportal.staff).

* ``change_username`` / ``change_email``: account team and admins only. Users never change their
  own username; staff never change their own account here either.
* ``unlock_account``: service center, account team and admins (clears the sign-in lock-out).
* ``send_username_reminder``: service center and admins, for a caller they have verified; the
  username goes only to the account's email on file.

Who may act on whom: an actor never acts on their own account, and only an admin acts on a staff
account (an account-team member who could change an admin's email could take the admin's account
over through forgot-password).

Every call is audited, refusals and failures included: who (actor), what (action, subject,
outcome), when, IP and user agent (from ``request``), and the reason the staff member typed.
Audit details hold digests, flags and error codes only, never a name or an address. Notices are
plain emails written to the outbox in the change's own transaction
(``notifications.services.enqueue``): sent by a worker after commit, retried when the mail
server fails, never an error for the change that was saved.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from rxportal.accounts import permissions as perms
from rxportal.accounts.domain import normalize_username
from rxportal.accounts.models import Role, User
from rxportal.accounts.permissions import has_permission
from rxportal.accounts.selectors import mask_email
from rxportal.accounts.services import lockout
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event, username_digest
from rxportal.core.errors import DomainError, ValidationFailed
from rxportal.members.selectors import get_support_contacts
from rxportal.notifications import services as notifications

logger = logging.getLogger(__name__)

ACTION_USERNAME_CHANGED = "staff.username.changed"
ACTION_EMAIL_CHANGED = "staff.email.changed"
ACTION_ACCOUNT_UNLOCKED = "staff.account.unlocked"
ACTION_USERNAME_REMINDER_SENT = "staff.username.reminder_sent"

REASON_MAX_LENGTH = 500
USERNAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254


Actor = AbstractBaseUser | AnonymousUser


# --- Errors (stable codes; messages are for the staff member, translated at raise time) ------


class StaffForbidden(DomainError):
    """The actor's role may not do this, or not to this account."""

    code = "staff.forbidden"


class ReasonRequired(ValidationFailed):
    code = "staff.reason.required"


class ReasonTooLong(ValidationFailed):
    code = "staff.reason.too_long"


class ReasonInvalid(ValidationFailed):
    code = "staff.reason.invalid"


class InvalidUsername(ValidationFailed):
    code = "staff.username.invalid"


class UsernameUnchanged(ValidationFailed):
    code = "staff.username.unchanged"


class UsernameTaken(DomainError):
    code = "staff.username.taken"


class InvalidEmail(ValidationFailed):
    code = "staff.email.invalid"


class EmailUnchanged(ValidationFailed):
    code = "staff.email.unchanged"


class EmailTaken(DomainError):
    code = "staff.email.taken"


class NoAccount(DomainError):
    """The member has no (active) sign-in account."""

    code = "staff.account.missing"


class NoEmailOnFile(DomainError):
    code = "staff.email.missing"


# --- Who may do what -------------------------------------------------------------------------


# By permission, held through the role's group (accounts.permissions), never by role string.


def can_change_identity(actor: Actor) -> bool:
    """Find accounts, change usernames and email addresses (the account team's tools)."""
    return has_permission(actor, perms.MANAGE_ACCOUNTS)


def can_unlock(actor: Actor) -> bool:
    return has_permission(actor, perms.UNLOCK_ACCOUNTS)


def can_send_username_reminder(actor: Actor) -> bool:
    return has_permission(actor, perms.SEND_USERNAME_REMINDERS)


def can_look_up_members(actor: Actor) -> bool:
    """Verify a caller by member id, date of birth and ZIP (the service center's tool)."""
    return has_permission(actor, perms.LOOK_UP_MEMBERS)


def can_use_console(actor: Actor) -> bool:
    return has_permission(actor, perms.USE_STAFF_CONSOLE)


def is_protected_account(user: User) -> bool:
    """Staff and back-office accounts: only an admin may act on them."""
    return bool(user.is_pbm_staff or user.is_staff or user.is_superuser)


def may_act_on(actor: Actor, user: User) -> bool:
    """Never on one's own account; on a staff account only with the admins' permission."""
    if actor.pk == user.pk:
        return False
    return not is_protected_account(user) or has_permission(actor, perms.ACT_ON_STAFF_ACCOUNTS)


# --- Shared steps ----------------------------------------------------------------------------


def _as_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _audit(
    *,
    action: str,
    outcome: str,
    actor: Actor,
    request: HttpRequest | None,
    subject: Model | None,
    reason: str = "",
    details: dict[str, object] | None = None,
) -> None:
    record_event(
        action=action,
        outcome=outcome,
        actor=actor,
        request=request,
        subject=subject,
        reason=reason,
        details=details,
    )


def _refuse(
    error: DomainError,
    *,
    action: str,
    actor: Actor,
    request: HttpRequest | None,
    subject: Model | None,
    reason: str = "",
) -> DomainError:
    """Audit a refused or failed attempt (committed on its own) and hand back the error."""
    outcome = Outcome.DENIED if isinstance(error, StaffForbidden) else Outcome.FAILURE
    _audit(
        action=action,
        outcome=outcome,
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
        raise _refuse(
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
        raise _refuse(
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


def _checked_reason(
    reason: str,
    *,
    action: str,
    actor: Actor,
    request: HttpRequest | None,
    subject: Model | None,
) -> str:
    try:
        return clean_reason(reason)
    except ValidationFailed as error:
        raise _refuse(error, action=action, actor=actor, request=request, subject=subject) from None


def _authorize(
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
    Each refusal is audited by the helpers it calls."""
    _check_allowed(
        actor=actor, allowed=allowed, user=user, action=action, request=request, subject=subject
    )
    return _checked_reason(reason, action=action, actor=actor, request=request, subject=subject)


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


# --- Use cases -------------------------------------------------------------------------------


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
    action = ACTION_USERNAME_CHANGED
    refuse = partial(_refuse, action=action, actor=actor, request=request, subject=user)
    reason = _authorize(
        action=action,
        actor=actor,
        allowed=can_change_identity,
        user=user,
        subject=user,
        reason=reason,
        request=request,
    )
    try:
        name = clean_new_username(new_username)
    except ValidationFailed as error:
        raise refuse(error, reason=reason) from None

    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            old_name = locked.username
            if normalize_username(old_name) == name:
                raise UsernameUnchanged(_("That is already this account's username."))
            if User.objects.filter(username__iexact=name).exclude(pk=locked.pk).exists():
                raise UsernameTaken(_("Another account already has that username."))
            locked.username = name
            try:
                with transaction.atomic():
                    locked.save(update_fields=["username", "updated_at"])
            except IntegrityError:  # the same name taken by a concurrent change
                raise UsernameTaken(_("Another account already has that username.")) from None
            lockout.clear_throttle_for(
                username=name, actor=_as_user(actor), request=request, reason=reason
            )
            _audit(
                action=action,
                outcome=Outcome.SUCCESS,
                actor=actor,
                request=request,
                subject=locked,
                reason=reason,
                details={
                    "old_username_digest": username_digest(old_name),
                    "new_username_digest": username_digest(name),
                    "notice_sent": bool(locked.email),
                },
            )
            if locked.email:
                _send_username_changed_notice(locked)
    except (UsernameUnchanged, UsernameTaken) as error:
        raise refuse(error, reason=reason) from None
    user.username = locked.username
    user.updated_at = locked.updated_at
    return user


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
    action = ACTION_EMAIL_CHANGED
    refuse = partial(_refuse, action=action, actor=actor, request=request, subject=user)
    reason = _authorize(
        action=action,
        actor=actor,
        allowed=can_change_identity,
        user=user,
        subject=user,
        reason=reason,
        request=request,
    )
    try:
        email = clean_new_email(new_email)
    except ValidationFailed as error:
        raise refuse(error, reason=reason) from None

    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            old_email = locked.email
            if old_email.strip().lower() == email:
                raise EmailUnchanged(_("That is already this account's email address."))
            taken = (
                User.objects.filter(email__iexact=email).exclude(pk=locked.pk).exists()
                or EmailAddress.objects.filter(email__iexact=email)
                .exclude(user_id=locked.pk)
                .exists()
            )
            if taken:
                raise EmailTaken(_("Another account already uses that email address."))
            EmailAddress.objects.filter(user_id=locked.pk).delete()
            EmailAddress.objects.create(user=locked, email=email, primary=True, verified=False)
            locked.email = email
            locked.save(update_fields=["email", "updated_at"])
            _audit(
                action=action,
                outcome=Outcome.SUCCESS,
                actor=actor,
                request=request,
                subject=locked,
                reason=reason,
                details={"verified": False, "old_notified": bool(old_email)},
            )
            _send_email_changed_notices(locked, old_email, email)
    except (EmailUnchanged, EmailTaken) as error:
        raise refuse(error, reason=reason) from None
    user.email = locked.email
    user.updated_at = locked.updated_at
    return user


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
    reason = _authorize(
        action=action,
        actor=actor,
        allowed=can_unlock,
        user=user,
        subject=subject,
        reason=reason,
        request=request,
    )
    if user is None:
        raise _refuse(
            NoAccount(_("This member has no online account.")),
            action=action,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
        )
    with transaction.atomic():
        cleared = lockout.clear_throttle_for(
            username=user.get_username(), actor=_as_user(actor), request=request, reason=reason
        )
        _audit(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=subject,
            reason=reason,
            details={"cleared": cleared, "username_digest": username_digest(user.username)},
        )
    return UnlockResult(was_locked=cleared)


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
    action = ACTION_USERNAME_REMINDER_SENT
    user: User | None = getattr(member, "user", None)
    reason = _authorize(
        action=action,
        actor=actor,
        allowed=can_send_username_reminder,
        user=user,
        subject=member,
        reason=reason,
        request=request,
    )
    refuse = partial(
        _refuse, action=action, actor=actor, request=request, subject=member, reason=reason
    )
    if user is None or not user.is_active:
        raise refuse(NoAccount(_("This member has no online account.")))
    if not user.email:
        raise refuse(NoEmailOnFile(_("There is no email address on file for this account.")))
    with transaction.atomic():
        _audit(
            action=action,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=member,
            reason=reason,
            details={"username_digest": username_digest(user.username)},
        )
        _send_username_reminder(user)
    return ReminderResult(masked_email=mask_email(user.email))


# --- Notices (plain email in the site's default language) ------------------------------------


def _support_phone(user: User) -> str:
    """The user's own help line, as every page shows it (``rxportal.core.contact``)."""
    contacts = get_support_contacts(viewer=user)
    return contacts.member_phone if user.role == Role.MEMBER else contacts.client_phone


def _send_username_changed_notice(user: User) -> None:
    if not user.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your rxportal username was changed")
        body = gettext(
            "Hello,\n\n"
            "Our account team changed the username you use to sign in to rxportal. Your new "
            "username is: %(username)s\n\n"
            "Your password, SiteKey and second sign-in step have not changed.\n\n"
            "If you did not ask for this change, call us at %(phone)s right away.\n\n"
            "We will never ask for your password or a sign-in code by email, text or phone.\n"
        ) % {"username": user.username, "phone": _support_phone(user)}
    notifications.enqueue(
        kind="security.username_changed",
        recipient=user,
        subject=subject,
        body_text=body,
        language=settings.LANGUAGE_CODE,
    )


def _send_email_changed_notices(user: User, old_email: str, new_email: str) -> None:
    """One notice to the old address (naming the new one masked), one to the new address
    (no username: it is not yet confirmed to belong to the account's owner)."""
    phone = _support_phone(user)
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("The email address on your rxportal account was changed")
        old_body = gettext(
            "Hello,\n\n"
            "Our account team changed the email address on your rxportal account to "
            "%(masked)s. We will send account notices there from now on, not to this address."
            "\n\n"
            "If you did not ask for this change, call us at %(phone)s right away.\n\n"
            "We will never ask for your password or a sign-in code by email, text or phone.\n"
        ) % {"masked": mask_email(new_email), "phone": phone}
        new_body = gettext(
            "Hello,\n\n"
            "Our account team made this address the email address of an rxportal account. The "
            "next time you sign in, we will ask you to confirm it with a code.\n\n"
            "If you did not expect this, call us at %(phone)s.\n\n"
            "We will never ask for your password or a sign-in code by email, text or phone.\n"
        ) % {"phone": phone}
    for address, body in ((old_email, old_body), (new_email, new_body)):
        if address:
            notifications.enqueue(
                kind="security.email_changed",
                recipient=user,
                to_address=address,
                subject=subject,
                body_text=body,
                language=settings.LANGUAGE_CODE,
            )


def _send_username_reminder(user: User) -> None:
    if not user.is_active or not user.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Your rxportal username")
        body = gettext(
            "Hello,\n\n"
            "You asked our service center for the username of your rxportal account. Your "
            "username is: %(username)s\n\n"
            "If you did not ask for it, you can ignore this email: nobody can sign in with a "
            "username alone. If you are worried, call us at %(phone)s.\n\n"
            "We will never ask for your password or a sign-in code by email, text or phone.\n"
        ) % {"username": user.username, "phone": _support_phone(user)}
    notifications.enqueue(
        kind="account.username_reminder",
        recipient=user,
        subject=subject,
        body_text=body,
        language=settings.LANGUAGE_CODE,
    )
