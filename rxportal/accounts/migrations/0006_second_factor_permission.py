"""Who must sign in with a second factor is a permission (``accounts.must_use_second_factor``)
held through the role groups, no longer a test of ``User.role``: members get a group of their
own ("Member") and existing members join it; the staff groups get the permission too.

A frozen copy of that part of ``accounts.permissions.ROLE_GROUPS``. Running it twice changes
nothing; the reverse takes the permission back (the "Member" group stays, empty of it).
"""

from django.db import migrations

CODENAME = "must_use_second_factor"
NAME = "Must sign in with a second factor"
GROUPS = {
    "member": "Member",
    "service_center": "Service center",
    "account_team": "Account team",
    "admin": "Administrator",
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("accounts", "User")
    user_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="user")
    permission, _ = Permission.objects.get_or_create(
        content_type=user_type, codename=CODENAME, defaults={"name": NAME}
    )
    for role, name in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(permission)
        # One insert for every member account (there may be many), none twice.
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [
                Membership(user_id=user_id, group_id=group.pk)
                for user_id in User.objects.filter(role=role).values_list("pk", flat=True)
            ],
            ignore_conflicts=True,
            batch_size=5000,
        )


def take_back(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="accounts", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_rename_organization_to_organization_claim"),
        ("staff", "0002_role_groups_console_permissions"),
        ("clients", "0003_role_groups_and_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [(CODENAME, NAME)],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RunPython(grant, take_back),
    ]
