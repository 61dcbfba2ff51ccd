"""Geometry of the portal's monthly bar charts, drawn as server-rendered SVG (no JavaScript).

One place for the arithmetic behind every monthly chart: the member's spending on the claims
page (one series) and the client's cost per member per month on the drug-trend dashboard (two
stacked series: plan paid and member paid). Pure: amounts in, SVG user units (strings) out; the
edges draw the elements (`web/templatetags/charts.py`) and put the same numbers in a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

CHART_WIDTH = 480  # SVG units; the chart scales to its box (text stays legible on a phone)
CHART_HEIGHT = 220
_PLOT_LEFT = 72  # room for the amounts on the axis
_PLOT_RIGHT_MARGIN = 8
_PLOT_TOP = 12
_PLOT_BOTTOM_MARGIN = 40  # room for month and year labels
_MAX_LABELS = 12
_TENTH = Decimal("0.1")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class BarSegment:
    """One series' part of a stacked bar (`series` indexes the series given)."""

    series: int
    amount: Decimal
    y: str
    height: str


@dataclass(frozen=True)
class ChartBar:
    """A month's bar: the whole stack (`amount` is the sum of its segments)."""

    month: dt.date
    amount: Decimal
    x: str
    y: str
    width: str
    height: str
    label_x: str
    show_label: bool  # month names of long periods are thinned out to stay legible
    show_year: bool
    segments: tuple[BarSegment, ...] = ()
    missing: bool = False  # no figure for this month (for example a suppressed small cell)


@dataclass(frozen=True)
class ChartGridline:
    amount: Decimal
    y: str

    @property
    def label(self) -> str:
        """Short axis text: whole dollars ($2,500) unless the scale is under $10 ($2.50)."""
        if self.amount == self.amount.to_integral_value() or self.amount >= 10:
            return f"${self.amount:,.0f}"
        return f"${self.amount:,.2f}"


@dataclass(frozen=True)
class BarChart:
    """Geometry of a monthly bar chart of amounts of money, in SVG user units."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    label_y: str
    year_y: str
    bars: list[ChartBar]
    gridlines: list[ChartGridline]
    scale_max: Decimal

    @property
    def has_spending(self) -> bool:
        return any(bar.amount > 0 for bar in self.bars)


def _units(value: Decimal) -> str:
    return str(value.quantize(_TENTH))


def compute_scale_max(largest: Decimal) -> Decimal:
    """A round axis maximum at or above ``largest``: 1, 2, 2.5 or 5 times a power of ten."""
    if largest <= 0:
        return Decimal(10)
    power = Decimal(10) ** largest.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if largest <= step * power:
            return step * power
    return Decimal(10) * power  # pragma: no cover (10 × power always fits)


def compute_monthly_bar_chart(
    months: Sequence[dt.date], series: Sequence[Sequence[Decimal | None]]
) -> BarChart:
    """Stacked bars, one per month, of the series' amounts (series[i][m] is series i's amount
    in months[m], None when there is no figure), scaled to a round maximum with three
    gridlines. A month whose amounts are all None is a missing bar (height 0)."""
    plot_right = CHART_WIDTH - _PLOT_RIGHT_MARGIN
    plot_bottom = CHART_HEIGHT - _PLOT_BOTTOM_MARGIN
    plot_height = Decimal(plot_bottom - _PLOT_TOP)
    totals = [sum((s[index] or _ZERO for s in series), _ZERO) for index in range(len(months))]
    scale_max = compute_scale_max(max(totals, default=_ZERO))
    count = max(len(months), 1)
    slot = Decimal(plot_right - _PLOT_LEFT) / count
    bar_width = slot * Decimal("0.7")
    label_every = -(-count // _MAX_LABELS)  # ceiling division
    bars = []
    for index, month in enumerate(months):
        left = _PLOT_LEFT + slot * index + (slot - bar_width) / 2
        segments, base = [], Decimal(plot_bottom)
        for number, amounts in enumerate(series):
            amount = amounts[index]
            if amount is None:
                continue
            height = plot_height * amount / scale_max
            base -= height
            segments.append(BarSegment(number, amount, _units(base), _units(height)))
        total_height = plot_height * totals[index] / scale_max
        bars.append(
            ChartBar(
                month=month,
                amount=totals[index],
                x=_units(left),
                y=_units(plot_bottom - total_height),
                width=_units(bar_width),
                height=_units(total_height),
                label_x=_units(left + bar_width / 2),
                show_label=index % label_every == 0,
                show_year=index == 0 or (month.month == 1 and index % label_every == 0),
                segments=tuple(segments),
                missing=all(amounts[index] is None for amounts in series),
            )
        )
    gridlines = [
        ChartGridline(amount=scale_max * share, y=_units(plot_bottom - plot_height * share))
        for share in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]
    return BarChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        plot_left=_PLOT_LEFT,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        label_y=str(plot_bottom + 17),
        year_y=str(plot_bottom + 34),
        bars=bars,
        gridlines=gridlines,
        scale_max=scale_max,
    )
