"""Helpers of the member-record API tests (prescriptions, refills, orders, claims,
notifications): tokens, calls, and the audit events of a PHI read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client

from rxportal.audit.models import AuditEvent
from rxportal.formulary.models import FormularyEntry
from rxportal.pharmacies.models import NetworkPharmacy, ZipCentroid
from rxportal.plans.models import Tier
from tests.conftest import Family
from tests.factories import DrugFactory, PharmacyFactory
from tests.oauth_tokens import bearer, issue_access_token
from tests.prescriptions.conftest import HARTFORD, Setting

API = "/api/v1"
EVERYTHING = "openid patient/*.read refills.write notifications.write"


def token_for(user: AbstractBaseUser, scope: str = EVERYTHING) -> str:
    return issue_access_token(user, scope=scope)


def call(
    method: str,
    path: str,
    token: str,
    body: Any = None,
    *,
    client: Client | None = None,
    **headers: str,
) -> Any:
    """``method`` on /api/v1``path`` with the bearer token (and a JSON body, if any)."""
    client = client or Client()
    extra = {**bearer(token), **headers}
    sender = getattr(client, method.lower())
    if body is None:
        return sender(f"{API}{path}", **extra)
    return sender(f"{API}{path}", data=json.dumps(body), content_type="application/json", **extra)


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert document["status"] == status
    if slug is not None:
        assert document["type"].endswith(f"/{slug}"), document
    return document


def assert_insufficient_scope(response: Any, scope: str) -> None:
    assert_problem(response, 403, "insufficient-scope")
    assert response["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{scope}"'


def api_reads(action: str) -> list[AuditEvent]:
    """The audit events of ``action`` written through the API edge."""
    return [
        event
        for event in AuditEvent.objects.filter(action=action).order_by("pk")
        if event.details.get("edge") == "api"
    ]


@pytest.fixture(name="setting")
def setting_fixture(family: Family) -> Setting:
    """The prescriptions tests' setting (a covered drug, a network pharmacy near the family):
    import ``setting_fixture`` into a test module to use ``setting``."""
    plan = family.subscriber.plan
    drug = DrugFactory(name="Examplestatin 10 MG Oral Tablet")
    FormularyEntry.objects.create(
        formulary=plan.formulary, drug=drug, tier=Tier.GENERIC, mail_eligible=True
    )
    ZipCentroid.objects.create(
        zip_code="06103", latitude=HARTFORD[0], longitude=HARTFORD[1], state="CT"
    )
    pharmacy = PharmacyFactory(latitude=HARTFORD[0] + 0.01, longitude=HARTFORD[1])
    NetworkPharmacy.objects.create(network=plan.network, pharmacy=pharmacy)
    outside = PharmacyFactory(latitude=HARTFORD[0] - 0.01, longitude=HARTFORD[1])
    return Setting(family=family, drug=drug, pharmacy=pharmacy, outside_pharmacy=outside)
