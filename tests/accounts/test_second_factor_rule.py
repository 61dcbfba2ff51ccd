"""Who must sign in with a second factor is decided by a Django permission held through the
role groups (``accounts.must_use_second_factor``), not by the ``role`` string."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from rxportal.accounts import permissions as perms
from rxportal.accounts.models import User
from rxportal.accounts.services.roles import ensure_role_group
from rxportal.accounts.services.signin import is_second_factor_required

pytestmark = pytest.mark.django_db


def _user(role: str, **extra: object) -> User:
    user = User.objects.create_user(username=f"rule.{role}", role=role, **extra)
    ensure_role_group(user=user)
    return User.objects.get(pk=user.pk)  # a fresh permission cache


@pytest.mark.parametrize(
    ("role", "required"),
    [
        ("member", True),
        ("service_center", True),
        ("account_team", True),
        ("admin", True),
        ("client", False),
        ("advisor", False),
    ],
)
def test_members_and_staff_groups_hold_the_rule(role: str, required: bool) -> None:
    assert is_second_factor_required(_user(role)) is required


def test_the_role_string_alone_requires_nothing() -> None:
    member = _user("member")
    Group.objects.get(name="Member").permissions.clear()

    assert not is_second_factor_required(User.objects.get(pk=member.pk))


def test_a_group_given_the_permission_requires_a_second_factor() -> None:
    client = _user("client")
    app_label, codename = perms.MUST_USE_SECOND_FACTOR.split(".")
    Group.objects.get(name="Client").permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )

    assert is_second_factor_required(User.objects.get(pk=client.pk))


def test_back_office_accounts_and_superusers_still_must() -> None:
    assert is_second_factor_required(_user("client", is_staff=True))
    superuser = User.objects.create_superuser(username="root.rule", password=None, role="client")
    assert is_second_factor_required(superuser)


def test_joining_the_group_refreshes_the_users_permission_cache() -> None:
    user = User.objects.create_user(username="late.member", role="member")
    assert not is_second_factor_required(user)  # caches "no permissions" on this object

    ensure_role_group(user=user)

    assert is_second_factor_required(user)
