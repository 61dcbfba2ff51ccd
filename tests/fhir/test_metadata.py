"""/fhir/R4/metadata: the CapabilityStatement, public, built from each module's CAPABILITIES."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.fhir import capability, formulary
from tests.fhir.validation import assert_valid

METADATA = "/fhir/R4/metadata"


def _statement(client: Client, **headers: str) -> dict:
    response = client.get(METADATA, **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


@pytest.mark.django_db
def test_the_statement_is_public_valid_and_says_smart_on_fhir(client: Client) -> None:
    statement = _statement(client)
    assert_valid(statement)
    assert statement["kind"] == "instance"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json"]
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    (oauth,) = [e for e in security["extension"] if e["url"] == capability.SMART_OAUTH_URIS]
    uris = {e["url"]: e["valueUri"] for e in oauth["extension"]}
    assert uris["authorize"].endswith(reverse("oauth2_provider:authorize"))
    assert uris["token"].endswith(reverse("oauth2_provider:token"))
    assert uris["revoke"].endswith(reverse("oauth2_provider:revoke-token"))


@pytest.mark.django_db
def test_patient_access_resources_have_profiles_interactions_and_search_params(
    client: Client,
) -> None:
    resources = {r["type"]: r for r in _statement(client)["rest"][0]["resource"]}
    eob = resources["ExplanationOfBenefit"]
    assert eob["supportedProfile"] == [
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/"
        "C4BB-ExplanationOfBenefit-Pharmacy|2.0.0"
    ]
    assert {i["code"] for i in eob["interaction"]} == {"read", "search-type"}
    assert {"patient", "_lastUpdated", "type", "service-date"} <= {
        p["name"] for p in eob["searchParam"]
    }
    assert resources["Patient"]["supportedProfile"][0].endswith("C4BB-Patient|2.0.0")
    assert resources["Coverage"]["supportedProfile"][0].endswith("C4BB-Coverage|2.0.0")


@pytest.mark.django_db
def test_the_statement_lists_what_every_module_registers(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = {
        "type": "InsurancePlan",
        "supportedProfile": ["http://example.org/StructureDefinition/test-plan"],
        "interaction": [{"code": "read"}],
        "searchParam": [{"name": "name", "type": "string", "documentation": "Plan name."}],
    }
    monkeypatch.setattr(formulary, "CAPABILITIES", [entry])
    statement = _statement(client)
    assert_valid(statement)
    (plan,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "InsurancePlan"]
    assert plan["supportedProfile"] == entry["supportedProfile"]
    assert plan["searchParam"] == entry["searchParam"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "accept", "status"),
    [
        ("", "application/fhir+json", 200),
        ("?_format=json", "", 200),
        ("?_format=application/fhir%2Bjson", "application/xml", 200),
        ("", "application/fhir+xml", 406),
        ("?_format=xml", "", 406),
        ("", "text/html,application/xhtml+xml", 406),
    ],
)
def test_format_negotiation(client: Client, query: str, accept: str, status: int) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(METADATA + query, **headers)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/fhir+json")
    document = json.loads(response.content)
    assert_valid(document)
    if status == 406:
        assert document["resourceType"] == "OperationOutcome"
        assert document["issue"][0]["code"] == "not-supported"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["Observation", "Observation/123", "", "patient/abc"])
def test_an_unknown_resource_type_is_a_fhir_404(client: Client, path: str) -> None:
    response = client.get(f"/fhir/R4/{path}")
    assert response.status_code == 404
    outcome = json.loads(response.content)
    assert_valid(outcome)
    assert outcome["resourceType"] == "OperationOutcome"
    assert b"<html" not in response.content.lower()
