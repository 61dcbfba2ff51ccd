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

# The chart geometry and the formula-safe CSV cell are shared with other apps' pages.
from rxportal.core.charts import BarChart as SpendingChart
from rxportal.core.charts import (
    ChartBar,
    ChartGridline,
    compute_monthly_bar_chart,
    compute_scale_max,
)
from rxportal.core.spreadsheets import make_csv_safe

__all__ = [
    "ChartBar",
    "ChartGridline",
    "SpendingChart",
    "compute_scale_max",
    "make_csv_safe",
]

PAGE_SIZE = 25
# A longer period is refused: the chart stays readable (at most 120 monthly bars) and a
# statement or export stays a reasonable size.
MAX_PERIOD_YEARS = 10
FILTER_TEXT_MAX_LENGTH = 100


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


def is_whole_months(period: Period) -> bool:
    """True when the period starts on a month's first day and ends on a month's last day."""
    return period.start.day == 1 and (period.end + dt.timedelta(days=1)).day == 1


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


def compute_spending_chart(months: Sequence[MonthSpending]) -> SpendingChart:
    """Bars of ``you_paid`` per month, scaled to a round maximum with three gridlines."""
    return compute_monthly_bar_chart([m.month for m in months], [[m.you_paid for m in months]])
