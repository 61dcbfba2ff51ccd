"""ExplanationOfBenefit: every claim of the token's patient as a CARIN Blue Button pharmacy EOB
(paid, rejected, reversed said honestly), searches by date, type and _lastUpdated, keyset pages
followed to the end, and one audit event per request."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Claim, ClaimStatus
from tests.conftest import Family
from tests.factories import (
    ClaimFactory,
    DrugFactory,
    MemberFactory,
    PlanFactory,
    PrescriptionFactory,
)
from tests.fhir.patient_access_support import (
    body,
    fhir_get,
    token_for,
)
from tests.fhir.validation import assert_valid, codes_at, missing_from_carin_eob_pharmacy

pytestmark = pytest.mark.django_db
EOB_EXAMPLE = Path(settings.BASE_DIR) / "data/reference/carin_bb_eob_pharmacy_example.json"
SEARCH = "/fhir/R4/ExplanationOfBenefit"


def _amounts(node: dict[str, Any]) -> dict[str, float]:
    return {row["category"]["coding"][0]["code"]: row["amount"]["value"] for row in node}


def _read(client: Client, claim: Claim, token: str) -> dict[str, Any]:
    response = fhir_get(client, f"{SEARCH}/{claim.public_id}", token)
    assert response.status_code == 200, response.content
    eob = body(response)
    assert_valid(eob)
    assert missing_from_carin_eob_pharmacy(eob) == []
    return eob


def test_a_paid_claim_is_a_complete_carin_pharmacy_eob(client: Client, family: Family) -> None:
    member = family.subscriber
    drug = DrugFactory(ndc="00777310502", is_brand=True)
    prescription = PrescriptionFactory(
        member=member,
        drug=drug,
        refills_authorized=3,
        refills_remaining=2,
        prescriber_npi="1234567893",
    )
    claim = ClaimFactory(member=member, drug=drug, prescription=prescription, days_supply=30)
    eob = _read(client, claim, token_for(member))
    assert eob["id"] == str(claim.public_id)
    assert (eob["status"], eob["outcome"], eob["use"]) == ("active", "complete", "claim")
    assert eob["identifier"][0]["value"] == claim.claim_number
    assert eob["patient"]["reference"] == f"Patient/{member.public_id}"
    assert eob["insurance"][0]["coverage"]["reference"] == f"Coverage/{member.public_id}"
    assert eob["billablePeriod"]["start"] == claim.service_date.isoformat()
    product = eob["item"][0]["productOrService"]["coding"][0]
    assert (product["system"], product["code"]) == ("http://hl7.org/fhir/sid/ndc", drug.ndc)
    assert eob["item"][0]["quantity"]["value"] == float(claim.quantity)
    assert _amounts(eob["total"]) == {
        "eligible": 50.0,
        "deductible": 0.0,
        "paidtoprovider": 40.0,
        "paidbypatient": 10.0,
        "memberliability": 10.0,
    }
    assert eob["payment"]["amount"]["value"] == 40.0
    pharmacy = next(c for c in eob["contained"] if c["id"] == "pharmacy")
    assert pharmacy["identifier"][0] == {
        "system": "http://hl7.org/fhir/sid/us-npi",
        "value": claim.pharmacy.npi,
    }
    assert eob["provider"]["reference"] == "#pharmacy"
    prescriber = next(c for c in eob["contained"] if c["id"] == "prescriber")
    assert prescriber["identifier"][0]["value"] == "1234567893"
    assert eob["careTeam"][0]["provider"] == {"reference": "#prescriber"}
    assert eob["careTeam"][0]["role"]["coding"][0]["code"] == "prescribing"
    info = {i["category"]["coding"][0]["code"]: i for i in eob["supportingInfo"]}
    assert info["dayssupply"]["valueQuantity"]["value"] == 30
    assert info["refillsauthorized"]["valueQuantity"]["value"] == 3
    assert info["brandgenericindicator"]["code"]["coding"][0]["code"] == "1"
    # Not recorded by the portal: said absent, never guessed.
    assert info["dawcode"]["code"]["extension"][0]["valueCode"] == "unknown"
    assert info["refillnum"]["valueQuantity"]["extension"][0]["valueCode"] == "unknown"


def test_the_eob_has_the_carin_examples_elements(client: Client, family: Family) -> None:
    prescription = PrescriptionFactory(member=family.subscriber)
    claim = ClaimFactory(
        member=family.subscriber, drug=prescription.drug, prescription=prescription
    )
    eob = _read(client, claim, token_for(family.subscriber))
    example = json.loads(EOB_EXAMPLE.read_text())
    # Header adjudication (network status) is not known to the portal; narrative not served.
    assert set(example) - {"text", "language", "adjudication"} <= set(eob)
    assert codes_at(example, "supportingInfo.category") - {"rxorigincode", "clmrecvddate"} <= (
        codes_at(eob, "supportingInfo.category")
    )
    assert codes_at(example, "total.category") & codes_at(eob, "total.category")


def test_a_claim_without_ndc_or_pharmacy_uses_rxnorm_and_says_the_provider_is_unknown(
    client: Client, family: Family
) -> None:
    drug = DrugFactory(ndc="")
    claim = ClaimFactory(member=family.subscriber, drug=drug, pharmacy=None)
    eob = _read(client, claim, token_for(family.subscriber))
    coding = eob["item"][0]["productOrService"]["coding"][0]
    assert (coding["system"], coding["code"]) == (
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        drug.rxcui,
    )
    assert eob["provider"]["extension"][0]["valueCode"] == "unknown"
    assert [c["id"] for c in eob["contained"]] == ["insurer"]


def test_a_rejected_claim_is_an_error_outcome_with_its_reject_code(
    client: Client, family: Family
) -> None:
    claim = ClaimFactory(member=family.subscriber, rejected=True)
    eob = _read(client, claim, token_for(family.subscriber))
    assert (eob["status"], eob["outcome"]) == ("active", "error")
    assert "payment" not in eob
    denial = [
        a
        for a in eob["item"][0]["adjudication"]
        if a["category"]["coding"][0]["code"] == "denialreason"
    ]
    assert denial[0]["reason"]["coding"][0]["code"] == "75"
    assert _amounts(eob["total"])["paidtoprovider"] == 0.0


def test_a_reversed_claim_and_its_reversal_are_cancelled_and_point_at_each_other(
    client: Client, family: Family
) -> None:
    member = family.subscriber
    original = ClaimFactory(member=member, status=ClaimStatus.REVERSED)
    reversal = ClaimFactory(
        member=member,
        status=ClaimStatus.REVERSED,
        reverses=original,
        drug=original.drug,
        service_date=original.service_date,
    )
    token = token_for(member)
    for claim, relation, other in (
        (original, "replacement", reversal),
        (reversal, "prior", original),
    ):
        eob = _read(client, claim, token)
        assert (eob["status"], eob["outcome"]) == ("cancelled", "complete")
        assert "payment" not in eob
        (related,) = eob["related"]
        assert related["relationship"]["coding"][0]["code"] == relation
        assert related["claim"]["identifier"]["value"] == other.claim_number


def test_another_patients_claim_is_not_found(client: Client, family: Family) -> None:
    token = token_for(family.subscriber)
    for claim in (
        ClaimFactory(member=family.minor_child),  # visible on the web, but not the app's patient
        ClaimFactory(member=family.spouse),
        ClaimFactory(member=MemberFactory()),
    ):
        response = fhir_get(client, f"{SEARCH}/{claim.public_id}", token)
        assert response.status_code == 404
        assert body(response)["resourceType"] == "OperationOutcome"
    assert fhir_get(client, f"{SEARCH}/not-a-uuid", token).status_code == 404
    ids = [e["resource"]["id"] for e in body(fhir_get(client, SEARCH, token)).get("entry", [])]
    assert ids == []


def _claims_on(member: Any, dates: list[dt.date]) -> list[Claim]:
    return [ClaimFactory(member=member, service_date=day) for day in dates]


def _search_ids(client: Client, token: str, query: str) -> list[str]:
    response = fhir_get(client, f"{SEARCH}?{query}", token)
    assert response.status_code == 200, response.content
    bundle = body(response)
    assert_valid(bundle)
    assert "next" not in {link["relation"] for link in bundle["link"]}
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_service_date_prefixes(client: Client, family: Family) -> None:
    member = family.subscriber
    days = [dt.date(2025, 3, d) for d in (1, 10, 20)]
    early, middle, late = (str(c.public_id) for c in _claims_on(member, days))
    token = token_for(member)
    cases = {
        "service-date=2025-03-10": [middle],
        "service-date=eq2025-03-10": [middle],
        "service-date=ge2025-03-10": [late, middle],
        "service-date=gt2025-03-10": [late],
        "service-date=le2025-03-10": [middle, early],
        "service-date=lt2025-03-10": [early],
        "service-date=ge2025-03-02&service-date=lt2025-03-20": [middle],
        "service-date=2025-03": [late, middle, early],
        "service-date=2024": [],
        f"patient=Patient/{member.public_id}&service-date=gt2025-03-01": [late, middle],
    }
    for query, expected in cases.items():
        assert _search_ids(client, token, query) == expected, query


def test_type_and_last_updated(client: Client, family: Family) -> None:
    member = family.subscriber
    old, new = _claims_on(member, [dt.date(2025, 1, 5), dt.date(2025, 1, 6)])
    Claim.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2025, 1, 7, tzinfo=dt.UTC))
    Claim.objects.filter(pk=new.pk).update(updated_at=dt.datetime(2025, 2, 7, tzinfo=dt.UTC))
    token = token_for(member)
    both = [str(new.public_id), str(old.public_id)]
    assert _search_ids(client, token, "type=pharmacy") == both
    claim_type = "http://terminology.hl7.org/CodeSystem/claim-type"
    assert _search_ids(client, token, f"type={claim_type}|pharmacy") == both
    assert _search_ids(client, token, "type=professional") == []
    assert _search_ids(client, token, "_lastUpdated=ge2025-02-01") == [str(new.public_id)]
    assert _search_ids(client, token, "_lastUpdated=lt2025-02-01") == [str(old.public_id)]
    assert _search_ids(client, token, "_lastUpdated=gt2025-01-07T12:00:00Z") == [str(new.public_id)]
    assert _search_ids(client, token, f"_id={old.public_id}") == [str(old.public_id)]
    assert _search_ids(client, token, f"patient={family.spouse.public_id}") == []


@pytest.mark.parametrize(
    "query",
    [
        "service-date=sa2025-01-01",
        "service-date=2025-13-01",
        "_lastUpdated=2025-01-01T10:00:00",
        "_count=0",
        "_count=-1",
        "_cursor=nope",
        "_cursor=6f1c1b0e-2a3b-4c5d-8e9f-0a1b2c3d4e5f",
        "provider=abc",
    ],
)
def test_malformed_searches_are_400_operation_outcomes(
    client: Client, family: Family, query: str
) -> None:
    ClaimFactory(member=family.subscriber)
    response = fhir_get(client, f"{SEARCH}?{query}", token_for(family.subscriber))
    assert response.status_code == 400
    outcome = body(response)
    assert_valid(outcome)
    assert outcome["issue"][0]["code"] == "invalid"


def test_paging_follows_next_to_the_end_without_gaps_or_repeats(
    client: Client, family: Family
) -> None:
    member = family.subscriber
    days = [dt.date(2025, 4, 1) + dt.timedelta(days=n // 2) for n in range(9)]  # pairs share a day
    claims = _claims_on(member, days)
    ClaimFactory(member=family.minor_child, service_date=dt.date(2025, 4, 2))  # not the patient
    expected = [
        str(c.public_id) for c in sorted(claims, key=lambda c: (c.service_date, c.pk), reverse=True)
    ]
    token = token_for(member)
    url: str | None = f"{SEARCH}?_count=2&service-date=ge2025-04-01&service-date=le2025-04-30"
    seen: list[str] = []
    pages = 0
    while url:
        bundle = body(fhir_get(client, url.removeprefix(settings.RXPORTAL_BASE_URL), token))
        assert_valid(bundle)
        pages += 1
        assert len(bundle.get("entry", [])) <= 2
        seen += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        url = links.get("next")
        if url:
            assert url.count("service-date=") == 2 and "_cursor=" in url
    assert seen == expected
    assert pages == 5
    events = AuditEvent.objects.filter(action="phi.fhir.eob.viewed")
    assert events.count() == pages
    assert sorted(e.details["count"] for e in events) == [1, 2, 2, 2, 2]
    assert {e.details["edge"] for e in events} == {"fhir"}


def test_search_costs_a_fixed_number_of_queries(
    client: Client, family: Family, django_assert_max_num_queries: Any
) -> None:
    member = family.subscriber
    drug = DrugFactory()
    for day in range(20):
        ClaimFactory(
            member=member,
            drug=drug,
            prescription=PrescriptionFactory(member=member, drug=drug),
            service_date=dt.date(2025, 5, 1) + dt.timedelta(days=day),
        )
    token = token_for(member)
    with django_assert_max_num_queries(12):
        bundle = body(fhir_get(client, f"{SEARCH}?_count=20", token))
    assert len(bundle["entry"]) == 20


def test_money_is_written_as_json_numbers(client: Client, family: Family) -> None:
    claim = ClaimFactory(
        member=family.subscriber, member_paid=Decimal("12.34"), plan_paid=Decimal("5.67")
    )
    eob = _read(client, claim, token_for(family.subscriber))
    assert _amounts(eob["total"])["eligible"] == 18.01
    assert (
        b'"value":12.34'
        in fhir_get(client, f"{SEARCH}/{claim.public_id}", token_for(family.subscriber)).content
    )


def test_the_insurer_is_the_claims_plan_issuer_else_the_sponsor(
    client: Client, family: Family
) -> None:
    member = family.subscriber
    plain = ClaimFactory(member=member)
    issued = ClaimFactory(member=member, plan=PlanFactory(issuer_name="Example Health Issuer"))
    token = token_for(member)
    assert _read(client, plain, token)["insurer"]["display"] == member.client.name
    eob = _read(client, issued, token)
    assert eob["insurer"] == {"reference": "#insurer", "display": "Example Health Issuer"}
    assert {
        "resourceType": "Organization",
        "id": "insurer",
        "active": True,
        "name": "Example Health Issuer",
    } in eob["contained"]
