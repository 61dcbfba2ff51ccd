"""The shared monthly bar-chart geometry: stacked series, missing months (no DB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from rxportal.core.charts import BarSegment, compute_monthly_bar_chart

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def test_stacked_bars_put_each_series_on_the_one_below() -> None:
    """Totals $40 -> a $50 scale; the plot is 168 units high with its bottom at 180: $10 is
    33.6 units (y 146.4), $30 on top of it 100.8 (y 45.6). February has no figures."""
    chart = compute_monthly_bar_chart([JAN, FEB], [[D("10"), None], [D("30"), None]])

    first, second = chart.bars
    assert chart.scale_max == D("50")
    assert first.segments == (
        BarSegment(0, D("10"), "146.4", "33.6"),
        BarSegment(1, D("30"), "45.6", "100.8"),
    )
    assert (first.amount, first.y, first.height, first.missing) == (
        D("40"), "45.6", "134.4", False,
    )  # fmt: skip
    assert (second.segments, second.height, second.missing) == ((), "0.0", True)
    assert chart.has_spending
