"""Fixtures of the JSON API tests: a signed-in subscriber's token and a client that sends it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import AccumulatorScope
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.formulary.services import rebuild_drug_search_index
from rxportal.pharmacies.models import NetworkPharmacy, Pharmacy, ZipCentroid
from rxportal.plans.models import Tier
from tests.conftest import Family
from tests.factories import AccumulatorFactory, PharmacyFactory
from tests.formulary.conftest import REAL_DRUGS, make_drug
from tests.oauth_tokens import bearer, issue_access_token
from tests.pharmacies.support import TEST_ZIPS, real_centroids, real_point

# Without ``launch/patient``: the app sees everyone the family rule shows the member (a token
# bound to one patient is tested in test_patient_binding.py).
ALL_SCOPES = "openid fhirUser patient/*.read refills.write notifications.write quotes.write"


class ApiClient:
    """Django's test client with a bearer token on every call."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()

    def get(self, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.get(path, data or {}, **bearer(self.token), **extra)

    def post(self, path: str, body: dict[str, Any], **extra: Any) -> Any:
        return self.client.post(
            path, body, content_type="application/json", **bearer(self.token), **extra
        )


@pytest.fixture(autouse=True)
def fresh_rate_windows() -> Iterator[None]:
    cache.clear()
    yield


@pytest.fixture
def api(family: Family) -> ApiClient:
    """The subscriber with every read scope."""
    assert family.subscriber.user is not None
    return ApiClient(issue_access_token(family.subscriber.user, scope=ALL_SCOPES))


def api_with_scope(family: Family, scope: str) -> ApiClient:
    assert family.subscriber.user is not None
    return ApiClient(issue_access_token(family.subscriber.user, scope=scope))


@dataclass(frozen=True)
class World:
    """The family with real drugs on its formulary, accumulators, and pharmacies near home."""

    family: Family
    atorvastatin: Drug  # generic, covered on the generic tier
    lipitor: Drug  # brand: preferred brand, prior authorization, a quantity limit
    amoxicillin: Drug  # not on the formulary
    pharmacy: Pharmacy  # in network, preferred, near the family's ZIP
    outside_pharmacy: Pharmacy  # out of network, nearby too


@pytest.fixture
def world(family: Family) -> World:
    plan = family.subscriber.plan
    made = {rxcui: make_drug(rxcui, name) for rxcui, name in REAL_DRUGS}
    rebuild_drug_search_index()
    atorvastatin, lipitor = made["617311"], made["617320"]
    FormularyEntry.objects.create(formulary=plan.formulary, drug=atorvastatin, tier=Tier.GENERIC)
    brand = FormularyEntry.objects.create(
        formulary=plan.formulary,
        drug=lipitor,
        tier=Tier.PREFERRED_BRAND,
        prior_authorization=True,
        quantity_limit=True,
        quantity_limit_amount=30,
        quantity_limit_days=30,
    )
    brand.alternatives.add(atorvastatin)
    AccumulatorFactory(member=family.subscriber, deductible_met=D("100.00"), oop_met=D("150.00"))
    AccumulatorFactory(
        member=family.subscriber,
        scope=AccumulatorScope.FAMILY,
        deductible_met=D("120.00"),
        oop_met=D("200.00"),
    )
    rows = real_centroids()
    ZipCentroid.objects.bulk_create(
        ZipCentroid(
            zip_code=zip_code,
            latitude=float(rows[zip_code]["latitude"]),
            longitude=float(rows[zip_code]["longitude"]),
            state=rows[zip_code]["state"],
            place_names=rows[zip_code]["place_names"],
        )
        for zip_code in TEST_ZIPS
    )
    latitude, longitude = real_point("06103")
    pharmacy = PharmacyFactory(latitude=latitude + 0.01, longitude=longitude)
    NetworkPharmacy.objects.create(network=plan.network, pharmacy=pharmacy, is_preferred=True)
    outside = PharmacyFactory(latitude=latitude - 0.02, longitude=longitude)
    return World(
        family=family,
        atorvastatin=atorvastatin,
        lipitor=lipitor,
        amoxicillin=made["308182"],
        pharmacy=pharmacy,
        outside_pharmacy=outside,
    )


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    """The response's problem document, checked for its status, type and media type."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/api/v1/problems/{slug}"
    assert body["status"] == status
    return body


def api_events(action: str) -> list[AuditEvent]:
    return [
        event
        for event in AuditEvent.objects.filter(action=action).order_by("sequence")
        if event.details.get("edge") == "api"
    ]
