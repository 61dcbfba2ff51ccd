"""The drug-trend dashboard's monthly series: cost per member per month, plan paid and member
paid, for the months leading up to the period shown. Pure, like `analytics.domain` (whose
rounding and small-cell rule it uses): rollup sums in, Decimal figures out.

* A month's PMPM is its paid amount / its eligible member-months, to the cent; the total is
  computed from the exact sum, so plan + member may differ from it by a cent of rounding.
* A month with no member-months has no figures (None, not a PMPM of zero).
* A month whose members or utilizers are 1 to 10 is suppressed (the CMS small-cell rule, as
  for a whole period in `compute_trend_report`): no figure, `suppressed=True`. At client
  level, so is a month whose small plans add up to 1 to 10 members or utilizers (the client's
  month minus its shown plans would show them: `analytics.suppression`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from rxportal.analytics.domain import CENT, Period, add_months
from rxportal.analytics.suppression import PlanCounts, is_small, plan_scopes_revealed

CHART_MONTHS = 24


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """One month from the rollups: eligibility and distinct members (`PeriodMemberRollup`)
    and the paid amounts (`DrugMonthRollup` summed over drugs, tiers and channels)."""

    month: dt.date
    member_months: int
    members: int
    utilizers: int
    plan_paid: Decimal
    member_paid: Decimal
    plans: tuple[PlanCounts, ...] = ()  # at client level: each plan's counts that month


@dataclass(frozen=True, slots=True)
class MonthlyCost:
    month: dt.date
    pmpm_plan: Decimal | None
    pmpm_member: Decimal | None
    pmpm_total: Decimal | None
    suppressed: bool = False


def compute_chart_months(period: Period, count: int = CHART_MONTHS) -> list[dt.date]:
    """The `count` months ending with the period's last month, oldest first."""
    last = period.months[-1]
    return [add_months(last, offset) for offset in range(1 - count, 1)]


def _per_member_month(amount: Decimal, member_months: int) -> Decimal:
    exact = Fraction(amount) / member_months
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def compute_monthly_costs(
    months: Sequence[dt.date], totals: Mapping[dt.date, MonthTotals]
) -> list[MonthlyCost]:
    """Each month's PMPM (module docstring); months missing from `totals` have no figures."""
    out = []
    for month in months:
        row = totals.get(month)
        if row is not None and (
            is_small(row.members) or is_small(row.utilizers) or plan_scopes_revealed(row.plans)
        ):
            out.append(MonthlyCost(month, None, None, None, suppressed=True))
            continue
        if row is None or not row.member_months:
            out.append(MonthlyCost(month, None, None, None))
            continue
        out.append(
            MonthlyCost(
                month,
                pmpm_plan=_per_member_month(row.plan_paid, row.member_months),
                pmpm_member=_per_member_month(row.member_paid, row.member_months),
                pmpm_total=_per_member_month(row.plan_paid + row.member_paid, row.member_months),
            )
        )
    return out
