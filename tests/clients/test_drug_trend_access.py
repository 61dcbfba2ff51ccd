"""`can_view_drug_trend`: PBM staff (account-team support) or a live drug-trend grant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rxportal.accounts.models import User
from rxportal.analytics.selectors import can_view_drug_trend
from rxportal.clients.models import Client
from rxportal.core import clock
from tests.clients.conftest import approve, submit

pytestmark = pytest.mark.django_db


def test_a_live_drug_trend_grant_opens_the_client_and_only_that_client(
    linked_client_user: User, acme: Client, globex: Client, agent: User
) -> None:
    assert not can_view_drug_trend(linked_client_user, acme)
    approve(submit(linked_client_user, acme, tool="drug-trend"), agent)

    assert can_view_drug_trend(linked_client_user, acme)
    assert not can_view_drug_trend(linked_client_user, globex)


def test_another_tools_grant_does_not_open_the_drug_trend(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    approve(submit(linked_client_user, acme, tool="eligibility"), agent)

    assert not can_view_drug_trend(linked_client_user, acme)


def test_an_expired_or_revoked_grant_closes_it(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    grant = approve(submit(linked_client_user, acme, tool="drug-trend"), agent)
    grant.expires_at = clock.now() - dt.timedelta(seconds=1)
    grant.save(update_fields=["expires_at"])
    assert not can_view_drug_trend(linked_client_user, acme)

    grant.expires_at = clock.now() + dt.timedelta(days=30)
    grant.revoked_at = clock.now()
    grant.save(update_fields=["expires_at", "revoked_at"])
    assert not can_view_drug_trend(linked_client_user, acme)


def test_staff_keep_access_for_support_and_anonymous_has_none(agent: User, acme: Client) -> None:
    from django.contrib.auth.models import AnonymousUser

    anonymous: Any = AnonymousUser()
    assert can_view_drug_trend(agent, acme)
    assert not can_view_drug_trend(anonymous, acme)
