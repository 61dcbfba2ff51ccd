"""Patient and Coverage behind SMART scopes: only the token's patient, by the family rule on
every request; 401/403/404/406/400 as OperationOutcome; every read audited with edge fhir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from rxportal.audit.models import AuditEvent
from rxportal.members.models import FamilyAccessGrant
from tests.conftest import Family
from tests.factories import MemberFactory, UserFactory
from tests.fhir.patient_access_support import (
    body,
    choose_patient,
    fhir_get,
    token_for,
)
from tests.fhir.validation import (
    CARIN_COVERAGE_REQUIRED,
    CARIN_PATIENT_REQUIRED,
    assert_valid,
    missing_required,
)
from tests.oauth_tokens import bearer, issue_access_token

pytestmark = pytest.mark.django_db
COVERAGE_EXAMPLE = Path(settings.BASE_DIR) / "data/reference/carin_bb_coverage_example.json"


def test_patient_read_is_the_tokens_member_valid_and_carin_complete(
    client: Client, family: Family
) -> None:
    member = family.subscriber
    response = fhir_get(client, f"/fhir/R4/Patient/{member.public_id}", token_for(member))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    patient = body(response)
    assert_valid(patient)
    assert missing_required(patient, CARIN_PATIENT_REQUIRED) == []
    assert patient["id"] == str(member.public_id)
    assert patient["name"] == [{"family": member.last_name, "given": [member.first_name]}]
    assert patient["birthDate"] == member.date_of_birth.isoformat()
    assert patient["identifier"][0]["value"] == f"{member.member_id}-{member.person_code}"


def test_patient_search_by_id_finds_only_the_tokens_patient(client: Client, family: Family) -> None:
    member, token = family.subscriber, token_for(family.subscriber)
    bundle = body(fhir_get(client, f"/fhir/R4/Patient?_id={member.public_id}", token))
    assert_valid(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["id"] == str(member.public_id)
    other = body(fhir_get(client, f"/fhir/R4/Patient?_id={family.spouse.public_id}", token))
    assert other["total"] == 0 and other.get("entry", []) == []
    assert body(fhir_get(client, "/fhir/R4/Patient", token))["total"] == 1


@pytest.mark.parametrize("who", ["spouse", "minor_child", "stranger", "malformed"])
def test_anyone_but_the_tokens_patient_is_not_found(
    client: Client, family: Family, who: str
) -> None:
    ids = {
        "spouse": str(family.spouse.public_id),
        "minor_child": str(family.minor_child.public_id),
        "stranger": str(MemberFactory().public_id),
        "malformed": "1",
    }
    token = token_for(family.subscriber)
    for path in (f"Patient/{ids[who]}", f"Coverage/{ids[who]}"):
        response = fhir_get(client, f"/fhir/R4/{path}", token)
        assert response.status_code == 404
        outcome = body(response)
        assert_valid(outcome)
        assert outcome["issue"][0]["code"] == "not-found"
    assert not AuditEvent.objects.filter(action__startswith="phi.fhir").exists()


def test_a_minor_chosen_at_consent_is_read_through_the_subscribers_token(
    client: Client, family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose_patient(monkeypatch, family.minor_child)
    token = token_for(family.subscriber)
    child = family.minor_child
    assert fhir_get(client, f"/fhir/R4/Patient/{child.public_id}", token).status_code == 200
    own = fhir_get(client, f"/fhir/R4/Patient/{family.subscriber.public_id}", token)
    assert own.status_code == 404  # the app was given the child, not the subscriber


def test_an_adult_dependents_revoked_consent_ends_the_apps_access(
    client: Client, family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    adult = family.adult_child
    grant = FamilyAccessGrant.objects.create(grantor=adult, grantee=family.subscriber)
    choose_patient(monkeypatch, adult)  # picked at consent while the grant was active
    token = token_for(family.subscriber)
    url = f"/fhir/R4/Patient/{adult.public_id}"
    assert fhir_get(client, url, token).status_code == 200
    grant.revoked_at = timezone.now()
    grant.save()
    for path in (url, f"/fhir/R4/Coverage/{adult.public_id}", "/fhir/R4/ExplanationOfBenefit"):
        response = fhir_get(client, path, token)
        assert response.status_code == 404
        assert body(response)["resourceType"] == "OperationOutcome"


def test_an_adult_dependent_never_consented_is_not_found(
    client: Client, family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose_patient(monkeypatch, family.spouse)
    token = token_for(family.subscriber)
    response = fhir_get(client, f"/fhir/R4/Patient/{family.spouse.public_id}", token)
    assert response.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_no_or_invalid_token_is_401_with_www_authenticate(
    client: Client, family: Family, header: str | None
) -> None:
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"/fhir/R4/Patient/{family.subscriber.public_id}", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    invalid = 'error="invalid_token"' in response["WWW-Authenticate"]
    assert invalid == (header == "Bearer not-a-token")
    outcome = body(response)
    assert_valid(outcome)
    assert outcome["issue"][0]["code"] == "login"


def test_an_expired_token_is_401(client: Client, family: Family) -> None:
    import datetime as dt

    token = issue_access_token(family.subscriber.user, expires_in=dt.timedelta(seconds=-1))
    response = client.get(f"/fhir/R4/Patient/{family.subscriber.public_id}", **bearer(token))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("scope", "path", "allowed"),
    [
        ("patient/Coverage.read", "Patient/{id}", False),
        ("patient/Patient.read", "Patient/{id}", True),
        ("patient/Patient.s", "Patient/{id}", False),
        ("patient/Patient.s", "Patient", True),
        ("patient/Patient.r", "Patient", False),
        ("patient/*.rs", "Coverage/{id}", True),
        ("patient/ExplanationOfBenefit.read", "Coverage", False),
        ("user/*.read", "Patient/{id}", False),
    ],
)
def test_a_scope_without_the_type_is_403_insufficient_scope(
    client: Client, family: Family, scope: str, path: str, allowed: bool
) -> None:
    member = family.subscriber
    token = token_for(member, scope=f"openid {scope}")
    response = fhir_get(client, "/fhir/R4/" + path.format(id=member.public_id), token)
    if allowed:
        assert response.status_code == 200
        return
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    outcome = body(response)
    assert_valid(outcome)
    assert outcome["issue"][0]["code"] == "forbidden"


def test_coverage_is_the_id_card_as_c4bb_coverage(client: Client, family: Family) -> None:
    member, token = family.subscriber, token_for(family.subscriber)
    coverage = body(fhir_get(client, f"/fhir/R4/Coverage/{member.public_id}", token))
    assert_valid(coverage)
    assert missing_required(coverage, CARIN_COVERAGE_REQUIRED) == []
    plan = member.plan
    classes = {c["type"]["coding"][0]["code"]: c["value"] for c in coverage["class"]}
    assert classes == {
        "group": plan.rx_group,
        "plan": plan.code,
        "rxbin": plan.rx_bin,
        "rxpcn": plan.rx_pcn,
        "rxgroup": plan.rx_group,
    }
    assert coverage["status"] == "active"
    assert coverage["subscriberId"] == member.member_id
    assert coverage["beneficiary"]["reference"] == f"Patient/{member.public_id}"
    assert coverage["relationship"]["coding"][0]["code"] == "self"
    assert coverage["payor"][0]["display"] == member.client.name
    # The same elements as the CARIN example (its narrative and network aside).
    example = json.loads(COVERAGE_EXAMPLE.read_text())
    expected = set(example) - {"text", "language", "network", "policyHolder"}
    assert expected <= set(coverage)


def test_a_dependents_coverage_names_the_subscriber(
    client: Client, family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose_patient(monkeypatch, family.minor_child)
    child = family.minor_child
    coverage = body(
        fhir_get(
            client,
            f"/fhir/R4/Coverage?patient=Patient/{child.public_id}",
            token_for(family.subscriber),
        )
    )["entry"][0]["resource"]
    assert coverage["subscriber"]["reference"] == f"Patient/{family.subscriber.public_id}"
    assert coverage["relationship"]["coding"][0]["code"] == "child"
    assert coverage["dependent"] == child.person_code


def test_coverage_search_by_patient(client: Client, family: Family) -> None:
    member, token = family.subscriber, token_for(family.subscriber)
    for query in (f"patient={member.public_id}", f"patient=Patient/{member.public_id}", ""):
        bundle = body(fhir_get(client, f"/fhir/R4/Coverage?{query}", token))
        assert_valid(bundle)
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(member.public_id)]
    other = body(fhir_get(client, f"/fhir/R4/Coverage?patient={family.spouse.public_id}", token))
    assert other["total"] == 0


def test_every_read_is_audited_once_with_edge_fhir_and_the_app(
    client: Client, family: Family
) -> None:
    member, token = family.subscriber, token_for(family.subscriber)
    fhir_get(client, f"/fhir/R4/Patient/{member.public_id}", token)
    fhir_get(client, f"/fhir/R4/Coverage?patient={member.public_id}", token)
    events = list(AuditEvent.objects.filter(action__startswith="phi.fhir").order_by("sequence"))
    assert [e.action for e in events] == ["phi.fhir.patient.viewed", "phi.fhir.coverage.viewed"]
    for event in events:
        assert event.actor_id == member.user_id
        assert event.subject_id == str(member.public_id)
        assert event.details["edge"] == "fhir"
        assert event.details["app"]
        assert event.details["count"] == 1


def test_unknown_search_params_are_400_unless_lenient(client: Client, family: Family) -> None:
    token = token_for(family.subscriber)
    response = fhir_get(client, "/fhir/R4/Patient?name=Dana", token)
    assert response.status_code == 400
    outcome = body(response)
    assert_valid(outcome)
    assert "name" in outcome["issue"][0]["diagnostics"]
    lenient = fhir_get(client, "/fhir/R4/Patient?name=Dana", token, HTTP_PREFER="handling=lenient")
    assert lenient.status_code == 200


@pytest.mark.parametrize(
    ("query", "accept", "status"),
    [
        ("?_format=json", "", 200),
        ("?_format=application/fhir%2Bjson", "", 200),
        ("", "application/fhir+json", 200),
        ("", "*/*", 200),
        ("?_format=xml", "", 406),
        ("", "application/fhir+xml", 406),
    ],
)
def test_content_negotiation(
    client: Client, family: Family, query: str, accept: str, status: int
) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    member = family.subscriber
    response = fhir_get(
        client, f"/fhir/R4/Patient/{member.public_id}{query}", token_for(member), **headers
    )
    assert response.status_code == status
    assert body(response)["resourceType"] == ("Patient" if status == 200 else "OperationOutcome")


def test_writes_are_refused_as_operation_outcome_without_csrf(
    client: Client, family: Family
) -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    member = family.subscriber
    response = csrf_client.post(
        f"/fhir/R4/Patient/{member.public_id}",
        data="{}",
        content_type="application/fhir+json",
        **bearer(token_for(member)),
    )
    assert response.status_code == 405
    assert body(response)["resourceType"] == "OperationOutcome"


def test_a_user_who_is_not_a_member_finds_nothing(client: Client, db: None) -> None:
    # Only plan members reach the consent screen, so a token of anyone else stands on no
    # consent: connected_apps.bearer refuses it like a disconnected app's.
    staff = UserFactory()
    token = issue_access_token(staff)
    response = client.get("/fhir/R4/Patient", **bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert body(response)["resourceType"] == "OperationOutcome"
