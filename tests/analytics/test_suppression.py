"""Suppression across plans: "client minus the shown plans" must never give 1 to 10 members,
for the whole period, a count, a drug row or a month of the chart (hand numbers, no DB)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

from rxportal.analytics.domain import (
    DrugAggregate,
    PeriodKind,
    PeriodTotals,
    compute_period,
    compute_prior_period,
    compute_trend_report,
)
from rxportal.analytics.series import MonthlyCost, MonthTotals, compute_monthly_costs
from rxportal.analytics.suppression import (
    PlanCounts,
    compute_differenced_keys,
    plan_scopes_revealed,
    small_plans_revealed,
)

PERIOD = compute_period(PeriodKind.MONTH, dt.date(2026, 2, 14))
FEB = dt.date(2026, 2, 1)


def cell(plan: str, drug: str, *, users: int, cost: str, most: int | None = None) -> DrugAggregate:
    """A drug's cells in one plan: `most` to `users` distinct utilizers (one month: both)."""
    return DrugAggregate(
        drug_key=drug, drug_class=f"class {drug}", tier="generic", channel="retail_30",
        is_brand=False, claims=users, days_supply=30 * users, total_cost=D(cost),
        plan_paid=D(cost), member_paid=D("0.00"), max_cell_utilizers=users if most is None
        else most, sum_cell_utilizers=users, plan_key=plan,
    )  # fmt: skip


def client_report(plans: tuple[PlanCounts, ...], rows: list[DrugAggregate]):  # type: ignore[no-untyped-def]
    members = sum(p.members for p in plans)
    utilizers = sum(p.utilizers for p in plans)
    totals = PeriodTotals(members, members, utilizers, 0, 0, plans=plans)
    return compute_trend_report(
        period=PERIOD,
        prior_period=compute_prior_period(PERIOD),
        totals=totals,
        prior_totals=totals,
        current=rows,
        prior=rows,
    )


# Plan A: 500 members, 300 utilizers; plan B: 4 members, all utilizers.
PLAN_A, PLAN_B = PlanCounts(500, 300), PlanCounts(4, 4)
ROWS = [
    cell("A", "X", users=12, cost="1200.00"),
    cell("B", "X", users=3, cost="300.00"),
    cell("A", "Y", users=200, cost="4000.00"),
    cell("B", "Y", users=5, cost="50.00"),  # with plan C's 6 below: 11, not recoverable
    cell("C", "Y", users=6, cost="600.00"),
    cell("A", "Z", users=88, cost="900.00"),
]


def test_the_repro_client_view_suppressed_plan_a_view_shown() -> None:
    """Client = A + B with B's 4 members: client minus A would be plan B exactly."""
    assert client_report((PLAN_A, PLAN_B), []).suppressed

    plan_a = PeriodTotals(500, 500, 300, 0, 0)  # a plan's own page: no per-plan split
    shown = compute_trend_report(
        period=PERIOD,
        prior_period=compute_prior_period(PERIOD),
        totals=plan_a,
        prior_totals=plan_a,
        current=[r for r in ROWS if r.plan_key == "A"],
        prior=[r for r in ROWS if r.plan_key == "A"],
    )
    assert not shown.suppressed
    assert shown.pmpm_total.current == D("12.20")  # $6100 / 500 member-months


def test_a_small_prior_period_suppresses_too() -> None:
    now = PeriodTotals(600, 600, 300, 0, 0, plans=(PlanCounts(600, 300),))
    before = PeriodTotals(504, 504, 304, 0, 0, plans=(PLAN_A, PLAN_B))
    result = compute_trend_report(
        period=PERIOD, prior_period=compute_prior_period(PERIOD), totals=now,
        prior_totals=before, current=[], prior=[],
    )  # fmt: skip
    assert result.suppressed


def test_two_small_plans_adding_up_to_11_or_more_leave_the_client_view_shown() -> None:
    """B 4 members + C 7 members = 11: client minus A describes 11 people."""
    result = client_report((PLAN_A, PLAN_B, PlanCounts(7, 7)), [])
    assert not result.suppressed
    assert result.members.current == D("511")


def test_small_utilizers_of_a_large_plan_count_as_well() -> None:
    """Plan B has 40 members but 3 utilizers (its page is suppressed): client utilizers minus
    plan A's would be those 3."""
    assert client_report((PLAN_A, PlanCounts(40, 3)), []).suppressed
    assert not plan_scopes_revealed([PLAN_A, PlanCounts(40, 0)])


def test_deductible_counts_recoverable_by_differencing_are_suppressed() -> None:
    plans = (
        replace(PLAN_A, reached_deductible=3),
        replace(PlanCounts(40, 20), reached_deductible=30),
    )
    result = client_report(plans, [])
    assert not result.suppressed
    assert result.reached_deductible.suppressed  # 33 shown, minus plan B's 30 = 3


def test_a_drug_row_recoverable_by_differencing_is_suppressed_at_client_level() -> None:
    """Drug X: 15 users at client level (A 12 + B 3). Plan A shows X with 12 users; client
    minus A = plan B's 3 users and $300. X is hidden, and with it (complementary suppression)
    the cheapest other drug, Z. Y's small cells (B 5 + C 6 = 11) are safe together."""
    result = client_report((PLAN_A, PlanCounts(40, 20), PlanCounts(40, 20)), ROWS)

    assert not result.suppressed
    assert [row.key for row in result.top_drugs] == ["Y"]
    assert [row.key for row in result.top_classes] == ["class Y"]


def test_uncertain_bounds_suppress() -> None:
    """Over months, plan A's X has 8 to 15 distinct users and plan B's 2: together 10 to 17,
    maybe under 11 -> hidden. With B's lower bound 3: 11 at least -> shown."""
    rows = [cell("A", "X", users=15, most=8, cost="1.00"), cell("B", "X", users=2, cost="1.00")]
    assert compute_differenced_keys(rows, lambda r: r.drug_key) == {"X"}
    rows[1] = cell("B", "X", users=3, cost="1.00")
    assert compute_differenced_keys(rows, lambda r: r.drug_key) == set()


def test_small_plans_revealed_by_hand() -> None:
    assert not small_plans_revealed([500, 0, 0])
    assert small_plans_revealed([500, 4])
    assert small_plans_revealed([500, 6, 4])
    assert not small_plans_revealed([500, 6, 5])


def test_a_month_of_the_chart_follows_the_same_rule() -> None:
    """February at client level: plan B's 4 members are the difference -> hidden; with a
    third small plan of 7 the month is shown."""
    revealing = MonthTotals(FEB, 504, 504, 304, D("504.00"), D("0.00"), plans=(PLAN_A, PLAN_B))
    safe = replace(revealing, plans=(PLAN_A, PLAN_B, PlanCounts(7, 7)))

    assert compute_monthly_costs([FEB], {FEB: revealing}) == [
        MonthlyCost(FEB, None, None, None, suppressed=True)
    ]
    assert compute_monthly_costs([FEB], {FEB: safe})[0].pmpm_plan == D("1.00")
