"""The staff console's permissions and which role's group holds which: the one list.

Pages and services decide by ``user.has_perm(...)`` (superusers hold every permission); the
role only picks the group a user joins (``clients.services.ensure_role_group``, on sign-in and
sign-up). The data migrations ``staff.0001`` and ``clients.0003`` made these groups, and the
demo seeding (``demo.services.STAFF_GROUPS``) keeps every permission listed here.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.accounts.models import Role

USE_STAFF_CONSOLE = "staff.use_staff_console"
LOOK_UP_MEMBERS = "staff.look_up_members"
READ_MEMBER_RECORDS = "staff.read_member_records"
MANAGE_ACCOUNTS = "staff.manage_accounts"
UNLOCK_ACCOUNTS = "staff.unlock_accounts"
SEND_USERNAME_REMINDERS = "staff.send_username_reminders"
RESET_CHALLENGES = "staff.reset_challenges"
HELP_CLIENT_CALLERS = "staff.help_client_callers"
ACT_ON_STAFF_ACCOUNTS = "staff.act_on_staff_accounts"

# The accounts app's one (accounts.models.User.Meta): whoever holds it signs in with a second
# factor (members see PHI; PBM staff can reach everyone's).
MUST_USE_SECOND_FACTOR = "accounts.must_use_second_factor"

# The clients app's permissions (clients.models.Client.Meta), held through the same groups.
USE_CLIENT_PORTAL = "clients.use_client_portal"
VERIFY_CLIENT_LINKS = "clients.verify_client_links"
DECIDE_TOOL_ACCESS = "clients.decide_tool_access"
VIEW_CLIENT_DIRECTORY = "clients.view_client_directory"

# The outbox's failed deliveries (notifications.models.Notification.Meta), migration
# notifications.0001.
RESEND_NOTIFICATIONS = "notifications.resend_notifications"

# Each role's group name and every permission it holds ("app_label.codename").
ROLE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    Role.SERVICE_CENTER: (
        "Service center",
        (
            USE_STAFF_CONSOLE,
            LOOK_UP_MEMBERS,
            READ_MEMBER_RECORDS,
            UNLOCK_ACCOUNTS,
            SEND_USERNAME_REMINDERS,
            RESET_CHALLENGES,
            HELP_CLIENT_CALLERS,
            VIEW_CLIENT_DIRECTORY,
            MUST_USE_SECOND_FACTOR,
            RESEND_NOTIFICATIONS,
        ),
    ),
    Role.ACCOUNT_TEAM: (
        "Account team",
        (
            USE_STAFF_CONSOLE,
            MANAGE_ACCOUNTS,
            UNLOCK_ACCOUNTS,
            HELP_CLIENT_CALLERS,
            VERIFY_CLIENT_LINKS,
            DECIDE_TOOL_ACCESS,
            VIEW_CLIENT_DIRECTORY,
            MUST_USE_SECOND_FACTOR,
            RESEND_NOTIFICATIONS,
        ),
    ),
    Role.ADMIN: (
        "Administrator",
        (
            USE_STAFF_CONSOLE,
            LOOK_UP_MEMBERS,
            READ_MEMBER_RECORDS,
            MANAGE_ACCOUNTS,
            UNLOCK_ACCOUNTS,
            SEND_USERNAME_REMINDERS,
            RESET_CHALLENGES,
            HELP_CLIENT_CALLERS,
            ACT_ON_STAFF_ACCOUNTS,
            MUST_USE_SECOND_FACTOR,
            RESEND_NOTIFICATIONS,
        ),
    ),
    Role.MEMBER: ("Member", (MUST_USE_SECOND_FACTOR,)),
    Role.CLIENT: ("Client", (USE_CLIENT_PORTAL,)),
    Role.ADVISOR: ("Advisor", (USE_CLIENT_PORTAL,)),
}


def has_permission(actor: AbstractBaseUser | AnonymousUser, permission: str) -> bool:
    """Signed in, active, and holding ``permission`` (through a group, or as a superuser)."""
    has_perm = getattr(actor, "has_perm", None)  # PermissionsMixin's (User, AnonymousUser)
    return bool(
        actor.is_authenticated and actor.is_active and has_perm is not None and has_perm(permission)
    )
