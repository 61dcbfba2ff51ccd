"""Drug-trend arithmetic over rollup aggregates: pure functions, no ORM, no clock, no settings.

Inputs are the per-period aggregates the selectors read from the rollups (`PeriodTotals` from
the member-month rows, `DrugAggregate` per drug, tier and channel); outputs are dataclasses of
codes and Decimal amounts. Nothing here formats or translates.

Definitions (every ratio is computed exactly with `Fraction`, then rounded half-up):

* PMPM = paid amount / eligible member-months (plan, member and total), to the cent.
* 30-day-adjusted scripts = days supply / 30 (a 90-day fill counts 3).
* "per 1,000" rates are annualised per 1,000 members: count x 12,000 / member-months.
* generic dispensing rate = generic claims / claims; specialty share = cost of specialty-tier
  or specialty-pharmacy claims / cost; mail share = mail 30-day-adjusted scripts / all of them.
* cost share = member paid / total cost.

Trend decomposition (by drug, sequential, Laspeyres-style). With M member-months, n_d the
30-day-adjusted scripts of drug d, N = sum n_d, u = N / M (utilisation), s_d = n_d / N (mix) and
c_d = cost_d / n_d (unit cost), PMPM = u x sum(s_d c_d). From the prior period (0) to the
current one (1):

    utilisation = (u1 - u0) x sum(s0_d c0_d)
    mix         = u1 x sum((s1_d - s0_d) c0_d)
    unit cost   = u1 x sum(s1_d (c1_d - c0_d))

These telescope to PMPM1 - PMPM0 exactly. A drug without prior scripts takes c0_d = c1_d (its
cost shows as mix, not unit cost). The effects are exact fractions; to the cent, utilisation and
mix are rounded and unit cost takes the rounding remainder, so the three shown add up to the
shown change in PMPM (rounded PMPM1 - rounded PMPM0) exactly.

Small-cell suppression (CMS rule: no cell describing 1 to 10 members). See `is_small`:
* a whole period is suppressed when its members or utilisers are under 11;
* a group of drug cells (a drug, a class, a tier, generic vs brand...) has distinct utilisers
  between its largest cell count and the sum of its cell counts (distinct members cannot be
  summed); it is shown only when the largest cell count is 11 or more, so we may suppress a
  group that in fact had 11+ members, never the other way round;
* complementary suppression: in a partition whose total is shown (tiers, drugs, classes), if
  exactly one group is suppressed, the next smallest shown group is suppressed too, so the first
  cannot be recovered by subtracting the others from the total; a share between two groups
  (generic / brand, specialty / other, mail / other) is suppressed when either side is small;
* counts of members reaching the deductible or out-of-pocket maximum of 1 to 10 are suppressed;
* a change against the prior period is suppressed when either side is;
* at client level, what "client minus the shown plans" would reveal of the small plans is
  suppressed too (`analytics.suppression`: `PeriodTotals.plans`, `DrugAggregate.plan_key`).
Suppressed figures are `None` with `suppressed=True`, never a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from rxportal.analytics.suppression import (
    CellGroup,
    PlanCounts,
    compute_differenced_keys,
    compute_suppressed_keys,
    group_rows,
    is_small,
    plan_scopes_revealed,
    small_plans_revealed,
)

CENT = Decimal("0.01")
RATE = Decimal("0.0001")  # ratios such as 0.8125 (81.25%)
ONE_DECIMAL = Decimal("0.1")
ZERO = Decimal("0.00")

SPECIALTY_TIER = "specialty"
SPECIALTY_CHANNEL = "specialty"
MAIL_CHANNEL = "mail_90"


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    PLAN_YEAR = "plan_year"  # plan years are calendar years (accumulators reset on January 1)


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: dt.date  # first day of the first month
    months: tuple[dt.date, ...]

    @property
    def end(self) -> dt.date:
        """Last day of the period."""
        return add_months(self.months[-1], 1) - dt.timedelta(days=1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month start from `first`'s month to `last`'s month, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def compute_period(kind: PeriodKind, day: dt.date) -> Period:
    """The month, calendar quarter or plan (calendar) year containing `day`."""
    if kind is PeriodKind.MONTH:
        start, length = month_start(day), 1
    elif kind is PeriodKind.QUARTER:
        start, length = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1), 3
    else:
        start, length = dt.date(day.year, 1, 1), 12
    return Period(kind, start, tuple(add_months(start, i) for i in range(length)))


def compute_prior_period(period: Period) -> Period:
    return compute_period(period.kind, add_months(period.start, -1))


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    """From the member-month rollup over the period's months."""

    member_months: int
    members: int  # distinct eligible members
    utilizers: int  # distinct members with a paid claim
    reached_deductible: int  # distinct members at or past the individual deductible
    reached_oop_max: int
    # At client level: each plan's counts, for the suppression across plans (`suppression`).
    plans: tuple[PlanCounts, ...] = ()


@dataclass(frozen=True, slots=True)
class DrugAggregate:
    """Drug-month cells of one drug, tier and channel summed over the period's months."""

    drug_key: str  # rxcui
    drug_class: str
    tier: str
    channel: str
    is_brand: bool
    claims: int
    days_supply: int
    total_cost: Decimal
    plan_paid: Decimal
    member_paid: Decimal
    max_cell_utilizers: int  # the largest monthly cell: a lower bound of distinct utilisers
    sum_cell_utilizers: int  # an upper bound
    plan_key: str = ""  # the plan of these cells (suppression across plans)


# --- outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One number for the current and the prior period, and the change (current - prior)."""

    current: Decimal | None
    prior: Decimal | None
    change: Decimal | None
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class Decomposition:
    total: Decimal | None
    utilization: Decimal | None
    unit_cost: Decimal | None
    mix: Decimal | None
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class RankedCost:
    """A drug or class in the top list: total cost now and before, and 30-day scripts now."""

    key: str
    cost: Figure
    scripts_30: Figure


@dataclass(frozen=True, slots=True)
class TierCost:
    tier: str
    average_cost_per_script: Figure


@dataclass(frozen=True, slots=True)
class TrendReport:
    period: Period
    prior_period: Period
    suppressed: bool  # the current or prior period describes fewer than 11 members
    member_months: Figure
    members: Figure
    utilizers: Figure
    pmpm_plan: Figure
    pmpm_member: Figure
    pmpm_total: Figure
    claims_per_1000: Figure
    scripts_30_per_1000: Figure
    generic_dispensing_rate: Figure
    specialty_share: Figure
    mail_share: Figure
    member_cost_share: Figure
    reached_deductible: Figure
    reached_oop_max: Figure
    decomposition: Decomposition
    tiers: list[TierCost] = field(default_factory=list)
    top_drugs: list[RankedCost] = field(default_factory=list)
    top_classes: list[RankedCost] = field(default_factory=list)


# --- helpers ---------------------------------------------------------------------------------


def _round(value: Fraction, quantum: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


def _ratio(numerator: Fraction | Decimal | int, denominator: Fraction | Decimal | int) -> Fraction:
    if not denominator:
        return Fraction(0)
    return Fraction(numerator) / Fraction(denominator)


def _figure(current: Decimal | None, prior: Decimal | None, *, suppressed: bool = False) -> Figure:
    if suppressed:
        return Figure(None, None, None, suppressed=True)
    change = current - prior if current is not None and prior is not None else None
    return Figure(current, prior, change)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


# --- the report ------------------------------------------------------------------------------


def compute_decomposition(
    current: Sequence[DrugAggregate],
    prior: Sequence[DrugAggregate],
    *,
    member_months: int,
    prior_member_months: int,
) -> Decomposition:
    """Change in total PMPM split into utilisation, mix and unit cost (module docstring)."""
    if not member_months or not prior_member_months:
        return Decomposition(None, None, None, None)
    drugs0 = group_rows(prior, lambda r: r.drug_key)
    drugs1 = group_rows(current, lambda r: r.drug_key)
    n0 = {k: Fraction(g.days_supply, 30) for k, g in drugs0.items()}
    n1 = {k: Fraction(g.days_supply, 30) for k, g in drugs1.items()}
    total0, total1 = sum(n0.values(), Fraction(0)), sum(n1.values(), Fraction(0))
    c1 = {k: _ratio(g.total_cost, n1[k]) for k, g in drugs1.items() if n1[k]}
    c0 = {k: _ratio(g.total_cost, n0[k]) for k, g in drugs0.items() if n0[k]}
    for key, cost in c1.items():
        c0.setdefault(key, cost)  # new drugs: no unit-cost effect
    u0, u1 = _ratio(total0, prior_member_months), _ratio(total1, member_months)
    s0 = {k: _ratio(n, total0) for k, n in n0.items()}
    s1 = {k: _ratio(n, total1) for k, n in n1.items()}
    keys = set(s0) | set(s1)
    base_cost = sum((s0.get(k, 0) * c0.get(k, 0) for k in keys), Fraction(0))
    utilization = (u1 - u0) * base_cost
    mix = u1 * sum(((s1.get(k, 0) - s0.get(k, 0)) * c0.get(k, 0) for k in keys), Fraction(0))
    unit_cost = u1 * sum((s1.get(k, 0) * (c1.get(k, 0) - c0.get(k, 0)) for k in keys), Fraction(0))
    cost1 = _sum(g.total_cost for g in drugs1.values())
    cost0 = _sum(g.total_cost for g in drugs0.values())
    exact_total = _ratio(cost1, member_months) - _ratio(cost0, prior_member_months)
    if utilization + mix + unit_cost != exact_total:  # pragma: no cover (algebraic identity)
        raise ArithmeticError("trend decomposition does not add up")
    total = _round(_ratio(cost1, member_months), CENT) - _round(
        _ratio(cost0, prior_member_months), CENT
    )
    shown_utilization, shown_mix = _round(utilization, CENT), _round(mix, CENT)
    return Decomposition(
        total=total,
        utilization=shown_utilization,
        mix=shown_mix,
        unit_cost=total - shown_utilization - shown_mix,
    )


def _share(
    rows: Sequence[DrugAggregate], part: Callable[[DrugAggregate], bool], value: str
) -> tuple[Decimal | None, bool]:
    """(share of `value` in the rows where `part` holds, suppressed?)."""

    def side(row: DrugAggregate) -> str:
        return "in" if part(row) else "out"

    groups = group_rows(rows, side)
    if any(group.small for group in groups.values()) or compute_differenced_keys(rows, side):
        return None, True
    total = sum((getattr(r, value) for r in rows), 0)
    inside = sum((getattr(r, value) for r in rows if part(r)), 0)
    if not total:
        return None, False
    return _round(_ratio(inside, total), RATE), False


def _share_figure(
    current: Sequence[DrugAggregate],
    prior: Sequence[DrugAggregate],
    part: Callable[[DrugAggregate], bool],
    value: str,
) -> Figure:
    now, small_now = _share(current, part, value)
    before, small_before = _share(prior, part, value)
    return _figure(now, before, suppressed=small_now or small_before)


def _scripts_30(days_supply: int) -> Decimal:
    return _round(Fraction(days_supply, 30), ONE_DECIMAL)


def _tier(row: DrugAggregate) -> str:
    return row.tier


def _hidden_keys(
    groups: dict[str, CellGroup],
    rows: Sequence[DrugAggregate],
    key: Callable[[DrugAggregate], str],
) -> set[str]:
    """Small groups, groups recoverable across plans, and their complements."""
    return compute_suppressed_keys(groups, also=compute_differenced_keys(rows, key))


def _ranked(
    current: Sequence[DrugAggregate],
    prior: Sequence[DrugAggregate],
    key: Callable[[DrugAggregate], str],
    top: int,
) -> list[RankedCost]:
    groups1, groups0 = group_rows(current, key), group_rows(prior, key)
    hidden = _hidden_keys(groups1, current, key) | _hidden_keys(groups0, prior, key)
    ranked = sorted(
        (k for k in groups1 if k not in hidden and k),
        key=lambda k: (-groups1[k].total_cost, k),
    )[:top]
    out = []
    for k in ranked:
        before = groups0.get(k)
        out.append(
            RankedCost(
                key=k,
                cost=_figure(groups1[k].total_cost, before.total_cost if before else ZERO),
                scripts_30=_figure(
                    _scripts_30(groups1[k].days_supply),
                    _scripts_30(before.days_supply) if before else Decimal("0.0"),
                ),
            )
        )
    return out


def _tiers(current: Sequence[DrugAggregate], prior: Sequence[DrugAggregate]) -> list[TierCost]:
    groups1, groups0 = group_rows(current, _tier), group_rows(prior, _tier)
    hidden = _hidden_keys(groups1, current, _tier) | _hidden_keys(groups0, prior, _tier)
    out = []
    for tier in sorted(set(groups1) | set(groups0)):
        if tier in hidden:
            out.append(TierCost(tier, _figure(None, None, suppressed=True)))
            continue
        now, before = groups1.get(tier), groups0.get(tier)
        out.append(
            TierCost(
                tier,
                _figure(
                    _round(_ratio(now.total_cost, now.claims), CENT) if now else None,
                    _round(_ratio(before.total_cost, before.claims), CENT) if before else None,
                ),
            )
        )
    return out


def compute_trend_report(
    *,
    period: Period,
    prior_period: Period,
    totals: PeriodTotals,
    prior_totals: PeriodTotals,
    current: Sequence[DrugAggregate],
    prior: Sequence[DrugAggregate],
    top: int = 10,
) -> TrendReport:
    """Every dashboard figure for `period` against `prior_period` (module docstring)."""
    suppressed = any(
        is_small(count)
        for count in (
            totals.members,
            totals.utilizers,
            prior_totals.members,
            prior_totals.utilizers,
        )
    ) or any(plan_scopes_revealed(t.plans) for t in (totals, prior_totals))
    hidden = Figure(None, None, None, suppressed=True)
    if suppressed:
        return TrendReport(
            period=period, prior_period=prior_period, suppressed=True,
            member_months=hidden, members=hidden, utilizers=hidden, pmpm_plan=hidden,
            pmpm_member=hidden, pmpm_total=hidden, claims_per_1000=hidden,
            scripts_30_per_1000=hidden, generic_dispensing_rate=hidden, specialty_share=hidden,
            mail_share=hidden, member_cost_share=hidden, reached_deductible=hidden,
            reached_oop_max=hidden,
            decomposition=Decomposition(None, None, None, None, suppressed=True),
        )  # fmt: skip

    def per_member_month(amount: Decimal, member_months: int) -> Decimal | None:
        return _round(_ratio(amount, member_months), CENT) if member_months else None

    def money(rows: Sequence[DrugAggregate], name: str) -> Decimal:
        return _sum(getattr(r, name) for r in rows)

    def pmpm(name: str) -> Figure:
        return _figure(
            per_member_month(money(current, name), totals.member_months),
            per_member_month(money(prior, name), prior_totals.member_months),
        )

    def per_1000(count: Fraction | int, member_months: int) -> Decimal | None:
        if not member_months:
            return None
        return _round(_ratio(Fraction(count) * 12000, member_months), ONE_DECIMAL)

    def count_per_1000(count: Callable[[Sequence[DrugAggregate]], Fraction | int]) -> Figure:
        return _figure(
            per_1000(count(current), totals.member_months),
            per_1000(count(prior), prior_totals.member_months),
        )

    def people(name: str) -> Figure:
        now, before = getattr(totals, name), getattr(prior_totals, name)
        revealed = any(
            small_plans_revealed(getattr(plan, name) for plan in t.plans)
            for t in (totals, prior_totals)
        )
        return _figure(
            Decimal(now),
            Decimal(before),
            suppressed=is_small(now) or is_small(before) or revealed,
        )

    def cost_share(rows: Sequence[DrugAggregate]) -> Decimal | None:
        cost = money(rows, "total_cost")
        return _round(_ratio(money(rows, "member_paid"), cost), RATE) if cost else None

    return TrendReport(
        period=period,
        prior_period=prior_period,
        suppressed=False,
        member_months=_figure(Decimal(totals.member_months), Decimal(prior_totals.member_months)),
        members=_figure(Decimal(totals.members), Decimal(prior_totals.members)),
        utilizers=_figure(Decimal(totals.utilizers), Decimal(prior_totals.utilizers)),
        pmpm_plan=pmpm("plan_paid"),
        pmpm_member=pmpm("member_paid"),
        pmpm_total=pmpm("total_cost"),
        claims_per_1000=count_per_1000(lambda rows: sum(r.claims for r in rows)),
        scripts_30_per_1000=count_per_1000(
            lambda rows: Fraction(sum(r.days_supply for r in rows), 30)
        ),
        generic_dispensing_rate=_share_figure(current, prior, lambda r: not r.is_brand, "claims"),
        specialty_share=_share_figure(
            current,
            prior,
            lambda r: r.tier == SPECIALTY_TIER or r.channel == SPECIALTY_CHANNEL,
            "total_cost",
        ),
        mail_share=_share_figure(
            current, prior, lambda r: r.channel == MAIL_CHANNEL, "days_supply"
        ),
        member_cost_share=_figure(cost_share(current), cost_share(prior)),
        reached_deductible=people("reached_deductible"),
        reached_oop_max=people("reached_oop_max"),
        decomposition=compute_decomposition(
            current,
            prior,
            member_months=totals.member_months,
            prior_member_months=prior_totals.member_months,
        ),
        tiers=_tiers(current, prior),
        top_drugs=_ranked(current, prior, lambda r: r.drug_key, top),
        top_classes=_ranked(current, prior, lambda r: r.drug_class, top),
    )
