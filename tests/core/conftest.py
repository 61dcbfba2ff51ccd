"""Fixtures of the core tests (the sponsor tools' scene for the replica's report test)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from rxportal.accounts.permissions import ROLE_GROUPS
from tests.core.replica_support import replica  # noqa: F401 (a fixture, see replica_support.py)
from tests.sponsor_tools.conftest import scene  # noqa: F401 (a fixture)


@pytest.fixture
def role_groups(transactional_db: None) -> None:
    """The role groups the migrations made, made again: a transactional test's flush empties them
    (ask for this before fixtures that grant or check permissions)."""
    for name, permissions in ROLE_GROUPS.values():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
