"""A NUL character in a FHIR query or id is the client's mistake (400, or 404 for an id), never
a server error: PostgreSQL refuses NUL in a text parameter, so it must not reach a query."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Family
from tests.fhir.patient_access_support import body, fhir_get, token_for

pytestmark = pytest.mark.django_db

PUBLIC_SEARCHES = {
    "InsurancePlan": ["_id", "identifier", "name"],
    "MedicationKnowledge": ["_id", "code", "drug-name"],
    "Basic": ["_id", "code", "drug-name", "drug-tier"],
    "Location": ["_id", "name", "address-postalcode", "network"],
    "HealthcareService": ["_id", "name", "location"],
    "Organization": ["_id", "name", "address-postalcode"],
}


@pytest.mark.parametrize(
    ("resource_type", "name"),
    [(kind, name) for kind, names in PUBLIC_SEARCHES.items() for name in names],
)
def test_a_nul_in_a_public_search_is_a_bad_request(
    client: Client, resource_type: str, name: str
) -> None:
    response = client.get(f"/fhir/R4/{resource_type}", {name: "a\x00b"})
    assert response.status_code == 400
    assert body(response)["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("resource_type", list(PUBLIC_SEARCHES))
def test_a_nul_in_a_public_id_is_not_found(client: Client, resource_type: str) -> None:
    response = client.get(f"/fhir/R4/{resource_type}/a%00b")
    assert response.status_code == 404
    assert body(response)["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/R4/Patient?_id=a%00b",
        "/fhir/R4/Coverage?patient=a%00b",
        "/fhir/R4/ExplanationOfBenefit?_id=a%00b",
        "/fhir/R4/ExplanationOfBenefit?_lastUpdated=ge2025%00",
        "/fhir/R4/ExplanationOfBenefit/a%00b",
        "/fhir/R4/Patient/a%00b",
    ],
)
def test_a_nul_in_a_patient_access_request_is_never_a_server_error(
    client: Client, family: Family, url: str
) -> None:
    response = fhir_get(client, url, token_for(family.subscriber))
    assert response.status_code in (400, 404)
    assert body(response)["resourceType"] == "OperationOutcome"
