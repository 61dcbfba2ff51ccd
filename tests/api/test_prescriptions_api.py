"""GET /api/v1/prescriptions and /prescriptions/{id}: the family's prescriptions with refill
status codes, as the page computes them; the family rule, scopes and the PHI-read audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.records_support import (  # setting_fixture: the setting fixture
    api_reads,
    assert_insufficient_scope,
    assert_problem,
    call,
    setting_fixture,  # noqa: F401
    token_for,
)
from tests.factories import DrugFactory, MemberFactory, PrescriptionFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db


def test_lists_the_family_prescriptions_with_refill_codes_and_audits_the_read(
    setting: Setting, today: dt.date
) -> None:
    family = setting.family
    due = make_rx(setting, today=today)
    too_soon = make_rx(setting, member=family.minor_child, today=today, last_filled_days_ago=2)
    make_rx(setting, member=family.adult_child, today=today)  # no consent: not listed
    token = token_for(family.subscriber.user)

    response = call("GET", "/prescriptions", token)

    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["items"]}
    assert set(items) == {str(due.public_id), str(too_soon.public_id)}
    mine = items[str(due.public_id)]
    assert mine["member"] == str(family.subscriber.public_id)
    assert mine["refill_status"] == "refill_now"
    assert mine["can_refill"] is True
    assert mine["refills_remaining"] == 3
    assert mine["quantity"] == "30.000"
    assert mine["next_refill_date"] == (today - dt.timedelta(days=7)).isoformat()
    assert mine["auto_refill"] is False
    assert mine["drug"]["name"] == "Examplestatin 10 MG Oral Tablet"
    child = items[str(too_soon.public_id)]
    assert child["refill_status"] == "too_soon"
    assert child["member"] == str(family.minor_child.public_id)
    [event] = api_reads("phi.prescriptions.viewed")
    assert event.details["prescriptions"] == 2
    assert event.details["people"] == 2
    assert event.details["app"]


def test_the_member_filter_lists_one_visible_person(setting: Setting, today: dt.date) -> None:
    family = setting.family
    make_rx(setting, today=today)
    child_rx = make_rx(setting, member=family.minor_child, today=today)

    response = call(
        "GET",
        f"/prescriptions?member={family.minor_child.public_id}",
        token_for(family.subscriber.user),
    )

    assert [item["id"] for item in response.json()["items"]] == [str(child_rx.public_id)]
    [event] = api_reads("phi.prescriptions.viewed")
    assert event.subject_id == str(family.minor_child.public_id)


def test_another_family_and_an_adult_dependent_without_consent_are_not_found(
    setting: Setting, today: dt.date
) -> None:
    family = setting.family
    stranger = MemberFactory(user=UserFactory())
    theirs = PrescriptionFactory(member=stranger)
    adults = make_rx(setting, member=family.adult_child, today=today)
    token = token_for(family.subscriber.user)

    for path in (
        f"/prescriptions?member={stranger.public_id}",
        f"/prescriptions?member={family.adult_child.public_id}",
        "/prescriptions?member=not-a-uuid",
        f"/prescriptions/{theirs.public_id}",
        f"/prescriptions/{adults.public_id}",
        "/prescriptions/not-a-uuid",
    ):
        assert_problem(call("GET", path, token), 404, "not-found")
    assert api_reads("phi.prescriptions.viewed") == []
    assert api_reads("phi.prescription.viewed") == []


def test_an_adult_dependent_is_seen_only_while_consent_lasts(
    setting: Setting, today: dt.date
) -> None:
    family = setting.family
    adults = make_rx(setting, member=family.adult_child, today=today)
    grant = FamilyAccessGrantFactory(grantor=family.adult_child)
    token = token_for(family.subscriber.user)

    assert call("GET", f"/prescriptions/{adults.public_id}", token).status_code == 200
    listed = call("GET", f"/prescriptions?member={family.adult_child.public_id}", token)
    assert [item["id"] for item in listed.json()["items"]] == [str(adults.public_id)]

    grant.revoked_at = timezone.now()
    grant.save()

    assert_problem(call("GET", f"/prescriptions/{adults.public_id}", token), 404)
    assert_problem(call("GET", f"/prescriptions?member={family.adult_child.public_id}", token), 404)


def test_one_prescription_is_audited_with_its_refill_status(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, last_filled_days_ago=1)

    response = call(
        "GET", f"/prescriptions/{rx.public_id}", token_for(setting.family.subscriber.user)
    )

    assert response.status_code == 200
    assert response.json()["refill_status"] == "too_soon"
    [event] = api_reads("phi.prescription.viewed")
    assert event.subject_id == str(rx.public_id)
    assert event.details["refill_status"] == "too_soon"


@pytest.mark.parametrize(
    "scope",
    ["openid patient/Coverage.read", "patient/MedicationRequest.r"],
    ids=["other-type", "read-without-search"],
)
def test_listing_needs_the_medication_request_search_scope(
    setting: Setting, today: dt.date, scope: str
) -> None:
    make_rx(setting, today=today)

    response = call("GET", "/prescriptions", token_for(setting.family.subscriber.user, scope))

    assert_insufficient_scope(response, "patient/MedicationRequest.rs")
    assert api_reads("phi.prescriptions.viewed") == []


def test_a_v2_read_scope_reads_one_prescription(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    token = token_for(setting.family.subscriber.user, "patient/MedicationRequest.r")

    assert call("GET", f"/prescriptions/{rx.public_id}", token).status_code == 200


def test_without_a_token_the_answer_is_401(setting: Setting) -> None:
    assert Client().get("/api/v1/prescriptions").status_code == 401


def test_the_list_costs_the_same_queries_for_few_or_many_prescriptions(
    setting: Setting, today: dt.date
) -> None:
    token = token_for(setting.family.subscriber.user)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert call("GET", "/prescriptions", token).status_code == 200
        return len(queries)

    make_rx(setting, today=today)
    few = count_queries()
    for _ in range(5):
        make_rx(setting, member=setting.family.minor_child, today=today, drug=DrugFactory())

    assert count_queries() == few
