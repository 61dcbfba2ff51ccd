"""Pure rules of the claims history: periods, the totals rule, chart geometry, CSV cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rxportal.claims.domain import (
    ClaimQuery,
    MonthSpending,
    Period,
    StatusFilter,
    compute_plan_year_period,
    compute_scale_max,
    compute_spending_chart,
    fill_months,
    is_counted_in_totals,
    is_period_too_long,
    list_months,
    make_csv_safe,
)

D = Decimal


def test_plan_year_period_is_the_calendar_year() -> None:
    assert compute_plan_year_period(2026) == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize(
    ("start", "end", "too_long"),
    [
        (dt.date(2016, 1, 1), dt.date(2025, 12, 31), False),
        (dt.date(2016, 1, 1), dt.date(2026, 1, 1), True),
        (dt.date(2016, 2, 29), dt.date(2026, 2, 28), False),
        (dt.date(2016, 2, 29), dt.date(2026, 3, 1), True),
        (dt.date(1, 1, 1), dt.date(9999, 12, 31), True),
        (dt.date(9995, 1, 1), dt.date(9999, 12, 31), False),
    ],
)
def test_periods_longer_than_ten_years_are_too_long(
    start: dt.date, end: dt.date, too_long: bool
) -> None:
    assert is_period_too_long(Period(start, end)) is too_long


@pytest.mark.parametrize(
    ("status", "is_reversal", "counted"),
    [
        ("paid", False, True),
        ("paid", True, False),
        ("reversed", False, False),
        ("reversed", True, False),
        ("rejected", False, False),
    ],
)
def test_only_paid_claims_that_reverse_nothing_count_in_totals(
    status: str, is_reversal: bool, counted: bool
) -> None:
    assert is_counted_in_totals(status=status, is_reversal=is_reversal) is counted


def test_filter_kinds_name_the_filters_in_use_never_their_values() -> None:
    default = compute_plan_year_period(2026)
    query = ClaimQuery(
        period=default, person="some-id", drug="atorvastatin", status=StatusFilter.PAID
    )

    assert query.filter_kinds(default_period=default) == ["person", "drug", "status"]
    other_period = ClaimQuery(period=Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30)))
    assert other_period.filter_kinds(default_period=default) == ["period"]


def test_months_run_across_years_and_gaps_are_zero() -> None:
    found = [MonthSpending(dt.date(2025, 12, 1), D("5.00"), D("1.00"), 1)]

    months = fill_months(found, start=dt.date(2025, 11, 15), end=dt.date(2026, 1, 3))

    assert [m.month for m in months] == list_months(dt.date(2025, 11, 1), dt.date(2026, 1, 31))
    assert [m.you_paid for m in months] == [D("0.00"), D("5.00"), D("0.00")]
    assert list_months(dt.date(2026, 3, 1), dt.date(2026, 2, 1)) == []


@pytest.mark.parametrize(
    ("largest", "scale"),
    [
        (D("0"), D("10")),
        (D("0.37"), D("0.5")),
        (D("7"), D("10")),
        (D("12.50"), D("20")),
        (D("21"), D("25")),
        (D("250"), D("250")),
        (D("1234.56"), D("2000")),
    ],
)
def test_chart_scale_is_a_round_number_at_or_above_the_largest_month(
    largest: Decimal, scale: Decimal
) -> None:
    assert compute_scale_max(largest) == scale


def test_chart_bars_are_proportional_to_what_was_paid() -> None:
    months = [
        MonthSpending(dt.date(2026, 1, 1), D("50.00"), D("0"), 1),
        MonthSpending(dt.date(2026, 2, 1), D("100.00"), D("0"), 2),
        MonthSpending(dt.date(2026, 3, 1), D("0.00"), D("0"), 0),
    ]

    chart = compute_spending_chart(months)

    assert chart.scale_max == D("100")
    heights = [D(bar.height) for bar in chart.bars]
    assert heights[1] == chart.plot_bottom - 12  # the full plot height
    assert heights[0] * 2 == heights[1]
    assert heights[2] == 0
    assert [D(bar.y) + D(bar.height) for bar in chart.bars] == [D(chart.plot_bottom)] * 3
    assert all(D(bar.x) >= chart.plot_left for bar in chart.bars)
    assert D(chart.bars[-1].x) + D(chart.bars[-1].width) <= chart.plot_right
    assert [line.amount for line in chart.gridlines] == [D("0"), D("50.0"), D("100")]
    assert [line.label for line in chart.gridlines] == ["$0", "$50", "$100"]
    assert chart.has_spending


def test_long_charts_label_at_most_twelve_months() -> None:
    months = [
        MonthSpending(month, D("1.00"), D("0"), 1)
        for month in list_months(dt.date(2017, 1, 1), dt.date(2026, 12, 1))
    ]

    chart = compute_spending_chart(months)

    assert len(chart.bars) == 120
    assert sum(bar.show_label for bar in chart.bars) <= 12
    assert chart.bars[0].show_year


def test_a_chart_of_nothing_has_no_spending() -> None:
    chart = compute_spending_chart([MonthSpending(dt.date(2026, 1, 1), D("0"), D("0"), 0)])

    assert not chart.has_spending


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Atorvastatin 20 MG", "Atorvastatin 20 MG"),
        ("10.00", "10.00"),
        ("", ""),
    ],
)
def test_csv_cells_that_look_like_formulas_are_prefixed(cell: str, safe: str) -> None:
    assert make_csv_safe(cell) == safe


def test_small_scales_keep_cents_on_the_axis() -> None:
    chart = compute_spending_chart([MonthSpending(dt.date(2026, 1, 1), D("0.40"), D("0"), 1)])

    assert [line.label for line in chart.gridlines] == ["$0", "$0.25", "$0.50"]
