"""The staff console's permissions, granted to the role groups; existing staff join their group.

A frozen copy of the staff part of ``accounts.permissions.ROLE_GROUPS`` (a test checks the
two agree). Running it
twice changes nothing; the reverse takes the permissions back from the groups.
"""

from django.db import migrations

PERMISSIONS = {
    "use_staff_console": "Can open the staff console",
    "look_up_members": "Can look up members who call",
    "read_member_records": "Can read a verified caller's orders and claims",
    "manage_accounts": "Can find accounts and change usernames and emails",
    "unlock_accounts": "Can unlock sign-in",
    "send_username_reminders": "Can send username reminders",
    "reset_challenges": "Can reset challenge questions",
    "help_client_callers": "Can look up and help client and advisor callers",
    "act_on_staff_accounts": "Can act on staff and administrator accounts",
}

GROUPS = {
    "service_center": (
        "Service center",
        [
            "use_staff_console",
            "look_up_members",
            "read_member_records",
            "unlock_accounts",
            "send_username_reminders",
            "reset_challenges",
            "help_client_callers",
        ],
    ),
    "account_team": (
        "Account team",
        ["use_staff_console", "manage_accounts", "unlock_accounts", "help_client_callers"],
    ),
    "admin": ("Administrator", list(PERMISSIONS)),
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("accounts", "User")
    console_type, _ = ContentType.objects.get_or_create(app_label="staff", model="console")
    for codename, name in PERMISSIONS.items():
        Permission.objects.get_or_create(
            content_type=console_type, codename=codename, defaults={"name": name}
        )
    for role, (name, codenames) in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type=console_type, codename__in=codenames)
        )
        for user in User.objects.filter(role=role):
            user.groups.add(group)


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.values():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="staff", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_console_permissions"),
        ("accounts", "0003_email_addresses_for_existing_users"),
        ("clients", "0003_role_groups_and_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
