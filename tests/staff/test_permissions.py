"""The staff console decides by permissions held through the role groups, never by role strings."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.accounts.permissions import ROLE_GROUPS
from rxportal.clients.services import ensure_role_group
from rxportal.demo.services import STAFF_GROUPS, create_demo_accounts
from rxportal.members.models import Member
from tests.staff.conftest import make_user, staff_client

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "rxportal.staff.migrations.0002_role_groups_console_permissions"
)


def _held(group_name: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=group_name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_migrated_groups_hold_exactly_the_one_list() -> None:
    for name, permissions in ROLE_GROUPS.values():
        assert _held(name) == set(permissions), name


def test_the_migration_runs_twice_and_backwards() -> None:
    before = {name: _held(name) for name, _ in ROLE_GROUPS.values()}

    migration.grant(apps, None)
    assert {name: _held(name) for name, _ in ROLE_GROUPS.values()} == before

    migration.take_back(apps, None)
    assert not any(p.startswith("staff.") for p in _held("Service center"))
    assert "clients.view_client_directory" in _held("Service center")

    migration.grant(apps, None)
    assert {name: _held(name) for name, _ in ROLE_GROUPS.values()} == before


def test_the_migration_puts_existing_staff_in_their_group() -> None:
    agent = User.objects.create_user(username="old.agent", role="service_center")
    admin = User.objects.create_user(username="old.admin", role="admin")

    migration.grant(apps, None)

    assert list(agent.groups.values_list("name", flat=True)) == ["Service center"]
    assert list(admin.groups.values_list("name", flat=True)) == ["Administrator"]


@pytest.mark.parametrize(
    ("role", "group"),
    [
        ("service_center", "Service center"),
        ("account_team", "Account team"),
        ("admin", "Administrator"),
        ("client", "Client"),
        ("advisor", "Advisor"),
    ],
)
def test_sign_in_puts_a_user_in_their_role_group(role: str, group: str) -> None:
    user = User.objects.create_user(username=f"new.{role}", role=role)

    ensure_role_group(user=user)
    ensure_role_group(user=user)

    assert list(user.groups.values_list("name", flat=True)) == [group]


def test_a_member_joins_the_member_group() -> None:
    """Members' one permission: they must sign in with a second factor (they see PHI)."""
    user = User.objects.create_user(username="new.member", role="member")
    ensure_role_group(user=user)
    assert list(user.groups.values_list("name", flat=True)) == ["Member"]
    assert _held("Member") == {"accounts.must_use_second_factor"}


def test_the_demo_staff_groups_keep_every_console_permission() -> None:
    create_demo_accounts(demo_subscriber=None, client_name="Acme Manufacturing")

    for role, (name, _apps, _codenames) in STAFF_GROUPS.items():
        assert set(ROLE_GROUPS[role][1]) <= _held(name), name


def test_the_role_string_alone_opens_nothing(member: Member) -> None:
    """A service-center role without its group's permissions is refused (no role shortcut)."""
    agent = make_user("lone.agent", "service_center")
    agent.groups.clear()
    client = staff_client(User.objects.get(pk=agent.pk))
    # Signing in would put them back in the group: take the permission off the group instead.
    Group.objects.get(name="Service center").permissions.filter(
        content_type__app_label="staff"
    ).delete()

    assert client.get(reverse("staff:home")).status_code == 403
    assert client.get(reverse("staff:member_lookup")).status_code == 403
    assert client.get(reverse("staff:member_find")).status_code == 403


def test_a_permission_opens_the_page_whatever_the_role() -> None:
    """A group's permission is what opens a page: the member lookup for an account-team user
    whose group is given it."""
    agent = make_user("special.agent", "account_team")
    group = Group.objects.get(name="Account team")
    group.permissions.add(
        *Group.objects.get(name="Service center").permissions.filter(
            codename__in=["look_up_members"]
        )
    )

    response = staff_client(agent).get(reverse("staff:member_lookup"))

    assert response.status_code == 200


def test_a_superuser_of_any_role_reaches_every_console_page(member: Member) -> None:
    root = User.objects.create_superuser(username="root", password="x" * 20, role="member")
    client = staff_client(root)

    for name in ("staff:home", "staff:member_lookup", "staff:member_find", "staff:user_search"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("staff:client_user_find")).status_code == 200
