"""Design changes applied to the engine's BenefitDesign, and the inputs hash (no database)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from rxportal.pricing.engine import BenefitDesign, Channel, CostShare, Tier
from rxportal.whatif.design import (
    CostShareChange,
    DesignChange,
    apply_design_change,
    compute_inputs_hash,
    design_to_json,
)

DESIGN = BenefitDesign(
    code="GOLD",
    plan_year=2026,
    deductible_individual=D("250.00"),
    oop_max_individual=D("3000.00"),
    deductible_family=D("500.00"),
    oop_max_family=D("6000.00"),
    cost_shares={
        (Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10.00"), deductible_applies=False),
        (Tier.GENERIC, Channel.MAIL_90): CostShare(copay=D("20.00"), deductible_applies=False),
        (Tier.PREFERRED_BRAND, Channel.RETAIL_30): CostShare(copay=D("40.00")),
        (Tier.SPECIALTY, Channel.SPECIALTY): CostShare(
            coinsurance=D("0.25"), minimum=D("100.00"), maximum=D("250.00")
        ),
    },
)


def test_no_change_gives_the_same_design() -> None:
    assert apply_design_change(DESIGN, DesignChange()) == DESIGN
    assert DesignChange().is_empty


def test_a_copay_for_one_channel_replaces_that_row_only_and_keeps_the_deductible_rule() -> None:
    change = DesignChange(
        cost_shares=(CostShareChange(Tier.GENERIC, Channel.RETAIL_30, copay=D("5.00")),)
    )

    design = apply_design_change(DESIGN, change)

    assert design.cost_shares[(Tier.GENERIC, Channel.RETAIL_30)] == CostShare(
        copay=D("5.00"), deductible_applies=False
    )
    assert design.cost_shares[(Tier.GENERIC, Channel.MAIL_90)] == CostShare(
        copay=D("20.00"), deductible_applies=False
    )
    assert DESIGN.cost_shares[(Tier.GENERIC, Channel.RETAIL_30)].copay == D("10.00")  # untouched


def test_a_coinsurance_for_every_channel_keeps_the_per_fill_floor_and_ceiling() -> None:
    change = DesignChange(
        cost_shares=(
            CostShareChange(Tier.SPECIALTY, None, coinsurance_pct=D("30")),
            CostShareChange(Tier.GENERIC, None, coinsurance_pct=D("50")),
        )
    )

    design = apply_design_change(DESIGN, change)

    assert design.cost_shares[(Tier.SPECIALTY, Channel.SPECIALTY)] == CostShare(
        coinsurance=D("0.3"), minimum=D("100.00"), maximum=D("250.00")
    )
    generic = [key for key in design.cost_shares if key[0] is Tier.GENERIC]
    assert sorted(generic) == [(Tier.GENERIC, Channel.MAIL_90), (Tier.GENERIC, Channel.RETAIL_30)]
    assert all(design.cost_shares[key].coinsurance == D("0.5") for key in generic)
    assert all(design.cost_shares[key].copay is None for key in generic)


def test_a_channel_the_tier_had_no_row_for_gets_one() -> None:
    change = DesignChange(
        cost_shares=(CostShareChange(Tier.PREFERRED_BRAND, Channel.MAIL_90, copay=D("60.00")),)
    )

    design = apply_design_change(DESIGN, change)

    assert design.cost_shares[(Tier.PREFERRED_BRAND, Channel.MAIL_90)] == CostShare(
        copay=D("60.00"), deductible_applies=True
    )


def test_the_mail_incentive_prices_90_days_by_mail_as_months_of_the_retail_copay() -> None:
    change = DesignChange(
        cost_shares=(CostShareChange(Tier.GENERIC, Channel.RETAIL_30, copay=D("12.00")),),
        mail_copay_months=D("2"),
    )

    design = apply_design_change(DESIGN, change)

    # After the tier change: 2 x the new $12 retail copay; the brand tier gets a mail row too.
    assert design.cost_shares[(Tier.GENERIC, Channel.MAIL_90)].copay == D("24.00")
    assert design.cost_shares[(Tier.PREFERRED_BRAND, Channel.MAIL_90)] == CostShare(
        copay=D("80.00"), deductible_applies=True
    )
    # Coinsurance tiers keep theirs.
    assert (Tier.SPECIALTY, Channel.MAIL_90) not in design.cost_shares


def test_deductible_and_out_of_pocket_amounts_change_and_others_stay() -> None:
    change = DesignChange(deductible_individual=D("500.00"), oop_max_family=D("8000.00"))

    design = apply_design_change(DESIGN, change)

    assert design.deductible_individual == D("500.00")
    assert design.oop_max_family == D("8000.00")
    assert design.deductible_family == D("500.00")
    assert design.oop_max_individual == D("3000.00")


def test_a_cost_share_change_needs_exactly_one_amount() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        CostShareChange(Tier.GENERIC, None)
    with pytest.raises(ValueError, match="exactly one"):
        CostShareChange(Tier.GENERIC, None, copay=D(1), coinsurance_pct=D(10))


def test_a_change_survives_json() -> None:
    change = DesignChange(
        deductible_individual=D("0.00"),
        cost_shares=(
            CostShareChange(Tier.GENERIC, Channel.RETAIL_30, copay=D("5.00")),
            CostShareChange(Tier.SPECIALTY, None, coinsurance_pct=D("20")),
        ),
        mail_copay_months=D("2.5"),
    )

    assert DesignChange.from_json(change.to_json()) == change


def test_the_inputs_hash_is_stable_and_tells_inputs_apart() -> None:
    inputs = {"design": design_to_json(DESIGN), "change": DesignChange().to_json(), "n": 1}
    same = {"n": 1, "change": DesignChange().to_json(), "design": design_to_json(DESIGN)}
    changed = DesignChange(deductible_individual=D("300.00")).to_json()

    assert compute_inputs_hash(inputs) == compute_inputs_hash(same)
    assert len(compute_inputs_hash(inputs)) == 64
    assert compute_inputs_hash(inputs) != compute_inputs_hash({**inputs, "change": changed})
