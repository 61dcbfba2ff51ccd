"""Staff-console fixtures: one user per staff role, a member with an account, helpers."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from rxportal.clients.services import ensure_role_group
from rxportal.core import clock
from rxportal.members.models import Member
from tests.factories import MemberFactory

PASSWORD = "Correct-Horse-Battery-Staple-2026"
USER_AGENT = "Mozilla/5.0 (staff console test)"


def make_user(username: str, role: str, **extra: Any) -> User:
    """A user in their role's group, as signing in leaves them (the console checks permissions)."""
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        role=role,
        is_staff=role in {"service_center", "account_team", "admin"},
        **extra,
    )
    ensure_role_group(user=user)
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def service_agent(db: None) -> User:
    return make_user("sam.service", "service_center")


@pytest.fixture
def account_agent(db: None) -> User:
    return make_user("avery.accounts", "account_team")


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("ada.admin", "admin")


@pytest.fixture
def member_account(db: None) -> User:
    return make_user("jordan.smith", "member", first_name="Jordan", last_name="Smith")


@pytest.fixture
def member(member_account: User) -> Member:
    return MemberFactory(
        user=member_account,
        member_id="RXP00001234",
        first_name="Jordan",
        last_name="Smith",
        zip_code="06103",
    )


def staff_client(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR="203.0.113.9")
    client.force_login(user)
    return client


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def lock(username: str, times: int = 5) -> None:
    from rxportal.accounts.services.lockout import record_sign_in_failure

    for _ in range(times):
        record_sign_in_failure(username=username, now=clock.now())
