"""Groups per role with the clients app's permissions; existing users join their role's group.

Pages decide access by these permissions (``user.has_perm``), never by ``User.role``; the role
only picks the group a user joins (``clients.services.ensure_role_group``).
"""

from django.db import migrations

# As in clients.models.Client.Meta.permissions (post_migrate would make them only after this).
PERMISSIONS = {
    "use_client_portal": "Can use the client and advisor portal",
    "verify_client_links": "Can link users to clients after verifying them",
    "decide_tool_access": "Can decide tool access requests and revoke grants",
    "view_client_directory": "Can see clients and their designated contacts",
}

GROUPS = {
    "account_team": (
        "Account team",
        ["verify_client_links", "decide_tool_access", "view_client_directory"],
    ),
    "service_center": ("Service center", ["view_client_directory"]),
    "client": ("Client", ["use_client_portal"]),
    "advisor": ("Advisor", ["use_client_portal"]),
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    client_type, _ = ContentType.objects.get_or_create(app_label="clients", model="client")
    for codename, name in PERMISSIONS.items():
        Permission.objects.get_or_create(
            content_type=client_type, codename=codename, defaults={"name": name}
        )
    User = apps.get_model("accounts", "User")
    for role, (name, codenames) in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="clients", codename__in=codenames)
        )
        for user in User.objects.filter(role=role):
            user.groups.add(group)


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.values():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="clients", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_links_access_requests_and_grants"),
        ("accounts", "0003_email_addresses_for_existing_users"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_permissions)]
