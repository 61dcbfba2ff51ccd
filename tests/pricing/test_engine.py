"""Worked examples for the benefit engine, each checked against numbers computed by hand.

Pure Python: no database, no Django.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from rxportal.pricing.engine import (
    Accumulators,
    Adjudication,
    BenefitDesign,
    Channel,
    ClaimInput,
    CostShare,
    EngineInputError,
    NetworkStatus,
    NotCovered,
    Tier,
    adjudicate,
    channel_for,
)
from rxportal.pricing.partd import PART_D_STANDARD, part_d_standard_design

D = Decimal


def commercial_design(**overrides: object) -> BenefitDesign:
    """A commercial plan: $500 / $1,000 deductible, $3,000 / $6,000 out-of-pocket maximum."""
    design = BenefitDesign(
        code="TEST-COMMERCIAL",
        plan_year=2025,
        deductible_individual=D("500.00"),
        oop_max_individual=D("3000.00"),
        deductible_family=D("1000.00"),
        oop_max_family=D("6000.00"),
        cost_shares={
            (Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10.00")),
            (Tier.GENERIC, Channel.RETAIL_90): CostShare(copay=D("25.00")),
            (Tier.GENERIC, Channel.MAIL_90): CostShare(copay=D("20.00")),
            (Tier.PREFERRED_GENERIC, Channel.RETAIL_30): CostShare(
                copay=D("5.00"), deductible_applies=False
            ),
            (Tier.PREFERRED_BRAND, Channel.RETAIL_30): CostShare(
                coinsurance=D("0.20"), minimum=D("25.00"), maximum=D("100.00")
            ),
            (Tier.NON_PREFERRED_BRAND, Channel.RETAIL_30): CostShare(coinsurance=D("0.40")),
            (Tier.SPECIALTY, Channel.SPECIALTY): CostShare(
                coinsurance=D("0.30"), maximum=D("250.00")
            ),
        },
    )
    return replace(design, **overrides)  # type: ignore[arg-type]


NOTHING_MET = Accumulators()
DEDUCTIBLE_MET = Accumulators(deductible_met=D("500.00"), family_deductible_met=D("500.00"))


def claim(
    tier: Tier = Tier.GENERIC,
    cost: str = "100.00",
    days_supply: int = 30,
    channel: Channel = Channel.RETAIL_30,
    **extra: object,
) -> ClaimInput:
    return ClaimInput(
        tier=tier, drug_cost=D(cost), days_supply=days_supply, channel=channel, **extra
    )  # type: ignore[arg-type]


def codes(result: Adjudication) -> list[str]:
    return [line.code for line in result.explanation]


def money(result: Adjudication) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return result.member_pays, result.plan_pays, result.deductible_applied, result.oop_applied


# --- deductible, copay, coinsurance -----------------------------------------------------------


def test_cost_under_the_deductible_is_all_deductible() -> None:
    result = adjudicate(commercial_design(), NOTHING_MET, claim(cost="80.00"))

    assert money(result) == (D("80.00"), D("0.00"), D("80.00"), D("80.00"))
    assert result.accumulators_after == Accumulators(
        deductible_met=D("80.00"),
        oop_met=D("80.00"),
        family_deductible_met=D("80.00"),
        family_oop_met=D("80.00"),
    )
    assert codes(result) == ["total", "deductible", "summary"]


def test_copay_after_the_deductible_is_met() -> None:
    result = adjudicate(commercial_design(), DEDUCTIBLE_MET, claim(cost="80.00"))

    assert money(result) == (D("10.00"), D("70.00"), D("0.00"), D("10.00"))
    assert "copay" in codes(result)
    assert "deductible_met" in codes(result)


def test_claim_finishing_the_deductible_then_pays_the_copay() -> None:
    accumulators = Accumulators(deductible_met=D("450.00"), family_deductible_met=D("450.00"))

    result = adjudicate(commercial_design(), accumulators, claim(cost="80.00"))

    # $50 finishes the deductible, then the $10 copay on the remaining $30.
    assert money(result) == (D("60.00"), D("20.00"), D("50.00"), D("60.00"))
    assert result.accumulators_after.deductible_met == D("500.00")


def test_coinsurance_raised_to_the_minimum() -> None:
    result = adjudicate(
        commercial_design(), DEDUCTIBLE_MET, claim(Tier.PREFERRED_BRAND, cost="60.00")
    )

    # 20% of $60 is $12, below the $25 minimum.
    assert money(result) == (D("25.00"), D("35.00"), D("0.00"), D("25.00"))
    assert "coinsurance_minimum" in codes(result)


def test_coinsurance_limited_to_the_maximum() -> None:
    result = adjudicate(
        commercial_design(), DEDUCTIBLE_MET, claim(Tier.PREFERRED_BRAND, cost="900.00")
    )

    # 20% of $900 is $180, above the $100 maximum.
    assert money(result) == (D("100.00"), D("800.00"), D("0.00"), D("100.00"))
    assert "coinsurance_maximum" in codes(result)


def test_coinsurance_minimum_never_exceeds_the_drug_cost() -> None:
    result = adjudicate(
        commercial_design(), DEDUCTIBLE_MET, claim(Tier.PREFERRED_BRAND, cost="20.00")
    )

    assert money(result) == (D("20.00"), D("0.00"), D("0.00"), D("20.00"))
    assert codes(result)[-2:] == ["lesser_of", "summary"]


def test_tier_that_skips_the_deductible_pays_its_copay_from_the_first_dollar() -> None:
    result = adjudicate(
        commercial_design(), NOTHING_MET, claim(Tier.PREFERRED_GENERIC, cost="40.00")
    )

    assert money(result) == (D("5.00"), D("35.00"), D("0.00"), D("5.00"))
    assert result.accumulators_after.deductible_met == D("0.00")
    assert result.accumulators_after.oop_met == D("5.00")
    assert "deductible_skipped" in codes(result)


def test_cheap_generic_costs_less_than_the_copay() -> None:
    result = adjudicate(commercial_design(), DEDUCTIBLE_MET, claim(cost="4.00"))

    assert money(result) == (D("4.00"), D("0.00"), D("0.00"), D("4.00"))
    lesser_of = next(line for line in result.explanation if line.code == "lesser_of")
    assert lesser_of.amount == D("4.00")
    assert "$4.00" in lesser_of.text


def test_design_without_a_cost_share_charges_nothing_after_the_deductible() -> None:
    design = commercial_design(
        cost_shares={(Tier.ZERO_COST_SHARE_PREVENTATIVE, Channel.RETAIL_30): CostShare()}
    )

    result = adjudicate(
        design, DEDUCTIBLE_MET, claim(Tier.ZERO_COST_SHARE_PREVENTATIVE, cost="30.00")
    )

    assert money(result) == (D("0.00"), D("30.00"), D("0.00"), D("0.00"))
    assert result.accumulators_after is DEDUCTIBLE_MET


# --- family (embedded) accumulators and the out-of-pocket cap ---------------------------------


def test_family_deductible_met_before_the_individual_one() -> None:
    accumulators = Accumulators(deductible_met=D("100.00"), family_deductible_met=D("1000.00"))

    result = adjudicate(commercial_design(), accumulators, claim(cost="80.00"))

    assert money(result) == (D("10.00"), D("70.00"), D("0.00"), D("10.00"))
    met = next(line for line in result.explanation if line.code == "deductible_met")
    assert "family" in met.text


def test_family_deductible_remainder_limits_the_individual_one() -> None:
    # $400 left individually, but only $50 left for the family.
    accumulators = Accumulators(deductible_met=D("100.00"), family_deductible_met=D("950.00"))

    result = adjudicate(commercial_design(), accumulators, claim(cost="80.00"))

    assert money(result) == (D("60.00"), D("20.00"), D("50.00"), D("60.00"))
    assert result.accumulators_after.family_deductible_met == D("1000.00")
    assert result.accumulators_after.deductible_met == D("150.00")


def test_claim_spanning_deductible_coinsurance_and_the_cap() -> None:
    accumulators = Accumulators(
        deductible_met=D("200.00"),
        oop_met=D("2500.00"),
        family_deductible_met=D("200.00"),
        family_oop_met=D("2500.00"),
    )

    result = adjudicate(
        commercial_design(), accumulators, claim(Tier.NON_PREFERRED_BRAND, cost="1000.00")
    )

    # $300 finishes the deductible, 40% of the other $700 is $280: $580, but only $500 is left
    # before the $3,000 out-of-pocket maximum.
    assert money(result) == (D("500.00"), D("500.00"), D("300.00"), D("500.00"))
    assert result.accumulators_after.deductible_met == D("500.00")
    assert result.accumulators_after.oop_met == D("3000.00")
    assert codes(result) == ["total", "deductible", "coinsurance", "oop_cap", "summary"]


def test_member_pays_nothing_past_the_out_of_pocket_maximum() -> None:
    accumulators = Accumulators(
        deductible_met=D("500.00"),
        oop_met=D("3000.00"),
        family_deductible_met=D("500.00"),
        family_oop_met=D("3000.00"),
    )

    result = adjudicate(
        commercial_design(), accumulators, claim(Tier.NON_PREFERRED_BRAND, cost="1000.00")
    )

    assert money(result) == (D("0.00"), D("1000.00"), D("0.00"), D("0.00"))
    assert result.accumulators_after == accumulators
    cap = next(line for line in result.explanation if line.code == "oop_cap")
    assert "already met" in cap.text


def test_family_out_of_pocket_cap_limits_the_member_first() -> None:
    accumulators = replace(DEDUCTIBLE_MET, oop_met=D("1000.00"), family_oop_met=D("5900.00"))

    result = adjudicate(
        commercial_design(), accumulators, claim(Tier.NON_PREFERRED_BRAND, cost="1000.00")
    )

    # 40% of $1,000 is $400; the family has $100 left before $6,000.
    assert money(result) == (D("100.00"), D("900.00"), D("0.00"), D("100.00"))
    assert result.accumulators_after.family_oop_met == D("6000.00")
    assert result.accumulators_after.oop_met == D("1100.00")


def test_embedded_individual_out_of_pocket_cap_before_the_family_one() -> None:
    accumulators = replace(DEDUCTIBLE_MET, oop_met=D("2950.00"), family_oop_met=D("4000.00"))

    result = adjudicate(
        commercial_design(), accumulators, claim(Tier.NON_PREFERRED_BRAND, cost="1000.00")
    )

    assert money(result) == (D("50.00"), D("950.00"), D("0.00"), D("50.00"))
    assert result.accumulators_after.oop_met == D("3000.00")
    assert result.accumulators_after.family_oop_met == D("4050.00")


def test_design_without_family_accumulators_uses_the_individual_ones() -> None:
    design = commercial_design(deductible_family=None, oop_max_family=None)
    accumulators = Accumulators(family_deductible_met=D("99999.00"))

    result = adjudicate(design, accumulators, claim(cost="80.00"))

    assert result.deductible_applied == D("80.00")


# --- channels and 90-day supplies -------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "member_pays"),
    [
        (Channel.RETAIL_30, D("10.00")),
        (Channel.RETAIL_90, D("25.00")),
        (Channel.MAIL_90, D("20.00")),
    ],
)
def test_each_channel_uses_its_own_copay(channel: Channel, member_pays: Decimal) -> None:
    result = adjudicate(
        commercial_design(), DEDUCTIBLE_MET, claim(cost="200.00", days_supply=90, channel=channel)
    )

    assert result.member_pays == member_pays
    assert result.plan_pays == D("200.00") - member_pays


def test_retail_90_without_its_own_row_costs_three_retail_30_copays() -> None:
    design = commercial_design(
        cost_shares={(Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10.00"))}
    )

    result = adjudicate(
        design, DEDUCTIBLE_MET, claim(cost="200.00", days_supply=90, channel=Channel.RETAIL_90)
    )

    assert result.member_pays == D("30.00")
    assert "channel_fallback" in codes(result)


def test_mail_90_without_its_own_row_uses_the_retail_90_row() -> None:
    design = commercial_design(
        cost_shares={
            (Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10.00")),
            (Tier.GENERIC, Channel.RETAIL_90): CostShare(copay=D("25.00")),
        }
    )

    result = adjudicate(
        design, DEDUCTIBLE_MET, claim(cost="200.00", days_supply=90, channel=Channel.MAIL_90)
    )

    assert result.member_pays == D("25.00")
    assert "channel_fallback" not in codes(result)


def test_mail_90_with_only_a_retail_30_row_costs_three_copays() -> None:
    design = commercial_design(
        cost_shares={(Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10.00"))}
    )

    result = adjudicate(
        design, DEDUCTIBLE_MET, claim(cost="200.00", days_supply=90, channel=Channel.MAIL_90)
    )

    assert result.member_pays == D("30.00")


def test_retail_90_fallback_triples_the_coinsurance_minimum_and_maximum() -> None:
    result = adjudicate(
        commercial_design(),
        DEDUCTIBLE_MET,
        claim(Tier.PREFERRED_BRAND, cost="3000.00", days_supply=90, channel=Channel.RETAIL_90),
    )

    # 20% of $3,000 is $600, above the tripled $300 maximum.
    assert result.member_pays == D("300.00")


def test_tier_and_channel_the_design_does_not_price_is_not_covered() -> None:
    with pytest.raises(NotCovered, match="specialty") as raised:
        adjudicate(commercial_design(), NOTHING_MET, claim(Tier.SPECIALTY))

    assert raised.value.tier is Tier.SPECIALTY
    assert raised.value.channel is Channel.RETAIL_30


@pytest.mark.parametrize(
    ("name", "days_supply", "channel"),
    [
        ("retail", 30, Channel.RETAIL_30),
        ("retail", 83, Channel.RETAIL_30),
        ("retail", 84, Channel.RETAIL_90),
        ("retail", 90, Channel.RETAIL_90),
        ("mail", 90, Channel.MAIL_90),
        ("mail", 30, Channel.MAIL_90),
        ("specialty", 28, Channel.SPECIALTY),
        (" Retail ", 90, Channel.RETAIL_90),
    ],
)
def test_channel_for_maps_the_cli_vocabulary(name: str, days_supply: int, channel: Channel) -> None:
    assert channel_for(name, days_supply) is channel


@pytest.mark.parametrize(("name", "days_supply"), [("drive-thru", 30), ("", 30), ("retail", 0)])
def test_channel_for_rejects_what_it_cannot_map(name: str, days_supply: int) -> None:
    with pytest.raises(EngineInputError):
        channel_for(name, days_supply)


# --- insulin, network status, input errors, rounding ------------------------------------------


@pytest.mark.parametrize(
    ("days_supply", "member_pays"),
    [(30, D("35.00")), (31, D("70.00")), (1, D("35.00"))],
)
def test_insulin_cap_per_month_of_supply(days_supply: int, member_pays: Decimal) -> None:
    design = commercial_design(insulin_monthly_cap=D("35.00"))

    result = adjudicate(
        design,
        NOTHING_MET,
        claim(Tier.PREFERRED_BRAND, cost="400.00", days_supply=days_supply, is_insulin=True),
    )

    # No deductible for insulin; 20% of $400 is $80, capped per month of supply.
    assert result.member_pays == member_pays
    assert result.deductible_applied == D("0.00")
    assert result.oop_applied == member_pays
    assert "insulin_cap" in codes(result)


def test_insulin_cap_when_the_deductible_still_applies() -> None:
    design = commercial_design(insulin_monthly_cap=D("35.00"), insulin_skips_deductible=False)

    result = adjudicate(
        design, NOTHING_MET, claim(Tier.PREFERRED_BRAND, cost="400.00", is_insulin=True)
    )

    # $400 would all go to the deductible, but the fill is capped at $35; only $35 accrues.
    assert money(result) == (D("35.00"), D("365.00"), D("35.00"), D("35.00"))
    assert result.accumulators_after.deductible_met == D("35.00")


def test_insulin_flag_without_a_cap_in_the_design_prices_normally() -> None:
    result = adjudicate(commercial_design(), NOTHING_MET, claim(cost="80.00", is_insulin=True))

    assert result.deductible_applied == D("80.00")


def test_out_of_network_not_covered_member_pays_everything_and_nothing_accrues() -> None:
    result = adjudicate(
        commercial_design(),
        NOTHING_MET,
        claim(cost="80.00", network_status=NetworkStatus.OUT_OF_NETWORK),
    )

    assert money(result) == (D("80.00"), D("0.00"), D("0.00"), D("0.00"))
    assert result.accumulators_after == NOTHING_MET
    assert codes(result) == ["out_of_network", "summary"]
    assert "does not cover" in result.explanation[0].text


def test_out_of_network_covered_prices_like_in_network() -> None:
    design = commercial_design(out_of_network_covered=True)

    result = adjudicate(
        design, DEDUCTIBLE_MET, claim(cost="80.00", network_status=NetworkStatus.OUT_OF_NETWORK)
    )

    assert money(result) == (D("10.00"), D("70.00"), D("0.00"), D("10.00"))
    assert "out_of_network" in codes(result)


def test_preferred_pharmacy_prices_like_in_network() -> None:
    result = adjudicate(
        commercial_design(),
        DEDUCTIBLE_MET,
        claim(cost="80.00", network_status=NetworkStatus.PREFERRED),
    )

    assert result.member_pays == D("10.00")


@pytest.mark.parametrize(
    ("cost", "days_supply", "message"),
    [
        ("-0.01", 30, "drug_cost"),
        ("NaN", 30, "drug_cost"),
        ("10.00", 0, "days_supply"),
        ("10.00", -5, "days_supply"),
    ],
)
def test_bad_claim_input_is_rejected(cost: str, days_supply: int, message: str) -> None:
    with pytest.raises(EngineInputError, match=message):
        adjudicate(commercial_design(), NOTHING_MET, claim(cost=cost, days_supply=days_supply))


def test_design_with_both_copay_and_coinsurance_is_rejected() -> None:
    design = commercial_design(
        cost_shares={
            (Tier.GENERIC, Channel.RETAIL_30): CostShare(copay=D("10"), coinsurance=D("0.2"))
        }
    )

    with pytest.raises(EngineInputError, match="both a copay and a coinsurance"):
        adjudicate(design, DEDUCTIBLE_MET, claim())


def test_zero_cost_claim_costs_nobody_anything() -> None:
    result = adjudicate(commercial_design(), NOTHING_MET, claim(cost="0"))

    assert money(result) == (D("0.00"), D("0.00"), D("0.00"), D("0.00"))
    assert result.accumulators_after is NOTHING_MET


def test_money_is_rounded_half_up_to_cents() -> None:
    design = part_d_standard_design(2025)
    accumulators = Accumulators(deductible_met=D("590.00"))

    result = adjudicate(design, accumulators, claim(cost="10.10"))

    # 25% of $10.10 is $2.525, which rounds up to $2.53.
    assert money(result) == (D("2.53"), D("7.57"), D("0.00"), D("2.53"))
    assert adjudicate(design, accumulators, claim(cost="10.105")).total_cost == D("10.11")


def test_explanation_reads_in_dollars_and_cents() -> None:
    result = adjudicate(part_d_standard_design(2025), NOTHING_MET, claim(cost="1000"))

    texts = [line.text for line in result.explanation]
    assert texts == [
        "The total cost of this fill is $1,000.00.",
        "Deductible: you pay the first $590.00 of the cost because your deductible is not yet met.",
        "After the deductible, you pay 25% of the remaining $410.00, which is $102.50.",
        "You pay $692.50. Your plan pays $307.50.",
    ]
    assert [line.amount for line in result.explanation] == [
        D("1000.00"),
        D("590.00"),
        D("102.50"),
        D("692.50"),
    ]


def test_explain_false_gives_the_same_money_without_lines() -> None:
    design = commercial_design()
    fill = claim(Tier.NON_PREFERRED_BRAND, cost="1000.00")

    quiet = adjudicate(design, NOTHING_MET, fill, explain=False)

    assert quiet.explanation == ()
    assert replace(quiet, explanation=()) == replace(
        adjudicate(design, NOTHING_MET, fill), explanation=()
    )


# --- Medicare Part D defined standard benefit -------------------------------------------------


def test_part_d_designs_carry_the_published_parameters() -> None:
    design_2025 = part_d_standard_design(2025)
    design_2026 = part_d_standard_design(2026)

    assert (
        design_2025.code,
        design_2025.deductible_individual,
        design_2025.oop_max_individual,
    ) == (
        "PARTD-STD-2025",
        D("590.00"),
        D("2000.00"),
    )
    assert (
        design_2026.code,
        design_2026.deductible_individual,
        design_2026.oop_max_individual,
    ) == (
        "PARTD-STD-2026",
        D("615.00"),
        D("2100.00"),
    )
    assert design_2025.deductible_family is None
    assert design_2025.oop_max_family is None
    assert len(design_2025.cost_shares) == len(Tier) * len(Channel)
    assert set(PART_D_STANDARD) == {2025, 2026}


@pytest.mark.parametrize("year", [2024, 2027])
def test_part_d_unknown_year_is_rejected(year: int) -> None:
    with pytest.raises(EngineInputError, match=str(year)):
        part_d_standard_design(year)


@pytest.mark.parametrize("tier", list(Tier))
@pytest.mark.parametrize("channel", list(Channel))
def test_part_d_2025_first_fill_pays_deductible_then_a_quarter(
    tier: Tier, channel: Channel
) -> None:
    result = adjudicate(
        part_d_standard_design(2025), NOTHING_MET, claim(tier, cost="1000.00", channel=channel)
    )

    # $590 deductible + 25% of the other $410.
    assert money(result) == (D("692.50"), D("307.50"), D("590.00"), D("692.50"))


def test_part_d_2025_claim_crossing_the_cap() -> None:
    accumulators = Accumulators(deductible_met=D("590.00"), oop_met=D("1900.00"))

    result = adjudicate(part_d_standard_design(2025), accumulators, claim(cost="1000.00"))

    # 25% would be $250, but only $100 is left before $2,000.
    assert money(result) == (D("100.00"), D("900.00"), D("0.00"), D("100.00"))
    assert result.accumulators_after.oop_met == D("2000.00")


def test_part_d_2025_past_the_cap_pays_nothing() -> None:
    accumulators = Accumulators(deductible_met=D("590.00"), oop_met=D("2000.00"))

    result = adjudicate(part_d_standard_design(2025), accumulators, claim(cost="5000.00"))

    assert money(result) == (D("0.00"), D("5000.00"), D("0.00"), D("0.00"))


def test_part_d_2025_expensive_first_fill_reaches_the_cap_at_once() -> None:
    result = adjudicate(part_d_standard_design(2025), NOTHING_MET, claim(cost="10000.00"))

    # $590 + 25% of $9,410 = $2,942.50, capped at $2,000.
    assert money(result) == (D("2000.00"), D("8000.00"), D("590.00"), D("2000.00"))


@pytest.mark.parametrize(
    ("cost", "days_supply", "channel", "member_pays"),
    [
        ("400.00", 30, Channel.RETAIL_30, D("35.00")),
        ("1200.00", 90, Channel.MAIL_90, D("105.00")),
        ("1200.00", 90, Channel.RETAIL_90, D("105.00")),
        ("100.00", 30, Channel.RETAIL_30, D("25.00")),  # 25% is under the cap
    ],
)
def test_part_d_insulin_is_capped_at_35_a_month_with_no_deductible(
    cost: str, days_supply: int, channel: Channel, member_pays: Decimal
) -> None:
    result = adjudicate(
        part_d_standard_design(2025),
        NOTHING_MET,
        claim(
            Tier.PREFERRED_BRAND,
            cost=cost,
            days_supply=days_supply,
            channel=channel,
            is_insulin=True,
        ),
    )

    assert result.member_pays == member_pays
    assert result.deductible_applied == D("0.00")
    assert result.accumulators_after.oop_met == member_pays


def test_part_d_2026_first_fill_uses_the_615_deductible() -> None:
    result = adjudicate(part_d_standard_design(2026), NOTHING_MET, claim(cost="1000.00"))

    # $615 deductible + 25% of the other $385 ($96.25).
    assert money(result) == (D("711.25"), D("288.75"), D("615.00"), D("711.25"))


def test_part_d_2026_cap_is_2100() -> None:
    accumulators = Accumulators(deductible_met=D("615.00"), oop_met=D("2000.00"))

    result = adjudicate(part_d_standard_design(2026), accumulators, claim(cost="1000.00"))

    # Under 2025's $2,000 cap this member would pay nothing; in 2026 $100 is left.
    assert money(result) == (D("100.00"), D("900.00"), D("0.00"), D("100.00"))
    assert result.accumulators_after.oop_met == D("2100.00")
