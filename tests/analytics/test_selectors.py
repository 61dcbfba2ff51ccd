"""get_drug_trend: reads only the rollups, checks who asks, returns the hand figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rxportal.accounts.models import Role
from rxportal.analytics.domain import Figure, PeriodKind
from rxportal.analytics.errors import DrugTrendNotFound
from rxportal.analytics.selectors import can_view_drug_trend, get_drug_trend
from rxportal.analytics.services import rebuild_claim_rollups
from rxportal.claims.models import Claim
from tests.analytics.conftest import ClaimsSet, add_claim
from tests.factories import MemberFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Any:
    return UserFactory(role=Role.ACCOUNT_TEAM)


def trend(claims_set: ClaimsSet, viewer: Any, **kwargs: Any) -> Any:
    arguments: dict[str, Any] = {
        "viewer": viewer,
        "client_id": claims_set.client.pk,
        "plan_id": claims_set.plan.pk,
        "period": PeriodKind.MONTH,
        "day": dt.date(2026, 2, 1),
    }
    arguments.update(kwargs)
    return get_drug_trend(**arguments)


def test_february_against_january_from_the_rollups(claims_set: ClaimsSet, staff: Any) -> None:
    """12 member-months each month. PMPM total 1420/12 = 118.33 -> 1695/12 = 141.25; plan
    332/12 = 27.67 -> 1530/12 = 127.50; member 1088/12 = 90.67 -> 165/12 = 13.75. Scripts
    12 -> 34: 12000.0 -> 34000.0 per 1,000 a year. Cost share 1088/1420 = 0.7662 ->
    165/1695 = 0.0973. Member 12 alone reached the deductible: a cell of 1, suppressed."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    result = trend(claims_set, staff)
    report = result.report

    assert result.client_public_id == str(claims_set.client.public_id)
    assert not report.suppressed
    assert report.member_months == Figure(D("12"), D("12"), D("0"))
    assert report.pmpm_total == Figure(D("141.25"), D("118.33"), D("22.92"))
    assert report.pmpm_plan == Figure(D("127.50"), D("27.67"), D("99.83"))
    assert report.pmpm_member == Figure(D("13.75"), D("90.67"), D("-76.92"))
    assert report.scripts_30_per_1000 == Figure(D("34000.0"), D("12000.0"), D("22000.0"))
    assert report.member_cost_share == Figure(D("0.0973"), D("0.7662"), D("-0.6689"))
    assert report.reached_deductible.suppressed
    assert report.decomposition.total == D("22.92")
    # One specialty member: the specialty drug, its complement and the brand share are hidden.
    assert report.top_drugs == []
    assert report.generic_dispensing_rate.suppressed


def test_no_query_touches_the_claims_table(
    claims_set: ClaimsSet, staff: Any, django_assert_max_num_queries: Any
) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(7):
        trend(claims_set, staff, period=PeriodKind.PLAN_YEAR)

    assert queries.captured_queries
    assert not [q for q in queries.captured_queries if Claim._meta.db_table in q["sql"]]


def test_the_monthly_series_reads_the_rollups_month_by_month(
    claims_set: ClaimsSet, staff: Any
) -> None:
    """January: plan 332/12 = 27.67, members 1088/12 = 90.67, total 118.33; February: plan
    1530/12 = 127.50, members 165/12 = 13.75, total 141.25. The 22 months before January 2026
    have no rollups (eligibility is counted from the first month of service): no figures."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    monthly = trend(claims_set, staff).monthly

    assert len(monthly) == 24
    assert [(m.month, m.pmpm_plan, m.pmpm_member, m.pmpm_total) for m in monthly[-2:]] == [
        (dt.date(2026, 1, 1), D("27.67"), D("90.67"), D("118.33")),
        (dt.date(2026, 2, 1), D("127.50"), D("13.75"), D("141.25")),
    ]
    assert all(m.pmpm_total is None and not m.suppressed for m in monthly[:-2])


def test_client_level_trend_covers_every_plan(claims_set: ClaimsSet, staff: Any) -> None:
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    report = trend(claims_set, staff, plan_id=None).report

    assert report.pmpm_total.current == D("141.25")


@pytest.mark.parametrize("role", [Role.MEMBER, Role.CLIENT, Role.ADVISOR])
def test_roles_without_the_hook_see_not_found(claims_set: ClaimsSet, role: str) -> None:
    with pytest.raises(DrugTrendNotFound) as error:
        trend(claims_set, UserFactory(role=role))

    assert error.value.code == "analytics.drug_trend_not_found"


def test_another_clients_plan_and_unknown_client_are_not_found(
    claims_set: ClaimsSet, staff: Any
) -> None:
    with pytest.raises(DrugTrendNotFound):
        trend(claims_set, staff, plan_id=PlanFactory().pk)
    with pytest.raises(DrugTrendNotFound):
        trend(claims_set, staff, client_id=claims_set.client.pk + 10_000)


def test_the_access_check_can_be_replaced_by_the_grant_check(claims_set: ClaimsSet) -> None:
    client_user = UserFactory(role=Role.CLIENT)
    asked: list[tuple[Any, int]] = []

    def granted(viewer: Any, client: Any) -> bool:
        asked.append((viewer, client.pk))
        return True

    trend(claims_set, client_user, can_view=granted)

    assert asked == [(client_user, claims_set.client.pk)]
    assert not can_view_drug_trend(client_user, claims_set.client)


def test_a_prior_period_without_rollups_has_no_figures(claims_set: ClaimsSet, staff: Any) -> None:
    """January-March 2026 against October-December 2025, before the first claim: no
    member-months there, so no PMPM (not a PMPM of zero). The quarter so far: ($1420 + $1695)
    / 24 member-months (March has no claims yet, so no rollup) = 129.79."""
    rebuild_claim_rollups(client_id=claims_set.client.pk)

    report = trend(claims_set, staff, period=PeriodKind.QUARTER).report

    assert not report.suppressed
    assert report.utilizers == Figure(D("12"), D("0"), D("12"))
    assert report.pmpm_total == Figure(D("129.79"), None, None)  # 3115 / 24


def test_a_client_with_fewer_than_11_members_shows_only_the_suppression(
    claims_set: ClaimsSet, staff: Any
) -> None:
    small_plan = PlanFactory()
    for _ in range(5):
        member = MemberFactory(
            client=small_plan.client, plan=small_plan, coverage_start=dt.date(2025, 1, 1)
        )
        add_claim(member, claims_set.generic, dt.date(2026, 1, 10))
        add_claim(member, claims_set.generic, dt.date(2026, 2, 10))
    rebuild_claim_rollups(client_id=small_plan.client.pk)

    report = get_drug_trend(
        viewer=staff, client_id=small_plan.client.pk, plan_id=None, period=PeriodKind.MONTH,
        day=dt.date(2026, 2, 1),
    ).report  # fmt: skip

    assert report.suppressed
    assert report.pmpm_total == Figure(None, None, None, suppressed=True)
    assert report.members.current is None
