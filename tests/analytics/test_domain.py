"""Drug-trend arithmetic on aggregates small enough to add up on paper (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from rxportal.analytics.domain import (
    DrugAggregate,
    Figure,
    PeriodKind,
    PeriodTotals,
    compute_decomposition,
    compute_period,
    compute_prior_period,
    compute_trend_report,
    is_small,
)


def agg(
    drug: str,
    drug_class: str,
    tier: str,
    channel: str,
    *,
    brand: bool,
    claims: int,
    days: int,
    cost: str,
    plan: str,
    member: str,
    most: int,
    total: int,
) -> DrugAggregate:
    return DrugAggregate(
        drug_key=drug, drug_class=drug_class, tier=tier, channel=channel, is_brand=brand,
        claims=claims, days_supply=days, total_cost=D(cost), plan_paid=D(plan),
        member_paid=D(member), max_cell_utilizers=most, sum_cell_utilizers=total,
    )  # fmt: skip


# Prior period: 100 member-months, 100 members, 40 utilisers.
#   A generic (class X, retail):  40 claims, 1200 days = 40 scripts, $400 ($10 a script)
#   B brand   (class Y, mail):    10 claims,  900 days = 30 scripts, $3000 ($100 a script)
# Current period: 100 member-months, 100 members, 50 utilisers.
#   A: 50 claims, 1500 days = 50 scripts, $600 ($12)
#   B: 10 claims,  900 days = 30 scripts, $3300 ($110)
#   C brand specialty (class Y), new, 2 members: 2 claims, 60 days = 2 scripts, $2000 ($1000)
PRIOR = [
    agg("A", "X", "generic", "retail_30", brand=False, claims=40, days=1200, cost="400.00",
        plan="300.00", member="100.00", most=30, total=40),
    agg("B", "Y", "preferred-brand", "mail_90", brand=True, claims=10, days=900, cost="3000.00",
        plan="2700.00", member="300.00", most=12, total=12),
]  # fmt: skip
CURRENT = [
    agg("A", "X", "generic", "retail_30", brand=False, claims=50, days=1500, cost="600.00",
        plan="450.00", member="150.00", most=35, total=50),
    agg("B", "Y", "preferred-brand", "mail_90", brand=True, claims=10, days=900, cost="3300.00",
        plan="2970.00", member="330.00", most=12, total=12),
    agg("C", "Y", "specialty", "specialty", brand=True, claims=2, days=60, cost="2000.00",
        plan="1900.00", member="100.00", most=2, total=2),
]  # fmt: skip
PERIOD = compute_period(PeriodKind.MONTH, dt.date(2026, 2, 14))


def report(**overrides: object):  # type: ignore[no-untyped-def]
    arguments: dict[str, object] = {
        "period": PERIOD,
        "prior_period": compute_prior_period(PERIOD),
        "totals": PeriodTotals(100, 100, 50, reached_deductible=15, reached_oop_max=3),
        "prior_totals": PeriodTotals(100, 100, 40, reached_deductible=11, reached_oop_max=0),
        "current": CURRENT,
        "prior": PRIOR,
    }
    arguments.update(overrides)
    return compute_trend_report(**arguments)  # type: ignore[arg-type]


def test_pmpm_and_rates_match_the_hand_figures() -> None:
    """Total $3400 -> $5900 over 100 member-months: PMPM 34.00 -> 59.00; plan 3000 -> 5320
    (30.00 -> 53.20); member 400 -> 580 (4.00 -> 5.80). Claims 50 -> 62 a month for 100
    members: x 12,000 / 100 = 6000.0 -> 7440.0 per 1,000 a year; 30-day scripts 70 -> 82:
    8400.0 -> 9840.0. Generic rate 40/50 = 0.8000 -> 50/62 = 0.8065. Mail share of 30-day
    scripts 900/2100 = 0.4286 -> 900/2460 = 0.3659. Cost share 400/3400 = 0.1176 ->
    580/5900 = 0.0983."""
    result = report()

    assert not result.suppressed
    assert result.pmpm_total == Figure(D("59.00"), D("34.00"), D("25.00"))
    assert result.pmpm_plan == Figure(D("53.20"), D("30.00"), D("23.20"))
    assert result.pmpm_member == Figure(D("5.80"), D("4.00"), D("1.80"))
    assert result.claims_per_1000 == Figure(D("7440.0"), D("6000.0"), D("1440.0"))
    assert result.scripts_30_per_1000 == Figure(D("9840.0"), D("8400.0"), D("1440.0"))
    assert result.generic_dispensing_rate == Figure(D("0.8065"), D("0.8000"), D("0.0065"))
    assert result.mail_share == Figure(D("0.3659"), D("0.4286"), D("-0.0627"))
    assert result.member_cost_share == Figure(D("0.0983"), D("0.1176"), D("-0.0193"))
    assert result.utilizers == Figure(D("50"), D("40"), D("10"))


def test_trend_decomposition_adds_up_to_the_change_in_pmpm() -> None:
    """u0 = 70/100, u1 = 82/100; unit costs before A 10, B 100 (C is new: its own 1000).
    utilisation = (0.82 - 0.70) x (4/7 x 10 + 3/7 x 100) = 0.12 x 340/7 = 5.8286 -> 5.83
    mix = 0.82 x ((50/82 - 4/7) x 10 + (30/82 - 3/7) x 100 + 2/82 x 1000) = 15.1714 -> 15.17
    unit cost = 0.82 x (50/82 x 2 + 30/82 x 10) = 4.00; 5.83 + 15.17 + 4.00 = 25.00."""
    result = report().decomposition

    assert (result.utilization, result.mix, result.unit_cost) == (D("5.83"), D("15.17"), D("4.00"))
    assert result.total == D("25.00")
    assert result.utilization + result.mix + result.unit_cost == result.total


def test_decomposition_rounding_remainder_goes_to_unit_cost() -> None:
    """Exact effects 216.944..., -180.277..., -13.75 sum to 275/12 = 22.9166...; the shown
    change is 141.25 - 118.33 = 22.92, so unit cost shows -13.74 and the three add up."""
    prior = [
        agg("G", "X", "generic", "retail_30", brand=False, claims=11, days=330, cost="220.00",
            plan="132.00", member="88.00", most=11, total=11),
        agg("S", "Z", "specialty", "specialty", brand=True, claims=1, days=30, cost="1200.00",
            plan="200.00", member="1000.00", most=1, total=1),
    ]  # fmt: skip
    current = [
        agg("G", "X", "generic", "retail_90", brand=False, claims=11, days=990, cost="495.00",
            plan="330.00", member="165.00", most=11, total=11),
        agg("S", "Z", "specialty", "specialty", brand=True, claims=1, days=30, cost="1200.00",
            plan="1200.00", member="0.00", most=1, total=1),
    ]  # fmt: skip

    result = compute_decomposition(current, prior, member_months=12, prior_member_months=12)

    assert (result.total, result.utilization, result.mix, result.unit_cost) == (
        D("22.92"), D("216.94"), D("-180.28"), D("-13.74"),
    )  # fmt: skip


def test_top_drugs_hide_small_cells_and_their_complement() -> None:
    """C has 2 members: suppressed; A, the smallest remaining drug by cost, is suppressed with
    it (else C = total - A - B). Classes: Y = B + C has at least 12 members: shown."""
    result = report()

    assert [(d.key, d.cost) for d in result.top_drugs] == [
        ("B", Figure(D("3300.00"), D("3000.00"), D("300.00")))
    ]
    assert [(c.key, c.cost.current, c.cost.prior) for c in result.top_classes] == [
        ("Y", D("5300.00"), D("3000.00")),
        ("X", D("600.00"), D("400.00")),
    ]
    assert result.top_drugs[0].scripts_30 == Figure(D("30.0"), D("30.0"), D("0.0"))


def test_tiers_shares_and_people_counts_under_11_are_suppressed() -> None:
    """Specialty (2 members) and, as its complement, generic ($600 < $3300) are hidden;
    preferred brand $3300 / 10 = 330.00 against $300.00. The specialty share describes 2
    members; 3 members reached the out-of-pocket maximum."""
    result = report()

    tiers = {t.tier: t.average_cost_per_script for t in result.tiers}
    assert tiers["preferred-brand"] == Figure(D("330.00"), D("300.00"), D("30.00"))
    assert tiers["specialty"].suppressed and tiers["specialty"].current is None
    assert tiers["generic"].suppressed
    assert result.specialty_share.suppressed
    assert result.specialty_share.current is None
    assert result.reached_oop_max.suppressed
    assert result.reached_deductible == Figure(D("15"), D("11"), D("4"))


@pytest.mark.parametrize(
    ("totals", "prior_totals"),
    [
        (PeriodTotals(100, 100, 10, 0, 0), PeriodTotals(100, 100, 40, 0, 0)),
        (PeriodTotals(100, 100, 50, 0, 0), PeriodTotals(30, 10, 10, 0, 0)),
    ],
)
def test_a_period_with_fewer_than_11_members_or_utilizers_shows_nothing(
    totals: PeriodTotals, prior_totals: PeriodTotals
) -> None:
    result = report(totals=totals, prior_totals=prior_totals)

    assert result.suppressed
    assert result.pmpm_total.current is None and result.pmpm_total.suppressed
    assert result.decomposition.total is None
    assert result.top_drugs == [] and result.tiers == []


def test_zero_is_not_a_small_cell_but_one_to_ten_are() -> None:
    assert [is_small(n) for n in (0, 1, 10, 11)] == [False, True, True, False]


@pytest.mark.parametrize(
    ("kind", "day", "start", "months", "prior_start"),
    [
        (PeriodKind.MONTH, dt.date(2026, 1, 31), dt.date(2026, 1, 1), 1, dt.date(2025, 12, 1)),
        (PeriodKind.QUARTER, dt.date(2026, 5, 2), dt.date(2026, 4, 1), 3, dt.date(2026, 1, 1)),
        (PeriodKind.PLAN_YEAR, dt.date(2026, 7, 4), dt.date(2026, 1, 1), 12, dt.date(2025, 1, 1)),
    ],
)
def test_periods_and_their_prior_period(
    kind: PeriodKind, day: dt.date, start: dt.date, months: int, prior_start: dt.date
) -> None:
    period = compute_period(kind, day)

    assert (period.start, len(period.months)) == (start, months)
    assert compute_prior_period(period).start == prior_start
    assert period.end.month == period.months[-1].month
