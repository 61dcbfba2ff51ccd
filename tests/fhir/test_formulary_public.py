"""The public US Drug Formulary under /fhir/R4: every resource valid and in its profile's
shape, searches answer the real reference data's rows, pages end without duplicates, errors
are OperationOutcomes, and nobody signs in."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from rxportal.audit.models import AuditEvent
from rxportal.fhir import directory, formulary
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
EXAMPLES = settings.RXPORTAL_REFERENCE_DATA_DIR / "fhir_usdf_examples"
# The importer keeps the pharmacy-benefit rows: medical-service items are the medical benefit's.
ITEMS = [
    row
    for row in read_reference_csv("qhp_formulary_items.csv")
    if row["drug_tier"] != "medical-service"
]
FORMULARY = "Formulary-10207VA0380001"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _ok(client: Client, url: str) -> dict[str, Any]:
    response = fhir_get(client, url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return response.json()


def _extension(resource: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e["url"].endswith(suffix)]


def test_a_formulary_reads_without_sign_in_in_the_examples_shape(client: Client) -> None:
    resource = _ok(client, f"{BASE}/InsurancePlan/{FORMULARY}")
    assert_valid_public_resource(resource)
    example = _example("InsurancePlan-FormularyD1002.json")
    assert resource["meta"]["profile"] == example["meta"]["profile"]
    assert resource["type"] == [
        {"coding": [{**example["type"][0]["coding"][0], "display": "drug policy"}]}
    ]
    plan_row = next(
        r for r in read_reference_csv("qhp_formulary_plans.csv") if r["formulary_id"] == FORMULARY
    )
    assert resource["name"] == plan_row["formulary_name"]
    assert set(example) - {"text"} <= set(resource)


def test_a_payer_plan_points_at_its_formulary_and_network(client: Client) -> None:
    resource = _ok(client, f"{BASE}/InsurancePlan/QHP-10207VA0380001")
    assert_valid_public_resource(resource)
    example = _example("InsurancePlan-PayerInsurancePlanA1002.json")
    assert resource["meta"]["profile"] == example["meta"]["profile"]
    reference = resource["coverage"][0]["extension"][0]
    assert reference["url"] == example["coverage"][0]["extension"][0]["url"]
    assert reference["valueReference"] == {"reference": f"InsurancePlan/{FORMULARY}"}
    network = _ok(client, f"{BASE}/{resource['network'][0]['reference']}")
    assert network["type"][0]["coding"][0]["code"] == "ntwk"


def test_every_insurance_plan_pages_to_the_end_once_each(client: Client) -> None:
    entries = follow_pages(client, f"{BASE}/InsurancePlan?_count=7")
    ids = Counter(entry["resource"]["id"] for entry in entries)
    assert max(ids.values()) == 1
    formularies = {row["formulary_id"] for row in read_reference_csv("qhp_formulary_plans.csv")}
    assert formularies <= set(ids)
    assert {"PARTD-STD-2025", "PARTD-STD-2026", "QHP-10207VA0380001"} <= set(ids)
    for entry in entries:
        assert_valid_public_resource(entry["resource"])


@pytest.mark.parametrize(
    ("query", "profile"),
    [
        ("type=DRUGPOL", "usdf-Formulary"),
        ("type=http://terminology.hl7.org/CodeSystem/v3-ActCode|DRUGPOL", "usdf-Formulary"),
        ("type=medid", "usdf-PayerInsurancePlan"),
    ],
)
def test_insurance_plans_by_type(client: Client, query: str, profile: str) -> None:
    entries = follow_pages(client, f"{BASE}/InsurancePlan?{query}")
    assert entries
    assert {e["resource"]["meta"]["profile"][0].rsplit("/", 1)[1] for e in entries} == {profile}


def test_plans_covering_a_formulary_include_it(client: Client) -> None:
    bundle = _ok(
        client,
        f"{BASE}/InsurancePlan?formulary-coverage=InsurancePlan/{FORMULARY}"
        "&_include=InsurancePlan:formulary-coverage",
    )
    assert_valid_bundle(bundle)
    matches = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"}
    included = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    # The marketplace plan and both standard Part D plans use this formulary.
    assert matches == {"QHP-10207VA0380001", "PARTD-STD-2025", "PARTD-STD-2026"}
    assert included == [FORMULARY]


def test_drugs_by_rxnorm_code_and_by_name(client: Client) -> None:
    row = ITEMS[0]
    bundle = _ok(client, f"{BASE}/MedicationKnowledge?code={RXNORM}|{row['rxcui']}")
    assert_valid_bundle(bundle)
    [entry] = bundle["entry"]
    assert entry["resource"]["code"]["coding"][0] == {
        "system": RXNORM,
        "code": row["rxcui"],
        "display": row["rxnorm_name"],
    }
    example = _example("MedicationKnowledge-FormularyDrug-1000091.json")
    assert entry["resource"]["meta"]["profile"] == example["meta"]["profile"]
    assert set(example) - {"text"} <= set(entry["resource"])
    named = follow_pages(client, f"{BASE}/MedicationKnowledge?code:text=oxycodone")
    expected = {r["rxcui"] for r in ITEMS if "oxycodone" in r["rxnorm_name"].lower()}
    assert expected
    assert {e["resource"]["id"] for e in named} == expected
    assert follow_pages(client, f"{BASE}/MedicationKnowledge?drug-name=OxyCodone") == named


def test_an_other_systems_code_finds_nothing(client: Client) -> None:
    bundle = _ok(
        client, f"{BASE}/MedicationKnowledge?code=http://hl7.org/fhir/sid/ndc|{ITEMS[0]['rxcui']}"
    )
    assert bundle["entry"] == []


def test_items_of_a_formulary_by_tier_are_the_files_rows(client: Client) -> None:
    entries = follow_pages(
        client,
        f"{BASE}/Basic?formulary=InsurancePlan/{FORMULARY}&drug-tier=preferred-brand&_count=9",
    )
    expected = {
        f"{FORMULARY}-{r['rxcui']}"
        for r in ITEMS
        if r["formulary_id"] == FORMULARY and r["drug_tier"] == "preferred-brand"
    }
    assert expected
    ids = [e["resource"]["id"] for e in entries]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    for entry in entries:
        assert_valid_public_resource(entry["resource"])
        [tier] = _extension(entry["resource"], "DrugTierID-extension")
        assert tier["valueCodeableConcept"]["coding"][0]["code"] == "preferred-brand"


def test_an_item_says_the_files_coverage_rules_in_the_examples_shape(client: Client) -> None:
    row = next(
        r for r in ITEMS if r["formulary_id"] == FORMULARY and r["prior_authorization"] == "true"
    )
    item = _ok(client, f"{BASE}/Basic/{FORMULARY}-{row['rxcui']}")
    assert_valid_public_resource(item)
    example = _example("Basic-FormularyItem-D1002-1000091.json")
    assert item["meta"]["profile"] == example["meta"]["profile"]
    assert item["code"] == {
        "coding": [example["code"]["coding"][0] | {"display": "Formulary Item"}]
    }
    example_urls = {e["url"] for e in example["extension"]}
    assert {e["url"] for e in item["extension"]} <= example_urls
    flags = {
        name: _extension(item, f"{name}-extension")[0]["valueBoolean"]
        for name in ("PriorAuthorization", "StepTherapyLimit", "QuantityLimit")
    }
    assert flags == {
        "PriorAuthorization": True,
        "StepTherapyLimit": row["step_therapy"] == "true",
        "QuantityLimit": row["quantity_limit"] == "true",
    }
    assert item["subject"] == {"reference": f"MedicationKnowledge/{row['rxcui']}"}


def test_items_include_their_drug_and_formulary(client: Client) -> None:
    rxcui = ITEMS[0]["rxcui"]
    bundle = _ok(
        client,
        f"{BASE}/Basic?subject=MedicationKnowledge/{rxcui}&_include=Basic:subject"
        "&_include=Basic:formulary",
    )
    assert_valid_bundle(bundle)
    matches = [e for e in bundle["entry"] if e["search"]["mode"] == "match"]
    formularies = {r["formulary_id"] for r in ITEMS if r["rxcui"] == rxcui}
    assert {e["resource"]["id"] for e in matches} == {f"{f}-{rxcui}" for f in formularies}
    included = {
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in bundle["entry"]
        if e["search"]["mode"] == "include"
    }
    assert included == {("MedicationKnowledge", rxcui)} | {
        ("InsurancePlan", f) for f in formularies
    }


def test_paging_through_a_formulary_ends_with_every_item_once(client: Client) -> None:
    entries = follow_pages(client, f"{BASE}/Basic?formulary={FORMULARY}&_count=100")
    ids = [e["resource"]["id"] for e in entries]
    expected = {f"{FORMULARY}-{r['rxcui']}" for r in ITEMS if r["formulary_id"] == FORMULARY}
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{BASE}/InsurancePlan/no-such-plan", 404),
        (f"{BASE}/MedicationKnowledge/0", 404),
        (f"{BASE}/Basic/{FORMULARY}-0", 404),
        (f"{BASE}/Basic/not-an-item", 404),
        (f"{BASE}/Basic?unknown=1", 400),
        (f"{BASE}/Basic?_count=0", 400),
        (f"{BASE}/Basic?_count=abc", 400),
        (f"{BASE}/Basic?_cursor=forged", 400),
        (f"{BASE}/Basic?_include=Basic:nothing", 400),
        (f"{BASE}/MedicationKnowledge?_format=xml", 406),
    ],
)
def test_errors_are_operation_outcomes(client: Client, url: str, status: int) -> None:
    response = fhir_get(client, url)
    assert response.status_code == status
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"


def test_a_cursor_from_another_search_is_refused(client: Client) -> None:
    bundle = _ok(client, f"{BASE}/MedicationKnowledge?_count=1")
    next_url = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
    cursor = next_url.split("_cursor=")[1]
    assert fhir_get(client, f"{BASE}/Basic?_cursor={cursor}").status_code == 400


def test_count_is_capped_at_100(client: Client) -> None:
    bundle = _ok(client, f"{BASE}/Basic?_count=500")
    assert len(bundle["entry"]) == 100


def test_xml_only_is_406_but_json_kinds_are_served(client: Client) -> None:
    url = f"{BASE}/MedicationKnowledge?_count=1"
    assert fhir_get(client, url, HTTP_ACCEPT="application/fhir+xml").status_code == 406
    assert fhir_get(client, url, HTTP_ACCEPT="application/fhir+json").status_code == 200
    assert fhir_get(client, url + "&_format=json").status_code == 200


def test_answers_are_public_and_briefly_cacheable_and_writes_are_refused(client: Client) -> None:
    response = fhir_get(client, f"{BASE}/InsurancePlan/{FORMULARY}")
    cache = response["Cache-Control"]
    assert "public" in cache
    assert "max-age=300" in cache
    assert "Set-Cookie" not in response.headers
    refused = client.post(f"{BASE}/InsurancePlan", data="{}", content_type="application/fhir+json")
    assert refused.status_code == 405
    assert refused.json()["resourceType"] == "OperationOutcome"


def test_a_search_is_a_few_queries(client: Client, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(2):
        _ok(client, f"{BASE}/Basic?formulary={FORMULARY}&_count=100&_include=Basic:subject")
    with django_assert_max_num_queries(3):
        _ok(client, f"{BASE}/InsurancePlan?_count=100")


@pytest.mark.parametrize("module", [formulary, directory], ids=["formulary", "directory"])
def test_every_declared_search_parameter_is_accepted(client: Client, module: Any) -> None:
    for capability in module.CAPABILITIES:
        for parameter in capability["searchParam"]:
            value = "41.767|-72.673|1|mi" if parameter["name"] == "near" else "x"
            response = fhir_get(client, f"{BASE}/{capability['type']}?{parameter['name']}={value}")
            assert response.status_code in (200, 400), response.content
            assert "Unsupported" not in response.content.decode(), parameter
        for include in capability.get("searchInclude", []):
            assert (
                fhir_get(client, f"{BASE}/{capability['type']}?_include={include}").status_code
                == 200
            )


def test_an_unknown_parameter_is_ignored_when_the_client_prefers_lenient(client: Client) -> None:
    url = f"{BASE}/MedicationKnowledge?_count=1&_sort=name"
    assert fhir_get(client, url).status_code == 400
    assert fhir_get(client, url, HTTP_PREFER="handling=lenient").status_code == 200


def test_public_reads_write_no_audit_event(client: Client) -> None:
    before = AuditEvent.objects.count()
    _ok(client, f"{BASE}/Basic?formulary={FORMULARY}&_include=Basic:subject")
    _ok(client, f"{BASE}/Location?address-postalcode=06511")
    assert AuditEvent.objects.count() == before
