"""Pure demo generators: no database."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest

from rxportal.demo.domain import (
    CLAIM_FIELDS,
    MEMBER_FIELDS,
    ORDER_STATUSES,
    TABLES,
    CountingIds,
    DemoContext,
    DrugOption,
    FamilyShape,
    PlanOption,
    Rows,
    ZipOption,
    compute_batches,
    compute_family_layout,
    compute_order_timeline,
    generate_family,
    tracking_number,
)
from rxportal.pricing.engine import BenefitDesign, Channel, CostShare, Tier
from rxportal.pricing.partd import part_d_standard_design

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
C = {name: i for i, name in enumerate(CLAIM_FIELDS)}
M = {name: i for i, name in enumerate(MEMBER_FIELDS)}

DRUGS = (
    DrugOption(1, "atorvastatin 40 MG Oral Tablet", Tier.GENERIC, 10, 25, 90),
    DrugOption(2, "insulin glargine 100 UNT/ML Injectable Solution", Tier.PREFERRED_BRAND,
               1500, 2500, 4000, is_insulin=True),
    DrugOption(3, "ivacaftor 150 MG Oral Tablet", Tier.SPECIALTY, 40000, 44566, 50000,
               prior_authorization=True),
    DrugOption(4, "hydrocortisone 10 MG/ML Topical Cream", Tier.GENERIC, 500, 700, 900),
)  # fmt: skip
OFF_FORMULARY = (
    DrugOption(9, "brand X 5 MG Oral Tablet", Tier.NON_PREFERRED_BRAND, 900, 1000, 1100),
)


def _commercial_design() -> BenefitDesign:
    copay = {Tier.GENERIC: "10", Tier.PREFERRED_BRAND: "40", Tier.SPECIALTY: "100"}
    shares = {
        (tier, channel): CostShare(copay=Decimal(amount))
        for tier, amount in copay.items()
        for channel in (Channel.RETAIL_30, Channel.RETAIL_90)
    }
    shares[(Tier.SPECIALTY, Channel.SPECIALTY)] = CostShare(
        coinsurance=Decimal("0.2"), maximum=Decimal("250")
    )
    return BenefitDesign(
        code="TEST-PPO",
        plan_year=2026,
        deductible_individual=Decimal("500"),
        oop_max_individual=Decimal("3000"),
        deductible_family=Decimal("1000"),
        oop_max_family=Decimal("6000"),
        cost_shares=shares,
    )


def _context() -> DemoContext:
    commercial = PlanOption(1, 10, "TEST-PPO", _commercial_design(), DRUGS, OFF_FORMULARY)
    part_d = {
        year: PlanOption(year, 20, f"PARTD-STD-{year}", part_d_standard_design(year), DRUGS)
        for year in (2025, 2026)
    }
    zips = (
        ZipOption("06010", "CT", "Bristol", (101, 102, 103)),
        ZipOption("02903", "RI", "Providence", (104,)),
    )
    return DemoContext(
        today=TODAY,
        now=NOW,
        commercial_plans=(commercial,),
        demo_family_plan=commercial,
        part_d_plans=part_d,
        zips=zips,
        preferred_pharmacy_ids=frozenset({101}),
        mail_pharmacy_id=900,
        specialty_pharmacy_id=901,
    )


def _generate(order: list[int], layout: list[FamilyShape], seed: int = 5) -> Rows:
    rows, ids, ctx = Rows(), CountingIds(), _context()
    for index in order:
        generate_family(
            ctx=ctx, seed=seed, family_index=index, shape=layout[index], claims_per_member=12,
            ids=ids, out=rows,
        )  # fmt: skip
    return rows


def _claim_facts(rows: Rows) -> list[tuple]:
    """Everything about a claim except database keys."""
    keep = [C[name] for name in CLAIM_FIELDS if not name.endswith("id") or name == "public_id"]
    return sorted(tuple(row[i] for i in keep) for row in rows.claim)


@pytest.mark.parametrize("members", [1, 2, 3, 4, 31, 1000])
def test_layout_adds_up_to_the_member_count(members: int) -> None:
    layout = compute_family_layout(seed=3, members=members)

    assert sum(shape.size for shape in layout) == members
    assert all(shape.size == 1 for shape in layout if shape.part_d)
    if members >= 3:
        assert layout[0] == FamilyShape(3, part_d=False)


def test_layout_depends_only_on_the_seed() -> None:
    assert compute_family_layout(seed=3, members=500) == compute_family_layout(seed=3, members=500)
    assert compute_family_layout(seed=3, members=500) != compute_family_layout(seed=4, members=500)


def test_batches_cover_every_family_once() -> None:
    layout = compute_family_layout(seed=3, members=1000)

    batches = compute_batches(layout, batch_size=64)

    families = [i for b in batches for i in range(b.first_family, b.end_family)]
    assert families == list(range(len(layout)))
    assert sum(b.members for b in batches) == 1000


def test_families_come_out_the_same_in_any_order_or_split() -> None:
    layout = compute_family_layout(seed=5, members=60)
    order = list(range(len(layout)))

    forward = _generate(order, layout)
    split = _generate(order[1::2] + order[0::2], layout)

    assert _claim_facts(forward) == _claim_facts(split)
    assert forward.counts() == split.counts()


def test_another_seed_gives_other_claims() -> None:
    layout = compute_family_layout(seed=5, members=30)
    order = list(range(len(layout)))

    assert _claim_facts(_generate(order, layout, seed=5)) != _claim_facts(
        _generate(order, layout, seed=6)
    )


def test_demo_family_is_a_couple_and_a_minor_with_claims_this_year_and_every_order_status() -> None:
    layout = [FamilyShape(3, part_d=False)]

    rows = _generate([0], layout)

    relationships = [row[M["relationship"]] for row in rows.member]
    assert relationships == ["subscriber", "spouse", "child"]
    child_dob = rows.member[2][M["date_of_birth"]]
    assert TODAY.replace(year=TODAY.year - 18) < child_dob
    assert {row[M["member_id"]] for row in rows.member} == {"RXD000000000"}
    claim_years = Counter(row[C["service_date"]].year for row in rows.claim)
    assert claim_years[TODAY.year] > 0
    assert sorted(row[6] for row in rows.mail_order) == sorted(ORDER_STATUSES)


def test_claim_rows_add_up_and_reversals_point_at_their_original() -> None:
    layout = compute_family_layout(seed=5, members=200)

    rows = _generate(list(range(len(layout))), layout)

    by_id = {row[C["id"]]: row for row in rows.claim}
    statuses = Counter(row[C["status"]] for row in rows.claim)
    assert statuses["paid"] and statuses["rejected"] and statuses["reversed"]
    for row in rows.claim:
        total, plan, member = row[C["total_cost"]], row[C["plan_paid"]], row[C["member_paid"]]
        assert row[C["deductible_applied"]] <= member and row[C["oop_applied"]] <= member
        if row[C["status"]] == "paid":
            assert total == plan + member
        if row[C["status"]] == "rejected":
            assert row[C["reject_code"]] in {"70", "75", "79"}
            assert plan == member == 0
        if row[C["reverses_id"]] is not None:
            original = by_id[row[C["reverses_id"]]]
            assert original[C["status"]] == "reversed"
            assert original[C["service_date"]] == row[C["service_date"]]
            assert original[C["member_paid"]] == member
            assert original[C["claim_number"]] < row[C["claim_number"]]


def test_rows_have_one_value_per_column() -> None:
    layout = compute_family_layout(seed=5, members=20)

    rows = _generate(list(range(len(layout))), layout)

    from rxportal.demo import domain

    for table in TABLES:
        fields = getattr(domain, f"{table.upper()}_FIELDS")
        assert all(len(row) == len(fields) for row in getattr(rows, table)), table


@pytest.mark.parametrize(
    ("carrier", "length", "prefix"), [("USPS", 22, "9400"), ("UPS", 18, "1Z"), ("FedEx", 12, "")]
)
def test_tracking_numbers_look_like_the_carriers(carrier: str, length: int, prefix: str) -> None:
    number = tracking_number(random.Random(1), carrier)

    assert len(number) == length
    assert number.startswith(prefix)


@pytest.mark.parametrize("status", ORDER_STATUSES)
def test_order_timeline_ends_in_its_status_in_time_order(status: str) -> None:
    ordered_at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)

    events, carrier, tracking, expected = compute_order_timeline(
        random.Random(2), status=status, ordered_at=ordered_at
    )

    assert events[0][0] == "received"
    assert events[-1][0] == status
    times = [t for _, _, t in events]
    assert times == sorted(times)
    assert bool(carrier and tracking) == (status in {"shipped", "delivered"})
    assert (expected is None) == (status in {"on_hold", "cancelled"})


@pytest.mark.parametrize("seed", [1, 5, 6])
def test_no_prescription_is_in_two_open_orders(seed: int) -> None:
    """An open order holds its prescription's next refill (prescriptions.domain.apply_open_order):
    the demo family's orders in every status, and the other families' orders, never put one
    prescription in two open orders (the demo showed four open orders of one insulin)."""
    layout = compute_family_layout(members=60, seed=seed)

    rows = _generate(list(range(len(layout))), layout, seed=seed)

    open_orders = {row[0] for row in rows.mail_order if row[6] not in ("delivered", "cancelled")}
    in_open = Counter(line[1] for line in rows.mail_order_line if line[0] in open_orders)
    assert in_open, "the layout should have open orders"
    assert max(in_open.values()) == 1
