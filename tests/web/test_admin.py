"""The staff back office: every registered model lists, and claims stay read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.claims.models import Accumulator, Claim
from tests.factories import AccumulatorFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:clients_client_changelist",
    "admin:plans_plan_changelist",
    "admin:members_member_changelist",
    "admin:prescriptions_prescription_changelist",
    "admin:claims_claim_changelist",
    "admin:claims_accumulator_changelist",
    "admin:orders_mailorder_changelist",
]


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_back_office_lists_load(staff_client: Client, url_name: str) -> None:
    ClaimFactory()
    AccumulatorFactory()

    response = staff_client.get(reverse(url_name))

    assert response.status_code == 200


def test_back_office_has_its_own_title(staff_client: Client) -> None:
    assert "rxportal back office" in staff_client.get(reverse("admin:index")).content.decode()


def test_claims_cannot_be_added_changed_or_deleted_in_the_back_office(
    staff_client: Client,
) -> None:
    claim = ClaimFactory()

    assert staff_client.get(reverse("admin:claims_claim_add")).status_code == 403
    assert (
        staff_client.get(reverse("admin:claims_claim_delete", args=[claim.pk])).status_code == 403
    )
    response = staff_client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]), {"status": "rejected"}
    )
    assert response.status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == "paid"


def test_accumulators_are_read_only_in_the_back_office(staff_client: Client) -> None:
    accumulator = AccumulatorFactory()

    response = staff_client.get(reverse("admin:claims_accumulator_change", args=[accumulator.pk]))

    assert response.status_code == 200
    assert 'name="deductible_met"' not in response.content.decode()
    assert staff_client.get(reverse("admin:claims_accumulator_add")).status_code == 403
    assert Accumulator.objects.count() == 1
