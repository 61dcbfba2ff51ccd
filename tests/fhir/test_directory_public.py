"""The public Plan-Net pharmacy directory under /fhir/R4: every resource valid and in its
profile's shape, searches by place, ZIP code, name and network answer the real Connecticut
pharmacies, pages end without duplicates, errors are OperationOutcomes, nobody signs in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from rxportal.pharmacies.domain import compute_distance_miles, is_within_radius
from rxportal.pharmacies.models import Pharmacy
from tests.fhir.directory_validation import assert_valid_bundle, assert_valid_public_resource
from tests.fhir.public_data import (
    fhir_get,
    follow_pages,
    public_data,
    read_reference_csv,
    reference_data,
)

__all__ = ["public_data", "reference_data"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_data")]

BASE = "/fhir/R4"
EXAMPLES = settings.RXPORTAL_REFERENCE_DATA_DIR / "fhir_plan_net_examples"
PHARMACIES = read_reference_csv("ct_licensed_pharmacies.csv")
# Downtown Hartford (the 06103 ZCTA centroid's neighbourhood).
HARTFORD = (41.7670, -72.6730)


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _ok(client: Client, url: str) -> dict[str, Any]:
    response = fhir_get(client, url)
    assert response.status_code == 200, response.content
    return response.json()


def _network_id(client: Client) -> str:
    [entry] = _ok(client, f"{BASE}/Organization?type=ntwk")["entry"]
    return entry["resource"]["id"]


def test_networks_are_plan_net_networks_of_the_payer(client: Client) -> None:
    bundle = _ok(client, f"{BASE}/Organization?type=ntwk")
    assert_valid_bundle(bundle)
    [entry] = bundle["entry"]
    network = entry["resource"]
    example = _example("Organization-AcmeofCTStdNet.json")
    assert network["meta"]["profile"] == example["meta"]["profile"]
    assert network["type"][0]["coding"][0]["system"] == example["type"][0]["coding"][0]["system"]
    assert network["identifier"] == [{"value": "RXP-NATIONAL"}]
    payer = _ok(client, f"{BASE}/{network['partOf']['reference']}")
    assert_valid_public_resource(payer)
    assert payer["type"][0]["coding"][0]["code"] == "payer"


def test_a_networks_services_page_through_every_ct_pharmacy_once(client: Client) -> None:
    network = _network_id(client)
    entries = follow_pages(
        client, f"{BASE}/HealthcareService?network=Organization/{network}&_count=100"
    )
    ids = [entry["resource"]["id"] for entry in entries]
    assert len(ids) == len(set(ids)) == len(PHARMACIES)
    names = sorted(entry["resource"]["name"] for entry in entries)
    assert names == sorted(row["pharmacy_name"] for row in PHARMACIES)
    for entry in entries[:150]:
        assert_valid_public_resource(entry["resource"])
    service = entries[0]["resource"]
    from_network = [
        part["valueReference"]["reference"]
        for extension in service["extension"]
        for part in extension["extension"]
        if part["url"] == "fromNetwork"
    ]
    assert from_network == [f"Organization/{network}"]


def test_a_service_in_the_examples_shape_points_at_its_location_and_organization(
    client: Client,
) -> None:
    service = _ok(client, f"{BASE}/HealthcareService?_count=1")["entry"][0]["resource"]
    example = _example("HealthcareService-PharmChainRetailService.json")
    assert service["meta"]["profile"] == example["meta"]["profile"]
    assert service["category"] == example["category"]
    assert service["specialty"] == example["specialty"]  # every CT pharmacy is a retail one
    location = _ok(client, f"{BASE}/{service['location'][0]['reference']}")
    organization = _ok(client, f"{BASE}/{service['providedBy']['reference']}")
    assert_valid_public_resource(location)
    assert_valid_public_resource(organization)
    assert location["name"] == organization["name"] == service["name"]
    assert location["type"] == [
        {"coding": [{**_example("Location-PharmLoc1.json")["type"][0]["coding"][0]}]}
    ]
    assert organization["meta"] == {
        "profile": _example("Organization-PharmChain.json")["meta"]["profile"]
    }


def test_locations_near_a_point_are_the_ones_within_the_radius_nearest_first(
    client: Client,
) -> None:
    latitude, longitude = HARTFORD
    entries = follow_pages(client, f"{BASE}/Location?near={latitude}|{longitude}|3|mi&_count=10")
    expected = {
        (row["pharmacy_name"], row["zip5"])
        for row in PHARMACIES
        if row["latitude"]
        and is_within_radius(
            compute_distance_miles(
                latitude, longitude, float(row["latitude"]), float(row["longitude"])
            ),
            3,
        )
    }
    assert len(expected) > 10
    found = [(e["resource"]["name"], e["resource"]["address"]["postalCode"]) for e in entries]
    assert len({e["resource"]["id"] for e in entries}) == len(entries)
    assert sorted(found) == sorted(expected)
    distances = [
        compute_distance_miles(
            latitude,
            longitude,
            e["resource"]["position"]["latitude"],
            e["resource"]["position"]["longitude"],
        )
        for e in entries
    ]
    assert distances == sorted(distances)
    for entry in entries:
        assert_valid_public_resource(entry["resource"])


def test_near_in_kilometres_and_the_default_distance(client: Client) -> None:
    latitude, longitude = HARTFORD
    in_km = follow_pages(
        client, f"{BASE}/Location?near={latitude}|{longitude}|8.04672|km&_count=100"
    )
    in_miles = follow_pages(client, f"{BASE}/Location?near={latitude}|{longitude}|5|mi&_count=100")
    default = follow_pages(client, f"{BASE}/Location?near={latitude}|{longitude}&_count=100")
    assert in_km == in_miles == default
    assert in_miles


def test_locations_by_zip_code_are_the_files_rows(client: Client) -> None:
    entries = follow_pages(client, f"{BASE}/Location?address-postalcode=06511")
    expected = sorted(row["pharmacy_name"] for row in PHARMACIES if row["zip5"] == "06511")
    assert expected
    assert sorted(e["resource"]["name"] for e in entries) == expected
    assert follow_pages(client, f"{BASE}/Location?address-postalcode=06511-3008") == entries


def test_organizations_by_name_prefix_any_case(client: Client) -> None:
    prefix = "walgreen"
    entries = follow_pages(client, f"{BASE}/Organization?name={prefix}&_count=5")
    expected = sorted(
        row["pharmacy_name"]
        for row in PHARMACIES
        if row["pharmacy_name"].lower().startswith(prefix)
    )
    assert len(expected) > 5
    assert sorted(e["resource"]["name"] for e in entries) == expected
    for entry in entries:
        assert_valid_public_resource(entry["resource"])


def test_a_name_and_a_zip_together_narrow_both(client: Client) -> None:
    row = next(r for r in PHARMACIES if r["zip5"] == "06511")
    entries = follow_pages(
        client,
        f"{BASE}/HealthcareService?name={row['pharmacy_name'][:6]}&address-postalcode=06511",
    )
    expected = [
        r
        for r in PHARMACIES
        if r["zip5"] == "06511" and r["pharmacy_name"].startswith(row["pharmacy_name"][:6])
    ]
    assert len(entries) == len(expected) >= 1


def test_every_organization_pages_once_payer_and_network_first(client: Client) -> None:
    entries = follow_pages(client, f"{BASE}/Organization?_count=100")
    ids = [e["resource"]["id"] for e in entries]
    assert len(ids) == len(set(ids)) == len(PHARMACIES) + 2
    assert [e["resource"]["type"][0]["coding"][0]["code"] for e in entries[:2]] == ["payer", "ntwk"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{BASE}/Location/00000000-0000-0000-0000-000000000000", 404),
        (f"{BASE}/Location/not-a-uuid", 404),
        (f"{BASE}/Organization/00000000-0000-0000-0000-000000000000", 404),
        (f"{BASE}/HealthcareService/123", 404),
        (f"{BASE}/Location?near=41.7|-72.6|500|mi", 400),
        (f"{BASE}/Location?near=41.7|-72.6|5|furlong", 400),
        (f"{BASE}/Location?near=north", 400),
        (f"{BASE}/Location?near=41.7|-72.6|5|mi&name=CVS", 400),
        (f"{BASE}/Location?address-postalcode=hartford", 400),
        (f"{BASE}/Location?specialty=x", 400),
        (f"{BASE}/HealthcareService?network=Location/1", 400),
        (f"{BASE}/Organization?_format=application/fhir+xml", 406),
    ],
)
def test_errors_are_operation_outcomes(client: Client, url: str, status: int) -> None:
    response = fhir_get(client, url)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


def test_an_unknown_network_or_category_finds_nothing(client: Client) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert _ok(client, f"{BASE}/HealthcareService?network=Organization/{unknown}")["entry"] == []
    assert _ok(client, f"{BASE}/HealthcareService?category=prov")["entry"] == []


def test_directory_answers_are_public_and_briefly_cacheable(client: Client) -> None:
    response = fhir_get(client, f"{BASE}/Location?address-postalcode=06511")
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


def test_a_nearby_page_is_a_few_queries(client: Client, django_assert_max_num_queries: Any) -> None:
    latitude, longitude = HARTFORD
    with django_assert_max_num_queries(3):
        _ok(client, f"{BASE}/Location?near={latitude}|{longitude}|10|mi&_count=100")
    with django_assert_max_num_queries(2):
        _ok(client, f"{BASE}/HealthcareService?_count=100")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_name_search_can_use_the_prefix_index() -> None:
    # With 609 rows the planner may rightly prefer a scan; forbidding scans shows the index
    # serves the directory's case-blind prefix (with 70,000 rows it is chosen by itself).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Pharmacy.objects.filter(name__istartswith="WAL").explain()
    assert "pharmacy_name_prefix" in plan


def test_a_signed_in_member_gets_the_same_public_answer(client: Client, family: Any) -> None:
    """Nothing member-specific: a member's session changes no byte of the answer (no network
    status, no plan of theirs). (The session middleware still adds ``Vary: Cookie`` when a
    session is read: shared caches then keep a signed-in member's copy apart, which is safe.)"""
    urls = [
        f"{BASE}/Location?near={HARTFORD[0]}|{HARTFORD[1]}|2|mi",
        f"{BASE}/HealthcareService?address-postalcode=06511",
        f"{BASE}/Basic?drug-tier=specialty&_include=Basic:subject",
        f"{BASE}/InsurancePlan?type=medid",
    ]
    anonymous = [fhir_get(client, url) for url in urls]
    client.force_login(family.subscriber.user)
    signed_in = [fhir_get(client, url) for url in urls]
    for before, after in zip(anonymous, signed_in, strict=True):
        assert before.status_code == after.status_code == 200
        assert before.content == after.content
        assert "public" in after["Cache-Control"]
