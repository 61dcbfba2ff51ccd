"""Re-adjudication on a handful of claims you can add up on paper (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from rxportal.pricing.engine import BenefitDesign, Channel, CostShare, Tier
from rxportal.whatif.domain import (
    ClaimRow,
    WhatIfResult,
    Window,
    compute_what_if,
    compute_window,
    count_member_months,
    make_claim_row,
)

WINDOW = Window(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
# $100 deductible (generic skips it), $10 generic copay, $40 brand copay, $500 out-of-pocket max.
DESIGN = BenefitDesign(
    code="PAPER",
    plan_year=2026,
    deductible_individual=D("100.00"),
    oop_max_individual=D("500.00"),
    deductible_family=None,
    oop_max_family=None,
    cost_shares={
        (Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10.00"), deductible_applies=False),
        (Tier.PREFERRED_BRAND, Channel.RETAIL_30): CostShare(copay=D("40.00")),
    },
)


def row(member: int, day: dt.date, tier: str, cost: str, paid: str, drug: int = 1) -> ClaimRow:
    total, by_member = D(cost), D(paid)
    return make_claim_row(member, member, day, drug, tier, "retail_30", 30, total, by_member,
                          total - by_member, False, False)  # fmt: skip


def bystanders() -> list[ClaimRow]:
    """Eleven members with one generic fill each that no design below changes ($10 member,
    $20 plan): enough members for the figures to be shown."""
    return [row(member, dt.date(2026, 6, 1), "generic", "30.00", "10.00", drug=99)
            for member in range(101, 112)]  # fmt: skip


def test_the_window_is_the_last_twelve_full_months() -> None:
    assert compute_window(dt.date(2026, 12, 6)) == Window(
        dt.date(2025, 12, 1), dt.date(2026, 11, 30)
    )
    assert compute_window(dt.date(2026, 1, 31)) == Window(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    )
    assert Window(dt.date(2025, 12, 1), dt.date(2026, 11, 30)).warm_start == dt.date(2025, 1, 1)


def test_member_months_count_each_covered_month_of_the_window() -> None:
    coverage = [
        (dt.date(2020, 1, 1), None),  # all 12
        (dt.date(2026, 11, 30), None),  # November and December: 2
        (dt.date(2025, 1, 1), dt.date(2026, 3, 1)),  # January to March: 3
        (dt.date(2024, 1, 1), dt.date(2025, 6, 30)),  # ended before: 0
    ]
    assert count_member_months(coverage, WINDOW) == 17


def test_a_brand_claim_pays_the_deductible_then_the_copay_and_the_accumulators_carry_on() -> None:
    # Member 1: brand $150 in January: deductible $100, then $40 copay on the other $50.
    # February: deductible met, $40 copay. The stored amounts are what the engine charged.
    claims = [
        row(1, dt.date(2026, 1, 5), "preferred-brand", "150.00", "140.00"),
        row(1, dt.date(2026, 2, 5), "preferred-brand", "150.00", "40.00"),
        *bystanders(),
    ]

    result = compute_what_if(design=DESIGN, claims=claims, window=WINDOW, member_months=12)

    # Member 1: $180 member, $120 plan; the bystanders add $110 and $220.
    assert (result.member_before, result.member_after) == (D("290.00"), D("290.00"))
    assert (result.plan_before, result.plan_after) == (D("340.00"), D("340.00"))
    assert result.member_shift_pmpm == D("0.00")
    assert result.top_drugs == ()


def test_a_lower_deductible_moves_cost_to_the_plan_and_the_warm_up_only_fills_accumulators() -> (
    None
):
    cheaper = BenefitDesign(**{**_fields(DESIGN), "deductible_individual": D("50.00")})
    claims = [
        # 2025, before the window: not counted, and a new plan year starts fresh in 2026.
        row(1, dt.date(2025, 12, 1), "preferred-brand", "150.00", "140.00"),
        row(1, dt.date(2026, 1, 5), "preferred-brand", "150.00", "140.00"),
        row(2, dt.date(2026, 1, 5), "generic", "30.00", "10.00", drug=2),
        *bystanders(),
        # Eleven members new in 2026 on another brand (drug 3), so the totals may be shown.
        *(row(member, dt.date(2026, 2, 1), "preferred-brand", "150.00", "140.00", drug=3)
          for member in range(201, 212)),
    ]  # fmt: skip
    window = Window(dt.date(2026, 1, 1), dt.date(2026, 12, 31))

    result = compute_what_if(design=cheaper, claims=claims, window=window, member_months=24)

    # Member 1 in 2026: $50 deductible + $40 copay = $90 instead of $140 (the 2025 fill only
    # warmed up 2025's accumulators); so for each of the eleven; generic unchanged. The
    # bystanders add 11 claims, $110 member and $220 plan on both sides.
    assert result.claims == 24 and result.warm_up_claims == 1
    assert (result.member_before, result.member_after) == (D("1800.00"), D("1200.00"))
    assert (result.plan_before, result.plan_after) == (D("360.00"), D("960.00"))
    assert result.member_shift_pmpm == D("-25.00")  # -600 / 24
    assert result.plan_shift_pmpm == D("25.00")
    assert result.members_paying_less == 12 and result.members_paying_more == 0
    # Drug 1 moved for one member: hidden, and drug 3 with it (else the totals minus drug 3
    # would be drug 1's shift).
    assert result.top_drugs == () and result.drugs_not_shown == 2


def test_counts_of_eleven_or_more_members_are_shown_and_drugs_ranked_by_shift() -> None:
    claims = [
        row(member, dt.date(2026, 3, 1), "generic", "30.00", "10.00", drug=7)
        for member in range(1, 12)
    ] + [row(member, dt.date(2026, 3, 1), "preferred-brand", "300.00", "140.00", drug=8)
         for member in range(1, 12)]  # fmt: skip
    claims.sort(key=lambda claim: claim.family_key)  # as the selector reads them: by family
    pricier = BenefitDesign(
        **{
            **_fields(DESIGN),
            "cost_shares": {
                **DESIGN.cost_shares,
                (Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("15.00")),
            },
        }
    )

    result = compute_what_if(design=pricier, claims=claims, window=WINDOW, member_months=132)

    # The generic now applies the deductible: $30 each (all deductible) instead of $10, and
    # the brand after it pays $100 - $30 = $70 deductible + $40 copay = $110 instead of $140.
    assert result.members_with_claims == 11
    # Each member: +$20 on the generic, -$30 on the brand.
    assert result.members_paying_more == 0 and result.members_paying_less == 11
    assert [(drug.drug_key, drug.member_shift) for drug in result.top_drugs] == [
        (8, D("-330.00")),
        (7, D("220.00")),
    ]
    assert WhatIfResult.from_json(result.to_json()) == result


def test_progress_is_reported_as_claims_are_priced() -> None:
    claims = [row(1, dt.date(2026, 1, day), "generic", "30.00", "10.00") for day in range(1, 8)]
    seen: list[int] = []

    compute_what_if(
        design=DESIGN, claims=claims, window=WINDOW, member_months=1,
        on_progress=seen.append, progress_every=3,
    )  # fmt: skip

    assert seen == [3, 6, 7]


def test_a_claim_the_changed_design_does_not_cover_keeps_its_amounts() -> None:
    no_brand = BenefitDesign(
        **{
            **_fields(DESIGN),
            "cost_shares": {
                (Tier.GENERIC, Channel.RETAIL_30): DESIGN.cost_shares[
                    (Tier.GENERIC, Channel.RETAIL_30)
                ]
            },
        }
    )
    claims = [row(1, dt.date(2026, 1, 5), "preferred-brand", "150.00", "140.00"), *bystanders()]

    result = compute_what_if(design=no_brand, claims=claims, window=WINDOW, member_months=1)

    assert result.not_priced == 1
    assert result.member_after == D("250.00")  # $140 kept, and the bystanders' $110


def test_with_fewer_than_eleven_members_every_figure_is_hidden() -> None:
    cheaper = BenefitDesign(**{**_fields(DESIGN), "deductible_individual": D("50.00")})
    claims = [
        row(member, dt.date(2026, 1, 5), "preferred-brand", "150.00", "140.00")
        for member in range(1, 11)
    ]

    result = compute_what_if(design=cheaper, claims=claims, window=WINDOW, member_months=120)

    assert result.figures_hidden
    assert (result.claims, result.warm_up_claims, result.not_priced) == (None, None, None)
    assert (result.plan_before, result.plan_after) == (None, None)
    assert (result.member_before, result.member_after) == (None, None)
    assert result.member_shift_pmpm is None and result.plan_shift_pmpm is None
    assert result.members_with_claims is None and result.top_drugs == ()
    assert WhatIfResult.from_json(result.to_json()) == result


def test_a_single_hidden_drug_hides_the_next_smallest_listed_one_too() -> None:
    cheaper = BenefitDesign(**{**_fields(DESIGN), "deductible_individual": D("50.00")})
    brand = [  # drug 8: 20 members, drug 9: 12 members, drug 5: 2 members; all pay less
        row(member, dt.date(2026, 3, 1), "preferred-brand", "150.00", "140.00", drug=drug)
        for drug, members in ((8, range(1, 21)), (9, range(21, 33)), (5, range(33, 35)))
        for member in members
    ]

    result = compute_what_if(design=cheaper, claims=brand, window=WINDOW, member_months=400)

    # Otherwise (after - before) minus drugs 8 and 9 would be drug 5's shift for 2 members.
    assert [drug.drug_key for drug in result.top_drugs] == [8]
    assert result.drugs_not_shown == 2
    assert result.member_before == D("4760.00")  # the totals themselves are shown


def test_a_lone_hidden_drug_hides_the_after_totals() -> None:
    cheaper = BenefitDesign(**{**_fields(DESIGN), "deductible_individual": D("50.00")})
    claims = [  # drug 5: 2 members pay less; the bystanders' generic fills do not move
        *(row(member, dt.date(2026, 3, 1), "preferred-brand", "150.00", "140.00", drug=5)
          for member in (1, 2)),
        *bystanders(),
    ]  # fmt: skip

    result = compute_what_if(design=cheaper, claims=claims, window=WINDOW, member_months=400)

    # With no other changed drug to hide beside it, (after - before) would be drug 5's shift.
    assert result.top_drugs == () and result.drugs_not_shown == 1
    assert (result.plan_after, result.member_after) == (None, None)
    assert result.member_shift_pmpm is None and result.plan_shift_pmpm is None
    assert result.member_before == D("390.00")  # 2 x $140 + the bystanders' 11 x $10
    assert WhatIfResult.from_json(result.to_json()) == result


def _fields(design: BenefitDesign) -> dict[str, object]:
    return {name: getattr(design, name) for name in BenefitDesign.__slots__}
