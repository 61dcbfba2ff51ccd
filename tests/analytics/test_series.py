"""The dashboard's monthly series: PMPM per month by hand, small months suppressed (no DB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from rxportal.analytics.domain import PeriodKind, compute_period
from rxportal.analytics.series import (
    MonthlyCost,
    MonthTotals,
    compute_chart_months,
    compute_monthly_costs,
)

JAN, FEB, MAR, APR = (dt.date(2026, month, 1) for month in (1, 2, 3, 4))


def test_monthly_pmpm_by_hand_and_small_or_empty_months() -> None:
    """January: 12 member-months, plan $332.00 / 12 = 27.67, members $1088.00 / 12 = 90.67,
    total $1420.00 / 12 = 118.33 (from the exact sum). February: 5 members, a small cell.
    March: no rollup at all. April: claims after coverage ended, no member-months."""
    totals = {
        JAN: MonthTotals(JAN, 12, 12, 12, D("332.00"), D("1088.00")),
        FEB: MonthTotals(FEB, 5, 5, 5, D("100.00"), D("10.00")),
        APR: MonthTotals(APR, 0, 0, 0, D("50.00"), D("5.00")),
    }

    result = compute_monthly_costs([JAN, FEB, MAR, APR], totals)

    assert result == [
        MonthlyCost(JAN, D("27.67"), D("90.67"), D("118.33")),
        MonthlyCost(FEB, None, None, None, suppressed=True),
        MonthlyCost(MAR, None, None, None),
        MonthlyCost(APR, None, None, None),
    ]


def test_a_month_with_11_members_but_10_utilizers_is_suppressed() -> None:
    totals = {JAN: MonthTotals(JAN, 11, 11, 10, D("10.00"), D("1.00"))}

    assert compute_monthly_costs([JAN], totals) == [MonthlyCost(JAN, None, None, None, True)]


def test_the_chart_covers_24_months_ending_with_the_period() -> None:
    quarter = compute_period(PeriodKind.QUARTER, dt.date(2026, 2, 14))

    months = compute_chart_months(quarter)

    assert (len(months), months[0], months[-1]) == (24, dt.date(2024, 4, 1), MAR)
    assert compute_chart_months(compute_period(PeriodKind.MONTH, FEB), 3) == [
        dt.date(2025, 12, 1),
        JAN,
        FEB,
    ]
