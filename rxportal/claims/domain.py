"""Pure rules of the claims history: filters and sorting, what the totals count, the monthly
spending chart's geometry, and spreadsheet-safe CSV cells. No ORM, request or clock here.

What the totals count (the one rule, also applied in SQL by ``selectors.COUNTED_IN_TOTALS``):
only **paid** claims. A reversed claim is marked ``reversed`` and its reversal row (pointing at
it through ``reverses``, same figures) is ``reversed`` too, so the pair cancels out and neither
is counted; a rejected claim paid nothing. A row that reverses another is never counted, whatever
its status, so a reversal can never add to what a member paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

PAGE_SIZE = 25
# A longer period is refused: the chart stays readable (at most 120 monthly bars) and a
# statement or export stays a reasonable size.
MAX_PERIOD_YEARS = 10
FILTER_TEXT_MAX_LENGTH = 100
# Cells a spreadsheet would read as a formula (OWASP "CSV injection"), tab and CR included.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class ClaimSort(StrEnum):
    DATE = "date"
    DRUG = "drug"
    YOU_PAID = "you_paid"
    PLAN_PAID = "plan_paid"


class SortOrder(StrEnum):
    ASCENDING = "asc"
    DESCENDING = "desc"


class StatusFilter(StrEnum):
    """Same values as ``models.ClaimStatus``."""

    PAID = "paid"
    REVERSED = "reversed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class ClaimQuery:
    """One claims-history search, already validated by the form. ``person`` is a public id."""

    period: Period
    person: str = ""
    drug: str = ""
    pharmacy: str = ""
    status: StatusFilter | None = None
    sort: ClaimSort = ClaimSort.DATE
    order: SortOrder = SortOrder.DESCENDING

    @property
    def descending(self) -> bool:
        return self.order == SortOrder.DESCENDING

    def filter_kinds(self, *, default_period: Period) -> list[str]:
        """Which filters are in use, for the audit trail: kinds only, never the values."""
        kinds = []
        if self.person:
            kinds.append("person")
        if self.period != default_period:
            kinds.append("period")
        if self.drug:
            kinds.append("drug")
        if self.pharmacy:
            kinds.append("pharmacy")
        if self.status is not None:
            kinds.append("status")
        return kinds


def compute_plan_year_period(plan_year: int) -> Period:
    """Plan years are calendar years (accumulators reset on 1 January)."""
    return Period(start=dt.date(plan_year, 1, 1), end=dt.date(plan_year, 12, 31))


def is_period_too_long(period: Period) -> bool:
    """True when the period reaches the start date's anniversary MAX_PERIOD_YEARS later."""
    year = period.start.year + MAX_PERIOD_YEARS
    if year > dt.MAXYEAR:
        return False
    try:
        limit = period.start.replace(year=year)
    except ValueError:  # 29 February in a year that has none: the anniversary is 1 March
        limit = dt.date(year, 3, 1)
    return period.end >= limit


def is_counted_in_totals(*, status: str, is_reversal: bool) -> bool:
    """The totals rule (module docstring): paid claims that do not reverse another claim."""
    return status == StatusFilter.PAID and not is_reversal


# --- Monthly spending --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSpending:
    """Paid-claim figures of one calendar month (``month`` is its first day)."""

    month: dt.date
    you_paid: Decimal
    plan_paid: Decimal
    paid_claims: int


def list_months(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s to ``end``'s, both included."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def fill_months(
    found: Sequence[MonthSpending], *, start: dt.date, end: dt.date
) -> list[MonthSpending]:
    """Every month from ``start`` to ``end``: the months found, zero for the others."""
    by_month = {row.month: row for row in found}
    zero = Decimal("0.00")
    return [
        by_month.get(month)
        or MonthSpending(month=month, you_paid=zero, plan_paid=zero, paid_claims=0)
        for month in list_months(start, end)
    ]


@dataclass(frozen=True)
class ChartBar:
    month: dt.date
    amount: Decimal
    x: str
    y: str
    width: str
    height: str
    label_x: str
    show_label: bool  # month names of long periods are thinned out to stay legible
    show_year: bool


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
class SpendingChart:
    """Geometry of a bar chart of what the member paid each month, in SVG user units."""

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


CHART_WIDTH = 480  # SVG units; the chart scales to its box (text stays legible on a phone)
CHART_HEIGHT = 220
_PLOT_LEFT = 72  # room for the amounts on the axis
_PLOT_RIGHT_MARGIN = 8
_PLOT_TOP = 12
_PLOT_BOTTOM_MARGIN = 40  # room for month and year labels
_MAX_LABELS = 12
_TENTH = Decimal("0.1")


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


def compute_spending_chart(months: Sequence[MonthSpending]) -> SpendingChart:
    """Bars of ``you_paid`` per month, scaled to a round maximum with three gridlines."""
    plot_right = CHART_WIDTH - _PLOT_RIGHT_MARGIN
    plot_bottom = CHART_HEIGHT - _PLOT_BOTTOM_MARGIN
    plot_height = Decimal(plot_bottom - _PLOT_TOP)
    scale_max = compute_scale_max(max((m.you_paid for m in months), default=Decimal(0)))
    count = max(len(months), 1)
    slot = Decimal(plot_right - _PLOT_LEFT) / count
    bar_width = slot * Decimal("0.7")
    label_every = -(-count // _MAX_LABELS)  # ceiling division
    bars = []
    for index, row in enumerate(months):
        height = plot_height * row.you_paid / scale_max
        left = _PLOT_LEFT + slot * index + (slot - bar_width) / 2
        bars.append(
            ChartBar(
                month=row.month,
                amount=row.you_paid,
                x=_units(left),
                y=_units(plot_bottom - height),
                width=_units(bar_width),
                height=_units(height),
                label_x=_units(left + bar_width / 2),
                show_label=index % label_every == 0,
                show_year=index == 0 or (row.month.month == 1 and index % label_every == 0),
            )
        )
    gridlines = [
        ChartGridline(amount=scale_max * share, y=_units(plot_bottom - plot_height * share))
        for share in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]
    return SpendingChart(
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


# --- CSV ---------------------------------------------------------------------------------------


def make_csv_safe(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'`` so it stays text."""
    if value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value
