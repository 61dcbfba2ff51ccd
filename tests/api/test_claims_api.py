"""GET /api/v1/claims and /claims/{id}: the claims history's filters and keyset pages as cursor
pages, the family rule, the scope and the PHI-read audit."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.records_support import (
    api_reads,
    assert_insufficient_scope,
    assert_problem,
    call,
    token_for,
)
from tests.conftest import Family
from tests.factories import ClaimFactory, DrugFactory, MemberFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db


def plan_year_day(family: Family, day: int) -> dt.date:
    """A day of the family's plan year (claims outside it are not in the default period)."""
    return dt.date(family.subscriber.plan.plan_year, 1, 1) + dt.timedelta(days=day)


def test_pages_of_claims_follow_the_cursor_to_the_end(family: Family) -> None:
    claims = [
        ClaimFactory(member=family.subscriber, service_date=plan_year_day(family, day))
        for day in range(30)
    ]
    token = token_for(family.subscriber.user)

    first = call("GET", "/claims?limit=25", token)

    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 25
    assert page["items"][0]["id"] == str(claims[-1].public_id)  # newest first
    assert page["items"][0]["member_paid"] == "10.00"
    assert page["items"][0]["plan_paid"] == "40.00"
    assert page["items"][0]["status"] == "paid"
    assert page["next_cursor"] == page["items"][-1]["id"]
    second = call("GET", f"/claims?limit=25&cursor={page['next_cursor']}", token).json()
    assert [item["id"] for item in second["items"]] == [
        str(claim.public_id) for claim in reversed(claims[:5])
    ]
    assert second["next_cursor"] is None
    first_read, later_read = api_reads("phi.claims.viewed")
    assert first_read.details["page"] == "first"
    assert first_read.details["count"] == 25
    assert later_read.details["page"] == "later"


def test_filters_by_person_drug_status_and_period(family: Family) -> None:
    drug = DrugFactory(name="Examplezole 20 MG Delayed Release Oral Capsule")
    kept = ClaimFactory(
        member=family.minor_child, drug=drug, service_date=plan_year_day(family, 40)
    )
    ClaimFactory(member=family.minor_child, service_date=plan_year_day(family, 41))
    ClaimFactory(member=family.subscriber, drug=drug, service_date=plan_year_day(family, 42))
    ClaimFactory(
        member=family.minor_child, drug=drug, rejected=True, service_date=plan_year_day(family, 43)
    )
    start, end = plan_year_day(family, 30), plan_year_day(family, 50)
    token = token_for(family.subscriber.user)

    response = call(
        "GET",
        f"/claims?member={family.minor_child.public_id}&drug=examplezole&status=paid"
        f"&date_from={start}&date_to={end}",
        token,
    )

    assert [item["id"] for item in response.json()["items"]] == [str(kept.public_id)]
    [event] = api_reads("phi.claims.viewed")
    assert set(event.details["filters"]) == {"person", "drug", "status", "period"}
    assert event.subject_id == str(family.minor_child.public_id)


def test_a_cursor_from_other_filters_or_unreadable_is_refused(family: Family) -> None:
    mine = ClaimFactory(member=family.subscriber, service_date=plan_year_day(family, 5))
    ClaimFactory(member=family.minor_child, service_date=plan_year_day(family, 6))
    token = token_for(family.subscriber.user)

    wrong_filters = call(
        "GET", f"/claims?member={family.minor_child.public_id}&cursor={mine.public_id}", token
    )
    assert_problem(wrong_filters, 400, "invalid-cursor")
    assert_problem(call("GET", "/claims?cursor=garbage", token), 400, "invalid-cursor")
    assert_problem(call("GET", f"/claims?cursor={uuid.uuid4()}", token), 400, "invalid-cursor")


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "status=lost",
        "sort=colour",
        "date_from=yesterday",
        "drug=a%00b",
        f"pharmacy={'x' * 101}",
    ],
)
def test_bad_parameters_are_422(family: Family, query: str) -> None:
    response = call("GET", f"/claims?{query}", token_for(family.subscriber.user))

    assert response.status_code == 422
    assert api_reads("phi.claims.viewed") == []


def test_a_period_ending_before_it_starts_is_a_problem(family: Family) -> None:
    response = call(
        "GET",
        f"/claims?date_from={plan_year_day(family, 9)}&date_to={plan_year_day(family, 1)}",
        token_for(family.subscriber.user),
    )

    assert_problem(response, 422, "invalid-period")


def test_other_families_and_hidden_adults_are_not_found(family: Family) -> None:
    stranger = MemberFactory(user=UserFactory())
    theirs = ClaimFactory(member=stranger)
    adults = ClaimFactory(member=family.adult_child)
    token = token_for(family.subscriber.user)

    for path in (
        f"/claims?member={stranger.public_id}",
        f"/claims?member={family.adult_child.public_id}",
        f"/claims/{theirs.public_id}",
        f"/claims/{adults.public_id}",
        "/claims/not-a-uuid",
    ):
        assert_problem(call("GET", path, token), 404, "not-found")
    listed = call("GET", "/claims", token).json()["items"]
    assert str(adults.public_id) not in {item["id"] for item in listed}


def test_an_adult_dependents_claims_show_while_consent_lasts(family: Family) -> None:
    adults = ClaimFactory(member=family.adult_child, service_date=plan_year_day(family, 3))
    grant = FamilyAccessGrantFactory(grantor=family.adult_child)
    token = token_for(family.subscriber.user)

    assert call("GET", f"/claims/{adults.public_id}", token).status_code == 200
    grant.revoked_at = timezone.now()
    grant.save()

    assert_problem(call("GET", f"/claims/{adults.public_id}", token), 404)
    assert_problem(call("GET", f"/claims?member={family.adult_child.public_id}", token), 404)


def test_one_claim_has_its_amounts_and_codes_and_is_audited(family: Family) -> None:
    claim = ClaimFactory(
        member=family.subscriber, member_paid=Decimal("12.34"), plan_paid=Decimal("56.78")
    )

    response = call("GET", f"/claims/{claim.public_id}", token_for(family.subscriber.user))

    assert response.status_code == 200
    body = response.json()
    assert body["claim_number"] == claim.claim_number
    assert body["total_cost"] == "69.12"
    assert body["member_paid"] == "12.34"
    assert body["channel"] == "retail_30"
    assert body["tier"] == "generic"
    assert body["drug"]["rxcui"] == claim.drug.rxcui
    assert body["reversed_by"] is None
    [event] = api_reads("phi.claim.viewed")
    assert event.subject_id == str(claim.public_id)


def test_a_rejected_claim_keeps_its_reject_code(family: Family) -> None:
    claim = ClaimFactory(member=family.subscriber, rejected=True)

    body = call("GET", f"/claims/{claim.public_id}", token_for(family.subscriber.user)).json()

    assert body["status"] == "rejected"
    assert body["reject_code"] == "75"


def test_claims_need_the_explanation_of_benefit_scope(family: Family) -> None:
    claim = ClaimFactory(member=family.subscriber)
    token = token_for(family.subscriber.user, "patient/MedicationRequest.read")

    assert_insufficient_scope(call("GET", "/claims", token), "patient/ExplanationOfBenefit.rs")
    assert_insufficient_scope(
        call("GET", f"/claims/{claim.public_id}", token), "patient/ExplanationOfBenefit.rs"
    )
    assert api_reads("phi.claims.viewed") == []
    assert api_reads("phi.claim.viewed") == []


def test_a_page_costs_the_same_queries_for_few_or_many_claims(family: Family) -> None:
    token = token_for(family.subscriber.user)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert call("GET", "/claims", token).status_code == 200
        return len(queries)

    ClaimFactory(member=family.subscriber, service_date=plan_year_day(family, 1))
    few = count_queries()
    for day in range(2, 22):
        ClaimFactory(member=family.minor_child, service_date=plan_year_day(family, day))

    assert count_queries() == few
