"""From the OAuth/FHIR review: Patient Access serves a large ``_count`` as pages of 100, as the
public searches do, and public Bundle links name the configured site, never the Host header."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from rxportal.fhir import search
from tests.conftest import Family
from tests.factories import ClaimFactory
from tests.fhir import patient_access_support as patient_access
from tests.fhir.public_data import fhir_get, public_data, reference_data

__all__ = ["public_data", "reference_data"]
pytestmark = pytest.mark.django_db

FORGED_HOST = "attacker.example"


@pytest.mark.parametrize("count", ["100", "101", "5000"])
def test_patient_access_serves_a_large_count_as_pages_of_100(
    client: Client, family: Family, monkeypatch: pytest.MonkeyPatch, count: str
) -> None:
    monkeypatch.setattr(search, "MAX_COUNT", 2)  # pages of 2 stand for pages of 100
    for day in range(3):
        ClaimFactory(member=family.subscriber, service_date=dt.date(2025, 5, 1 + day))

    response = patient_access.fhir_get(
        client,
        f"/fhir/R4/ExplanationOfBenefit?_count={count}",
        patient_access.token_for(family.subscriber),
    )

    assert response.status_code == 200, response.content
    bundle = patient_access.body(response)
    assert len(bundle["entry"]) == 2
    assert any(link["relation"] == "next" for link in bundle["link"])


def test_the_capability_statement_says_how_count_is_served(client: Client) -> None:
    metadata = patient_access.body(client.get("/fhir/R4/metadata"))

    documented = [
        param["documentation"]
        for rest in metadata["rest"]
        for resource in rest["resource"]
        for param in resource.get("searchParam", [])
        if param["name"] == "_count"
    ]
    assert documented
    assert all("pages of 100" in text for text in documented), documented


@pytest.mark.usefixtures("public_data")
@pytest.mark.parametrize("path", ["/fhir/R4/InsurancePlan?_count=1", "/fhir/R4/Location?_count=1"])
def test_public_bundle_links_name_the_configured_site_not_the_host_header(
    client: Client, settings, path: str
) -> None:
    settings.ALLOWED_HOSTS = ["*"]

    response = fhir_get(client, path, HTTP_HOST=FORGED_HOST)

    assert response.status_code == 200, response.content
    bundle = response.json()
    urls = [link["url"] for link in bundle["link"]] + [e["fullUrl"] for e in bundle["entry"]]
    assert {link["relation"] for link in bundle["link"]} == {"self", "next"}
    assert all(url.startswith(f"{settings.RXPORTAL_BASE_URL}/fhir/R4/") for url in urls), urls
    assert FORGED_HOST not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/fhir/R4/InsurancePlan", "/fhir/R4/Location"])
def test_a_count_written_in_other_digits_is_a_400_not_a_500(path: str) -> None:
    from django.test import Client

    response = Client().get(path, {"_count": "²"})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
