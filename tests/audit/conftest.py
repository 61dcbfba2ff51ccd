from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from rxportal.accounts.models import User
from tests.audit.support import audit_trail_purged, purge_audit_trail_before_flush

__all__ = ["audit_trail_purged", "purge_audit_trail_before_flush"]

PASSWORD = "Correct-Horse-Battery-Staple-2026"


@pytest.fixture
def staff_user(db: None) -> User:
    return get_user_model().objects.create_user(
        username="avery.staff", password=PASSWORD, role="account_team", is_staff=True
    )


@pytest.fixture
def member_user(db: None) -> User:
    return get_user_model().objects.create_user(
        username="dana.member", password=PASSWORD, role="member"
    )


@pytest.fixture
def superuser(db: None) -> User:
    return get_user_model().objects.create_superuser(
        username="root.admin", password=PASSWORD, role="admin"
    )
