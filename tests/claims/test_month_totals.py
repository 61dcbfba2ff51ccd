"""The per-member monthly totals (``ClaimMonthTotal``) stay equal to a recomputation from the
claims after every kind of write, kept by database triggers; the claims page's totals read
them when no drug, pharmacy or status filter is set, and cost the same for 50 or 5,000 claims
(issue 16)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rxportal.claims import selectors
from rxportal.claims.domain import ClaimQuery, Period, StatusFilter, compute_plan_year_period
from rxportal.claims.models import Claim, ClaimMonthTotal, ClaimStatus
from rxportal.claims.selectors import ClaimScope, get_claim_summary
from tests.claims.conftest import kept_month_totals, make_reversed_pair, recompute_month_totals
from tests.conftest import Family
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

D = Decimal


def test_paid_and_rejected_claims_are_added_to_their_month(family: Family, plan_year: int) -> None:
    ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 3, 4))
    ClaimFactory(
        member=family.subscriber,
        service_date=dt.date(plan_year, 3, 30),
        member_paid=D("5.67"),
        plan_paid=D("6.67"),
    )
    ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 3, 9), rejected=True)
    ClaimFactory(member=family.minor_child, service_date=dt.date(plan_year, 4, 1))

    assert kept_month_totals() == recompute_month_totals()
    assert kept_month_totals()[(family.subscriber.pk, dt.date(plan_year, 3, 1))] == (
        3,
        2,
        D("15.67"),
        D("46.67"),
    )


def test_a_reversal_takes_the_claim_out_of_the_paid_totals(family: Family, plan_year: int) -> None:
    claim = ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 5, 6))
    # As an adjudicator reverses: the original is marked reversed, a reversal row points at it.
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.REVERSED)
    ClaimFactory(
        member=family.subscriber,
        service_date=claim.service_date,
        status=ClaimStatus.REVERSED,
        reverses=claim,
    )
    make_reversed_pair(member=family.minor_child, service_date=dt.date(plan_year, 5, 7))

    assert kept_month_totals() == recompute_month_totals()
    assert kept_month_totals()[(family.subscriber.pk, dt.date(plan_year, 5, 1))] == (
        2,
        0,
        D("0.00"),
        D("0.00"),
    )


def test_a_claim_edited_in_place_moves_between_months_and_people(
    family: Family, plan_year: int
) -> None:
    claim = ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 1, 31))
    ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 2, 2))

    claim.service_date = dt.date(plan_year, 2, 1)
    claim.member_paid, claim.plan_paid = D("12.00"), D("38.00")
    claim.save()  # as the admin saves it
    Claim.objects.filter(service_date=dt.date(plan_year, 2, 2)).update(
        member=family.minor_child, service_date=dt.date(plan_year, 3, 3)
    )

    assert kept_month_totals() == recompute_month_totals()
    assert (family.subscriber.pk, dt.date(plan_year, 1, 1)) not in kept_month_totals()


def test_a_bulk_import_is_added_whole(family: Family, plan_year: int) -> None:
    template = ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year, 1, 1))
    fields = {
        field.attname: getattr(template, field.attname)
        for field in Claim._meta.concrete_fields
        if field.attname
        not in {"id", "public_id", "claim_number", "service_date", "member_id", "status"}
    }
    Claim.objects.bulk_create(
        [
            Claim(
                **fields,
                public_id=uuid.uuid4(),
                claim_number=f"IMPORT{index:06d}",
                member_id=(family.subscriber.pk, family.minor_child.pk)[index % 2],
                service_date=dt.date(plan_year, 1 + index % 12, 1 + index % 28),
                status=ClaimStatus.REJECTED if index % 7 == 0 else ClaimStatus.PAID,
            )
            for index in range(300)
        ],
        batch_size=100,
    )

    assert kept_month_totals() == recompute_month_totals()


# --- The claims page's totals ------------------------------------------------------------------


def _spread(scope: ClaimScope, count: int, *, plan_year: int) -> None:
    for index in range(count):
        ClaimFactory(
            member=scope.people[index % len(scope.people)],
            service_date=dt.date(plan_year, 1 + index % 12, 1 + index % 28),
            rejected=index % 5 == 0,
            member_paid=D("3.33") * (1 + index % 4),
        )


def _grouped_summary(
    scope: ClaimScope, query: ClaimQuery, today: dt.date, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The same summary from the GROUP BY over the claims (as for a filtered view)."""
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "_month_totals_answer", lambda query: False)
        return get_claim_summary(scope=scope, query=query, today=today)


@pytest.mark.parametrize("person", [False, True])
def test_the_default_summary_from_the_month_totals_equals_the_grouped_claims(
    scope: ClaimScope,
    family: Family,
    plan_year: int,
    today: dt.date,
    person: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _spread(scope, 40, plan_year=plan_year)
    make_reversed_pair(member=family.subscriber, service_date=dt.date(plan_year, 2, 2))
    ClaimFactory(member=family.spouse, service_date=dt.date(plan_year, 2, 2))  # not visible
    ClaimFactory(member=family.subscriber, service_date=dt.date(plan_year - 1, 12, 31))
    query = ClaimQuery(
        period=compute_plan_year_period(plan_year),
        person=str(family.minor_child.public_id) if person else "",
    )

    from_totals = get_claim_summary(scope=scope, query=query, today=today)
    grouped = _grouped_summary(scope, query, today, monkeypatch)

    assert from_totals == grouped
    assert from_totals.claim_count > 0


def test_filtered_views_count_the_claims_themselves(
    scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    _spread(scope, 20, plan_year=plan_year)
    ClaimMonthTotal.objects.update(claim_count=999)  # would show if read
    year = compute_plan_year_period(plan_year)
    queries = [
        ClaimQuery(period=year, status=StatusFilter.REJECTED),
        ClaimQuery(period=year, pharmacy="pharmacy"),
        ClaimQuery(period=Period(start=dt.date(plan_year, 1, 15), end=year.end)),
    ]

    counts = [get_claim_summary(scope=scope, query=q, today=today).claim_count for q in queries]

    assert counts[0] == 4
    assert counts[1] == 20
    assert counts[2] == 20 - 2  # the claims of 1 and 13 January are before the 15th


def test_the_summary_asks_the_same_statement_for_50_or_5000_claims(
    scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    query = ClaimQuery(period=compute_plan_year_period(plan_year))
    _spread(scope, 50, plan_year=plan_year)
    with CaptureQueriesContext(connection) as few:
        get_claim_summary(scope=scope, query=query, today=today)
    rows_few = ClaimMonthTotal.objects.count()

    Claim.objects.bulk_create(
        [
            Claim(
                **{
                    f.attname: getattr(claim, f.attname)
                    for f in Claim._meta.concrete_fields
                    if f.attname not in {"id", "public_id", "claim_number"}
                },
                public_id=uuid.uuid4(),
                claim_number=f"MORE{claim.pk:06d}{copy:04d}",
            )
            for claim in Claim.objects.all()
            for copy in range(99)
        ],
        batch_size=1000,
    )
    with CaptureQueriesContext(connection) as many:
        summary = get_claim_summary(scope=scope, query=query, today=today)

    assert summary.claim_count == 5000
    assert [q["sql"] for q in many] == [q["sql"] for q in few]
    assert 'claims_claim"' not in many[0]["sql"]
    assert ClaimMonthTotal.objects.count() == rows_few  # rows per person and month, not claim


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_the_default_summary_reads_people_x_months_rows(
    scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    _spread(scope, 30, plan_year=plan_year)
    _spread(scope, 30, plan_year=plan_year - 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claimmonthtotal")
    query = ClaimQuery(period=compute_plan_year_period(plan_year))

    with CaptureQueriesContext(connection) as queries:
        get_claim_summary(scope=scope, query=query, today=today)
    (sql,) = [q["sql"] for q in queries]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]

    def nodes(node: dict[str, Any]) -> Any:
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    scans = [n for n in nodes(plan) if "Relation Name" in n]
    assert {n["Relation Name"] for n in scans} == {"claims_claimmonthtotal"}
    assert max(n["Actual Rows"] * n["Actual Loops"] for n in scans) <= len(scope.people) * 12
