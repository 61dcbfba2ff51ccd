"""Suppression across plans on the page, the CSV and the PDF (the client's figures minus a shown
plan's must not give a small plan's), and a `day` out of range falling back to today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from rxportal.accounts.models import User
from rxportal.analytics.domain import PeriodKind
from rxportal.analytics.models import DrugMonthRollup, PeriodMemberRollup
from rxportal.analytics.selectors import get_drug_trend
from rxportal.analytics.services import rebuild_claim_rollups
from rxportal.plans.models import Channel, Plan, Tier
from tests.analytics.conftest import ClaimsSet, add_claim
from tests.analytics.test_views import FEBRUARY, SUPPRESSED, csv_rows, figure_rows, pdf_text, url
from tests.clients.conftest import logged_in
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
WHOLE_PERIOD = "This period or the prior one describes fewer than 11 members"


def add_plan_b(
    claims_set: ClaimsSet, *, members: int, utilizers: int, cell_users: int, drug: Any
) -> Plan:
    """After the claims set's rollups (plan A: 12 members in January and February), a second
    plan B of the same client, by hand: `members` members and `utilizers` utilizers each month,
    and in February `cell_users` members filling `drug` for $100.00 each (plan paid). The
    client-level rows are raised to match, as a refresh would write them."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)
    client = claims_set.client
    plan_b = PlanFactory(client=client)
    for month in (JAN, FEB):
        PeriodMemberRollup.objects.create(
            client=client, plan=plan_b, kind=PeriodKind.MONTH.value, start=month,
            member_months=members, members=members, utilizers=utilizers,
            reached_deductible=0, reached_oop_max=0,
        )  # fmt: skip
    DrugMonthRollup.objects.create(
        client=client, plan=plan_b, month=FEB, drug=drug, tier=Tier.PREFERRED_BRAND,
        channel=Channel.RETAIL_30, is_brand=drug.is_brand,
        therapeutic_class=drug.therapeutic_class, claims=cell_users, days_supply=30 * cell_users,
        total_cost=D("100.00") * cell_users, plan_paid=D("100.00") * cell_users,
        member_paid=D("0.00"), utilizers=cell_users,
    )  # fmt: skip
    PeriodMemberRollup.objects.filter(client=client, plan=None, kind="month").update(
        member_months=F("member_months") + members,
        members=F("members") + members,
        utilizers=F("utilizers") + utilizers,
    )
    return plan_b


def test_the_repro_client_level_is_suppressed_and_plan_a_is_shown(
    claims_set: ClaimsSet, owner: User
) -> None:
    """Plan A 12 members, plan B 4. February at client level would be ($1695 + $400) / 16 =
    $130.94, and minus plan A's $141.25 x 12 it gives plan B's $400 exactly: suppressed, on the
    page, in the CSV (figures and the chart's month) and in the PDF. Plan A alone is shown."""
    add_plan_b(claims_set, members=4, utilizers=4, cell_users=4, drug=claims_set.brand)
    http = logged_in(owner)

    with CaptureQueriesContext(connection) as queries:
        html = http.get(url(claims_set, **FEBRUARY)).content.decode()
    assert WHOLE_PERIOD in html
    assert "$130.94" not in html
    assert not any("claims_claim" in q["sql"] for q in queries.captured_queries)

    plan_a = http.get(url(claims_set, plan=str(claims_set.plan.public_id), **FEBRUARY))
    assert WHOLE_PERIOD not in plan_a.content.decode()
    assert "$141.25" in plan_a.content.decode()

    rows = csv_rows(http.get(url(claims_set, "analytics:drug_trend_csv", **FEBRUARY)).content)
    assert figure_rows(rows)["Total cost per member per month"] == ["USD", SUPPRESSED, "", ""]
    assert ["2026-02", SUPPRESSED, "", ""] in rows
    assert not any("130.94" in cell for row in rows for cell in row)

    pdf = pdf_text(http.get(url(claims_set, "analytics:drug_trend_pdf", **FEBRUARY)).content)
    assert SUPPRESSED in pdf and "$130.94" not in pdf


def test_the_selector_reads_the_plans_counts_in_one_query_without_the_claims(
    claims_set: ClaimsSet, owner: User, django_assert_max_num_queries: Any
) -> None:
    add_plan_b(claims_set, members=4, utilizers=4, cell_users=4, drug=claims_set.brand)

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(7):
        result = get_drug_trend(
            viewer=owner, client_id=claims_set.client.pk, plan_id=None,
            period=PeriodKind.MONTH, day=FEB,
            can_view=lambda viewer, client: True,
        )  # fmt: skip

    assert result.report.suppressed
    assert [m.suppressed for m in result.monthly if m.month in (JAN, FEB)] == [True, True]
    assert not any("claims_claim" in q["sql"] for q in queries.captured_queries)


def test_small_plans_adding_up_to_11_leave_the_client_level_shown(
    claims_set: ClaimsSet, owner: User
) -> None:
    """Plan B with 4 members and plan C with 7: client minus plan A is 11 people."""
    add_plan_b(claims_set, members=4, utilizers=4, cell_users=4, drug=claims_set.brand)
    plan_c = PlanFactory(client=claims_set.client)
    for month in (JAN, FEB):
        PeriodMemberRollup.objects.create(
            client=claims_set.client, plan=plan_c, kind="month", start=month, member_months=7,
            members=7, utilizers=7, reached_deductible=0, reached_oop_max=0,
        )  # fmt: skip

    html = logged_in(owner).get(url(claims_set, **FEBRUARY)).content.decode()

    assert WHOLE_PERIOD not in html
    assert "$130.94" in html  # the client rows as written: ($1695 + $400) / 16


def test_a_drug_row_found_by_differencing_is_hidden_at_client_level(
    claims_set: ClaimsSet, owner: User
) -> None:
    """Brand B: 11 members of plan A in February (their claims below), 3 of plan B (40
    members, 20 utilizers: plan B's page is suppressed for the drug only). Client-level B has
    11 to 14 users, but client minus plan A's row is plan B's 3: hidden, and Diabetes too."""
    for member in claims_set.members[:11]:
        add_claim(member, claims_set.brand, dt.date(2026, 2, 12), plan_paid=D("99.00"),
                  member_paid=D("11.00"), tier=Tier.PREFERRED_BRAND)  # fmt: skip
    add_plan_b(claims_set, members=40, utilizers=20, cell_users=3, drug=claims_set.brand)
    http = logged_in(owner)

    plan_a = http.get(url(claims_set, plan=str(claims_set.plan.public_id), **FEBRUARY))
    assert claims_set.brand.name in plan_a.content.decode()  # 11 users in plan A: shown there
    html = http.get(url(claims_set, **FEBRUARY)).content.decode()
    assert WHOLE_PERIOD not in html
    assert claims_set.brand.name not in html and "Diabetes" not in html
    text = http.get(url(claims_set, "analytics:drug_trend_csv", **FEBRUARY)).content.decode()
    assert claims_set.brand.name not in text and "Diabetes" not in text


@pytest.mark.parametrize(
    "name", ["analytics:drug_trend", "analytics:drug_trend_csv", "analytics:drug_trend_pdf"]
)
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1900-12-31"])
def test_a_day_out_of_range_falls_back_to_today(
    claims_set: ClaimsSet, owner: User, name: str, day: str
) -> None:
    response = logged_in(owner).get(url(claims_set, name, period="month", day=day))

    assert response.status_code == 200
