"""No tables: the staff console's permissions hang off one unmanaged model (``staff.console``).

Granted through the role groups (``accounts.permissions.ROLE_GROUPS``, migration 0001).
"""

from django.db import models


class Console(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_staff_console", "Can open the staff console"),
            ("look_up_members", "Can look up members who call"),
            ("read_member_records", "Can read a verified caller's orders and claims"),
            ("manage_accounts", "Can find accounts and change usernames and emails"),
            ("unlock_accounts", "Can unlock sign-in"),
            ("send_username_reminders", "Can send username reminders"),
            ("reset_challenges", "Can reset challenge questions"),
            ("help_client_callers", "Can look up and help client and advisor callers"),
            ("act_on_staff_accounts", "Can act on staff and administrator accounts"),
        ]

    def __str__(self) -> str:
        return "staff console"
