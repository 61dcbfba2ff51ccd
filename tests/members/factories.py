"""Factories for the members app's own tables (shared ones are in tests/factories.py)."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from rxportal.members.models import FamilyAccessGrant
from tests.factories import DependentFactory


class FamilyAccessGrantFactory(DjangoModelFactory):
    """An active grant from an adult dependent to their subscriber."""

    class Meta:
        model = FamilyAccessGrant

    grantor = factory.SubFactory(DependentFactory, spouse=True)
    grantee = factory.SelfAttribute("grantor.subscriber")
    revoked_at = None
