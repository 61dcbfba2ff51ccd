"""The claims history, the dashboard's recent claims and an app's claims search cost the same
whatever the family's history: the same statements for 50 claims as for thousands, and on
PostgreSQL no scan or sort of every family row (issue 16)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rxportal.claims import domain
from rxportal.claims.domain import ClaimQuery, ClaimSort, SortOrder, compute_plan_year_period
from rxportal.claims.models import Claim
from rxportal.claims.selectors import (
    ClaimScope,
    PatientClaimsQuery,
    get_claim_history_page,
    get_claim_summary,
    get_patient_claims_page,
    list_recent_claims,
)
from rxportal.members.models import Member
from tests.conftest import Family
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

PAGE_ROWS = domain.PAGE_SIZE + 1  # a page and one more, to know there is a next page


def _add_history(member: Member, count: int, *, plan_year: int) -> None:
    """``count`` more claims for ``member``, spread over the plan year (copies of one claim)."""
    template = ClaimFactory(member=member, service_date=dt.date(plan_year, 1, 1))
    fields = {
        field.attname: getattr(template, field.attname)
        for field in Claim._meta.concrete_fields
        if field.attname not in {"id", "public_id", "claim_number", "service_date"}
    }
    Claim.objects.bulk_create(
        [
            Claim(
                **fields,
                public_id=uuid.uuid4(),
                claim_number=f"H{template.pk:08d}{index:08d}",
                service_date=dt.date(plan_year, 1, 1) + dt.timedelta(days=index % 365),
            )
            for index in range(count - 1)
        ],
        batch_size=1000,
    )


def _shape(sql: str) -> str:
    """A statement with its values blanked: what stays is what the database is asked to do."""
    sql = re.sub(r"'[^']*'", "?", sql)
    return re.sub(r"\b\d+\b", "?", sql)


def _statements(read: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        read()
    return [_shape(query["sql"]) for query in queries]


def _reads(family: Family, scope: ClaimScope, plan_year: int) -> dict[str, Callable[[], Any]]:
    year = compute_plan_year_period(plan_year)
    return {
        "history page": lambda: get_claim_history_page(scope=scope, query=ClaimQuery(period=year)),
        "history page by plan paid": lambda: get_claim_history_page(
            scope=scope,
            query=ClaimQuery(period=year, sort=ClaimSort.PLAN_PAID, order=SortOrder.DESCENDING),
        ),
        "recent claims": lambda: list_recent_claims(viewer=family.subscriber.user, limit=5),
        "app's claims search": lambda: get_patient_claims_page(
            patient=family.subscriber, query=PatientClaimsQuery()
        ),
    }


def test_the_history_reads_ask_the_same_statements_for_50_or_5000_claims(
    family: Family, scope: ClaimScope, plan_year: int
) -> None:
    _add_history(family.subscriber, 30, plan_year=plan_year)
    _add_history(family.minor_child, 20, plan_year=plan_year)
    reads = _reads(family, scope, plan_year)
    few = {name: _statements(read) for name, read in reads.items()}

    _add_history(family.subscriber, 3000, plan_year=plan_year)
    _add_history(family.minor_child, 2000, plan_year=plan_year)
    many = {name: _statements(read) for name, read in reads.items()}

    assert many == few


def test_the_next_page_by_cursor_is_still_the_next_rows_of_the_whole_family(
    family: Family, scope: ClaimScope, plan_year: int
) -> None:
    _add_history(family.subscriber, 60, plan_year=plan_year)
    _add_history(family.minor_child, 45, plan_year=plan_year)
    query = ClaimQuery(period=compute_plan_year_period(plan_year))
    expected = list(Claim.objects.filter(member__in=scope.people).order_by("-service_date", "-id"))

    seen: list[Claim] = []
    page = get_claim_history_page(scope=scope, query=query)
    seen += page.claims
    while page.has_next:
        assert page.last is not None
        page = get_claim_history_page(scope=scope, query=query, after=page.last.public_id)
        seen += page.claims
    last_page_starts = len(seen) - len(page.claims)
    back = get_claim_history_page(scope=scope, query=query, before=page.claims[0].public_id)

    ids = [claim.pk for claim in expected]
    assert [claim.pk for claim in seen] == ids
    assert {claim.member_id for claim in seen[: domain.PAGE_SIZE]} == {
        family.subscriber.pk,
        family.minor_child.pk,
    }
    assert [claim.pk for claim in back.claims] == ids[
        last_page_starts - domain.PAGE_SIZE : last_page_starts
    ]


# --- PostgreSQL: what the plan reads ---------------------------------------------------------


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _analyzed_plan(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    found = json.loads(document) if isinstance(document, str) else document
    return found[0]["Plan"]


def _reads_claims(node: dict[str, Any]) -> bool:
    """A scan of claims_claim, or on PostgreSQL of one of its plan-year partitions."""
    name = node.get("Relation Name", "")
    return name == "claims_claim" or name.startswith(("claims_claim_y", "claims_claim_default"))


MEMBER_INDEXES = ("claim_member_recent", "claims_claim_member_id_506dd843")


def _member_indexes() -> set[str]:
    """The member's indexes (member, -service_date, -id) and (member) and, the table being
    partitioned by plan year on PostgreSQL, each partition's copy of them: in a partition that
    holds only the period's rows, either one reads only the period."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits"
            " WHERE inhparent = ANY(%s::regclass[])",
            [list(MEMBER_INDEXES)],
        )
        return set(MEMBER_INDEXES) | {name for (name,) in cursor.fetchall()}


def _indexes_used(scan: dict[str, Any]) -> set[str]:
    """The index a scan reads, or those of the bitmap index scans under a bitmap heap scan."""
    return {node["Index Name"] for node in _plan_nodes(scan) if "Index Name" in node}


def _claims_rows_read(plan: dict[str, Any]) -> int:
    """The most rows of claims_claim any one scan or sort of the plan handled."""
    counts = [
        node["Actual Rows"] * node["Actual Loops"]
        for node in _plan_nodes(plan)
        if _reads_claims(node) or node["Node Type"] == "Sort"
    ]
    return max(counts, default=0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_each_read_takes_only_the_first_rows_of_each_person(
    family: Family, scope: ClaimScope, plan_year: int
) -> None:
    _add_history(family.subscriber, 4000, plan_year=plan_year)
    _add_history(family.minor_child, 3000, plan_year=plan_year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    people = len(scope.people)
    bounds = {
        "history page": people * PAGE_ROWS,
        "recent claims": people * 5,
        "app's claims search": PAGE_ROWS,
    }

    reads = _reads(family, scope, plan_year)
    for name, bound in bounds.items():
        with CaptureQueriesContext(connection) as queries:
            reads[name]()
        (page_query,) = [q["sql"] for q in queries if '"claims_claim"' in q["sql"]]
        plan = _analyzed_plan(page_query)

        assert _claims_rows_read(plan) <= bound, (name, json.dumps(plan, indent=1))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_the_monthly_totals_read_the_period_on_the_member_index(
    family: Family, scope: ClaimScope, plan_year: int, today: dt.date
) -> None:
    _add_history(family.subscriber, 4000, plan_year=plan_year - 1)
    _add_history(family.subscriber, 100, plan_year=plan_year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    query = ClaimQuery(period=compute_plan_year_period(plan_year))

    with CaptureQueriesContext(connection) as queries:
        get_claim_summary(scope=scope, query=query, today=today)
    (summary_query,) = [q["sql"] for q in queries]
    plan = _analyzed_plan(summary_query)

    scans = [n for n in _plan_nodes(plan) if _reads_claims(n)]
    assert scans
    # Each scan goes through a member index, directly or as a bitmap (a partition holding only
    # this year's rows may choose either).
    assert all(_indexes_used(n) and _indexes_used(n) <= _member_indexes() for n in scans), [
        (n.get("Relation Name"), n["Node Type"], _indexes_used(n)) for n in scans
    ]
    assert _claims_rows_read(plan) <= 100 + 10  # this year's rows, not last year's 4,000
