"""Properties of the benefit engine over random designs, accumulators and claims.

Pure Python: no database, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rxportal.pricing.engine import (
    Accumulators,
    BenefitDesign,
    Channel,
    ClaimInput,
    CostShare,
    NetworkStatus,
    Tier,
    adjudicate,
)

CENT = Decimal("0.01")


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda amount: Decimal(amount).scaleb(-2))


rates = st.integers(0, 100).map(lambda percent: Decimal(percent).scaleb(-2))


@st.composite
def cost_shares(draw: st.DrawFn) -> CostShare:
    deductible_applies = draw(st.booleans())
    kind = draw(st.sampled_from(["copay", "coinsurance", "none"]))
    if kind == "copay":
        return CostShare(copay=draw(cents(0, 20_000)), deductible_applies=deductible_applies)
    if kind == "none":
        return CostShare(deductible_applies=deductible_applies)
    minimum = draw(st.none() | cents(0, 10_000))
    maximum = draw(st.none() | cents(0, 50_000))
    if minimum is not None and maximum is not None and minimum > maximum:
        minimum, maximum = maximum, minimum
    return CostShare(
        coinsurance=draw(rates),
        minimum=minimum,
        maximum=maximum,
        deductible_applies=deductible_applies,
    )


@st.composite
def designs(draw: st.DrawFn) -> BenefitDesign:
    deductible = draw(cents(0, 500_000))
    oop_max = draw(cents(0, 1_000_000))
    has_family = draw(st.booleans())
    return BenefitDesign(
        code="PROPERTY",
        plan_year=2025,
        deductible_individual=deductible,
        oop_max_individual=oop_max,
        deductible_family=deductible + draw(cents(0, 500_000)) if has_family else None,
        oop_max_family=oop_max + draw(cents(0, 1_000_000)) if has_family else None,
        cost_shares=draw(
            st.dictionaries(
                st.tuples(st.sampled_from(Tier), st.sampled_from(Channel)),
                cost_shares(),
                min_size=1,
                max_size=6,
            )
        ),
        insulin_monthly_cap=draw(st.none() | cents(0, 10_000)),
        insulin_skips_deductible=draw(st.booleans()),
        out_of_network_covered=draw(st.booleans()),
    )


def amount_within(maximum: Decimal | None) -> st.SearchStrategy[Decimal]:
    """An amount already met, within `maximum` (anything plausible when there is none)."""
    upper = 2_000_000 if maximum is None else int(maximum * 100)
    return cents(0, upper)


@dataclass(frozen=True)
class Scenario:
    design: BenefitDesign
    accumulators: Accumulators
    claim: ClaimInput


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A design, accumulators within its maxima, and a claim on a (tier, channel) it prices."""
    design = draw(designs())
    accumulators = Accumulators(
        deductible_met=draw(amount_within(design.deductible_individual)),
        oop_met=draw(amount_within(design.oop_max_individual)),
        family_deductible_met=draw(amount_within(design.deductible_family)),
        family_oop_met=draw(amount_within(design.oop_max_family)),
    )
    tier, channel = draw(st.sampled_from(sorted(design.cost_shares)))
    claim = ClaimInput(
        tier=tier,
        # Thousandths of a dollar, so rounding to cents is exercised too.
        drug_cost=draw(st.integers(0, 10_000_000).map(lambda amount: Decimal(amount).scaleb(-3))),
        days_supply=draw(st.integers(1, 120)),
        channel=channel,
        is_insulin=draw(st.booleans()),
        network_status=draw(st.sampled_from(NetworkStatus)),
    )
    return Scenario(design, accumulators, claim)


def is_covered(scenario: Scenario) -> bool:
    return (
        scenario.claim.network_status is not NetworkStatus.OUT_OF_NETWORK
        or scenario.design.out_of_network_covered
    )


@settings(max_examples=200)
@given(scenarios())
def test_member_and_plan_shares_add_up_to_the_total(scenario: Scenario) -> None:
    result = adjudicate(scenario.design, scenario.accumulators, scenario.claim)

    assert result.member_pays + result.plan_pays == result.total_cost
    assert result.total_cost == scenario.claim.drug_cost.quantize(CENT, ROUND_HALF_UP)


@settings(max_examples=200)
@given(scenarios())
def test_member_pays_between_nothing_and_the_total(scenario: Scenario) -> None:
    result = adjudicate(scenario.design, scenario.accumulators, scenario.claim)

    assert 0 <= result.member_pays <= result.total_cost


@settings(max_examples=200)
@given(scenarios())
def test_every_amount_is_in_whole_cents(scenario: Scenario) -> None:
    result = adjudicate(scenario.design, scenario.accumulators, scenario.claim)

    for amount in (
        result.total_cost,
        result.member_pays,
        result.plan_pays,
        result.deductible_applied,
        result.oop_applied,
    ):
        assert amount == amount.quantize(CENT)


@settings(max_examples=200)
@given(scenarios())
def test_accumulators_never_pass_their_maximums(scenario: Scenario) -> None:
    design = scenario.design

    after = adjudicate(design, scenario.accumulators, scenario.claim).accumulators_after

    assert after.deductible_met <= design.deductible_individual
    assert after.oop_met <= design.oop_max_individual
    if design.deductible_family is not None:
        assert after.family_deductible_met <= design.deductible_family
    if design.oop_max_family is not None:
        assert after.family_oop_met <= design.oop_max_family


@settings(max_examples=200)
@given(scenarios())
def test_accumulators_grow_by_exactly_what_was_applied(scenario: Scenario) -> None:
    before = scenario.accumulators

    result = adjudicate(scenario.design, before, scenario.claim)

    after = result.accumulators_after
    assert after.deductible_met == before.deductible_met + result.deductible_applied
    assert after.family_deductible_met == before.family_deductible_met + result.deductible_applied
    assert after.oop_met == before.oop_met + result.oop_applied
    assert after.family_oop_met == before.family_oop_met + result.oop_applied


@settings(max_examples=300)
@given(scenarios())
def test_member_at_the_out_of_pocket_maximum_pays_nothing(scenario: Scenario) -> None:
    accumulators = replace(scenario.accumulators, oop_met=scenario.design.oop_max_individual)

    result = adjudicate(scenario.design, accumulators, scenario.claim)

    if is_covered(scenario):
        assert result.member_pays == 0
        assert result.plan_pays == result.total_cost


@settings(max_examples=300)
@given(scenarios())
def test_family_at_the_out_of_pocket_maximum_pays_nothing(scenario: Scenario) -> None:
    family_max = scenario.design.oop_max_family
    if family_max is None:
        return
    accumulators = replace(scenario.accumulators, family_oop_met=family_max)

    result = adjudicate(scenario.design, accumulators, scenario.claim)

    if is_covered(scenario):
        assert result.member_pays == 0


@settings(max_examples=200)
@given(scenarios())
def test_deductible_applied_is_part_of_what_the_member_pays(scenario: Scenario) -> None:
    result = adjudicate(scenario.design, scenario.accumulators, scenario.claim)

    assert 0 <= result.deductible_applied <= result.member_pays


@settings(max_examples=200)
@given(scenarios())
def test_covered_claims_count_everything_the_member_pays_to_out_of_pocket(
    scenario: Scenario,
) -> None:
    result = adjudicate(scenario.design, scenario.accumulators, scenario.claim)

    if is_covered(scenario):
        assert result.oop_applied == result.member_pays
    else:
        assert result.member_pays == result.total_cost
        assert result.plan_pays == 0
        assert result.oop_applied == result.deductible_applied == 0
        assert result.accumulators_after == scenario.accumulators


@settings(max_examples=300)
@given(scenarios())
def test_insulin_never_costs_more_than_the_cap_per_month(scenario: Scenario) -> None:
    cap = scenario.design.insulin_monthly_cap
    if cap is None or not scenario.claim.is_insulin or not is_covered(scenario):
        return
    months = -(-scenario.claim.days_supply // 30)

    result = adjudicate(scenario.design, scenario.accumulators, scenario.claim)

    assert result.member_pays <= cap * months
    if scenario.design.insulin_skips_deductible:
        assert result.deductible_applied == 0


@settings(max_examples=300)
@given(scenarios())
def test_explanation_is_optional_and_does_not_change_the_money(scenario: Scenario) -> None:
    explained = adjudicate(scenario.design, scenario.accumulators, scenario.claim)
    quiet = adjudicate(scenario.design, scenario.accumulators, scenario.claim, explain=False)

    assert quiet.explanation == ()
    assert replace(quiet, explanation=()) == replace(explained, explanation=())
    assert explained.explanation[-1].code == "summary"
    assert explained.explanation[-1].amount == explained.member_pays
