"""Who may do what in the staff console: by permission, held through the role's group
(``accounts.permissions``), never by role string. Pages gate on these (``views.common.staff_page``)
and the use cases in ``services`` check them again.

Who may act on whom: an actor never acts on their own account, and only an admin acts on a staff
account (an account-team member who could change an admin's email could take the admin's account
over through forgot-password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.accounts import permissions as perms
from rxportal.accounts.permissions import has_permission

if TYPE_CHECKING:
    from rxportal.accounts.models import User

Actor = AbstractBaseUser | AnonymousUser


def can_use_console(actor: Actor) -> bool:
    return has_permission(actor, perms.USE_STAFF_CONSOLE)


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


def can_reset_challenges(actor: Actor) -> bool:
    return has_permission(actor, perms.RESET_CHALLENGES)


def can_help_client_users(actor: Actor) -> bool:
    """Find a client or advisor who calls, send their username, unlock them."""
    return has_permission(actor, perms.HELP_CLIENT_CALLERS)


def can_read_member_records(actor: Actor) -> bool:
    """Open a verified caller's orders and claims (``services.service_center``)."""
    return has_permission(actor, perms.READ_MEMBER_RECORDS)


def is_protected_account(user: User) -> bool:
    """Staff and back-office accounts: only an admin may act on them."""
    return bool(user.is_pbm_staff or user.is_staff or user.is_superuser)


def may_act_on(actor: Actor, user: User) -> bool:
    """Never on one's own account; on a staff account only with the admins' permission."""
    if actor.pk == user.pk:
        return False
    return not is_protected_account(user) or has_permission(actor, perms.ACT_ON_STAFF_ACCOUNTS)
