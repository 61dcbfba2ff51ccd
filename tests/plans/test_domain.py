"""Pure plan rules: the design mapping and reading the real marketplace cost sharing."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from django.conf import settings

from rxportal.plans.domain import (
    ACA_2024_OOP_MAX_FAMILY,
    ACA_2024_OOP_MAX_INDIVIDUAL,
    CostShareValues,
    PlanValues,
    choose_qhp_terms,
    compute_qhp_cost_shares,
    compute_qhp_plan_specs,
    cost_share_values_from_design,
    deductible_from_marketing_name,
    interpret_qhp_row,
    to_benefit_design,
)
from rxportal.pricing.engine import Channel, CostShare, Tier
from rxportal.pricing.partd import part_d_standard_design


def _row(copay: str, copay_option: str, pct: str, pct_option: str, **extra: str) -> dict:
    return {
        "copay_usd": copay,
        "copay_option": copay_option,
        "coinsurance_pct": pct,
        "coinsurance_option": pct_option,
        **extra,
    }


def _read(name: str) -> list[dict[str, str]]:
    with (settings.RXPORTAL_REFERENCE_DATA_DIR / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_to_benefit_design_turns_percent_into_fraction() -> None:
    plan = PlanValues(
        code="X",
        plan_year=2026,
        deductible_individual=Decimal("500.00"),
        oop_max_individual=Decimal("3000.00"),
        deductible_family=Decimal("1000.00"),
        oop_max_family=Decimal("6000.00"),
        insulin_monthly_cap=Decimal("35.00"),
    )
    rows = [
        CostShareValues(tier="generic", channel="retail_30", copay=Decimal("10.00")),
        CostShareValues(
            tier="preferred-brand",
            channel="retail_30",
            coinsurance_pct=Decimal("25.00"),
            minimum=Decimal("30.00"),
            maximum=Decimal("100.00"),
            deductible_applies=False,
        ),
    ]

    design = to_benefit_design(plan=plan, cost_shares=rows)

    assert design.cost_shares[(Tier.PREFERRED_BRAND, Channel.RETAIL_30)] == CostShare(
        coinsurance=Decimal("0.25"),
        minimum=Decimal("30.00"),
        maximum=Decimal("100.00"),
        deductible_applies=False,
    )
    assert design.cost_shares[(Tier.GENERIC, Channel.RETAIL_30)].copay == Decimal("10.00")
    assert (design.deductible_family, design.oop_max_family) == (Decimal(1000), Decimal(6000))
    assert design.insulin_monthly_cap == Decimal("35.00")


@pytest.mark.parametrize("year", [2025, 2026])
def test_part_d_design_survives_the_round_trip_through_stored_values(year: int) -> None:
    design = part_d_standard_design(year)
    plan = PlanValues(
        code=design.code,
        plan_year=year,
        deductible_individual=design.deductible_individual,
        oop_max_individual=design.oop_max_individual,
        insulin_monthly_cap=design.insulin_monthly_cap,
    )

    stored = cost_share_values_from_design(design)

    assert {row.coinsurance_pct for row in stored} == {Decimal("25.00")}
    assert to_benefit_design(plan=plan, cost_shares=stored) == design


@pytest.mark.parametrize(
    ("row", "copay", "pct", "deductible"),
    [
        # coinsurance 100 after deductible = "copay after deductible" (data README)
        (_row("20.0", "after-deductible", "100.0", "after-deductible"), "20.0", None, True),
        (_row("0", "no-charge", "100.0", "after-deductible"), "0", None, True),
        (_row("0.0", "no-charge", "0.0", "no-charge"), "0.0", None, False),
        (_row("0.0", "after-deductible", "0.0", "no-charge"), "0.0", None, True),
        (_row("0.0", "no-charge", "0.0", "after-deductible"), "0.0", None, True),
        (_row("0", "no-charge", "30", "after-deductible"), None, "30", True),
    ],
)
def test_interpret_qhp_row(row: dict, copay: str | None, pct: str | None, deductible: bool) -> None:
    terms = interpret_qhp_row(row)

    assert terms.copay == (Decimal(copay) if copay is not None else None)
    assert terms.coinsurance_pct == (Decimal(pct) if pct is not None else None)
    assert terms.deductible_applies is deductible


def test_several_rows_for_a_tier_pick_the_one_the_member_pays_most_under() -> None:
    rows = [
        _row("0.0", "no-charge", "0.0", "no-charge"),
        _row("40", "after-deductible", "100.0", "after-deductible"),
        _row("20.0", "after-deductible", "100.0", "after-deductible"),
    ]

    assert choose_qhp_terms(rows).copay == Decimal(40)


def test_a_tie_on_amount_picks_the_row_where_the_deductible_applies() -> None:
    rows = [_row("0", "no-charge", "100.0", "after-deductible"), _row("0.0", "no-charge", "0", "")]

    assert choose_qhp_terms(rows).deductible_applies is True


@pytest.mark.parametrize(
    ("name", "amount"),
    [
        ("BlueChoice HMO HSA Silver $3,000", "3000"),
        ("BlueChoice HMO Young Adult $9,100", "9100"),
        ("BlueChoice HMO Gold 1000", "1000"),
        ("BluePreferred PPO Platinum 0 100%/80%", "0"),
        ("BluePreferred PPO HSA/HRA Silver 2750 80%/60%", "2750"),
        ("Some Plan Without Amount", None),
    ],
)
def test_deductible_from_marketing_name(name: str, amount: str | None) -> None:
    expected = Decimal(amount) if amount is not None else None

    assert deductible_from_marketing_name(name) == expected


def test_channels_come_from_the_benefit_types_and_mail_copies_retail_90() -> None:
    rows = [
        _row("10", "after-deductible", "100", "after-deductible", **base)
        for base in (
            {"pharmacy_benefit_type": "1-month-in-retail", "drug_tier": "generic"},
            {"pharmacy_benefit_type": "1-month-in-retail", "drug_tier": "specialty"},
            {"pharmacy_benefit_type": "1-month-in-retail", "drug_tier": "medical-service"},
        )
    ] + [
        _row("25", "after-deductible", "100", "after-deductible", **base)
        for base in ({"pharmacy_benefit_type": "3-month-in-retail", "drug_tier": "generic"},)
    ]

    shares = {(s.tier, s.channel): s for s in compute_qhp_cost_shares(rows)}

    assert shares[("generic", "retail_30")].copay == Decimal("10.00")
    assert shares[("generic", "retail_90")].copay == Decimal("25.00")
    assert shares[("generic", "mail_90")] == CostShareValues(
        tier="generic", channel="mail_90", copay=Decimal("25.00"), deductible_applies=True
    )
    assert shares[("specialty", "specialty")].copay == Decimal("10.00")
    assert ("specialty", "retail_90") not in shares
    assert not any(tier == "medical-service" for tier, _ in shares)


def test_plan_specs_from_the_real_files_carry_name_deductibles_and_aca_limits() -> None:
    specs = {
        spec.source_plan_id: spec
        for spec in compute_qhp_plan_specs(
            plan_rows=_read("qhp_formulary_plans.csv"),
            cost_rows=_read("qhp_formulary_cost_sharing.csv"),
        )
    }

    assert len(specs) == 18
    spec = specs["10207VA0380001"]
    assert spec.marketing_name == "BlueChoice HMO HSA Silver $3,000"
    assert (spec.deductible_individual, spec.deductible_family) == (Decimal(3000), Decimal(6000))
    assert (spec.oop_max_individual, spec.oop_max_family) == (
        ACA_2024_OOP_MAX_INDIVIDUAL,
        ACA_2024_OOP_MAX_FAMILY,
    )
    assert spec.formulary_code == "Formulary-10207VA0380001"
    assert {(s.tier, s.channel) for s in spec.cost_shares} >= {
        ("generic", "retail_30"),
        ("generic", "mail_90"),
        ("specialty", "specialty"),
    }
