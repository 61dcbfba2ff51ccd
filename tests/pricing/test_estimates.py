"""The cost estimator's selectors: every figure is the engine's on the same inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rxportal.claims.models import AccumulatorScope
from rxportal.plans.selectors import benefit_design_for
from rxportal.pricing import domain
from rxportal.pricing.engine import (
    Accumulators,
    Channel,
    ClaimInput,
    NetworkStatus,
    Tier,
    adjudicate,
)
from rxportal.pricing.errors import InvalidDaysSupply, InvalidQuantity, UnknownChannel
from rxportal.pricing.presentation import explanation_texts, not_covered_text, note_texts
from rxportal.pricing.selectors import (
    compare_fill_options,
    estimate_fill,
    list_drugs_matching,
    list_fill_options,
)
from rxportal.pricing.selectors.estimates import EstimateNote, NotCoveredReason
from tests.factories import AccumulatorFactory
from tests.pricing.conftest import PricingWorld

D = Decimal


def _engine(world: PricingWorld, accumulators: Accumulators, claim: ClaimInput):  # type: ignore[no-untyped-def]
    return adjudicate(benefit_design_for(world.member.plan), accumulators, claim)


# --- domain ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "days", "per_day", "units"),
    [
        ("atorvastatin 20 MG Oral Tablet", 30, 1, 30),
        ("atorvastatin 20 MG Oral Tablet", 90, 2, 180),
        ("insulin glargine 100 UNT/ML Injectable Solution", 90, 1, 30),
        ("albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", 90, 1, 3),
        ("adalimumab 40 MG/ML Prefilled Syringe", 30, 1, 1),
    ],
)
def test_units_per_fill_follow_the_dose_form(
    name: str, days: int, per_day: int, units: int
) -> None:
    assert domain.compute_units_per_fill(drug_name=name, days_supply=days, per_day=per_day) == units


def test_quantity_limit_scales_with_days_supply() -> None:
    assert domain.compute_quantity_limit_for_fill(amount=30, period_days=30, days_supply=90) == 90
    assert domain.compute_quantity_limit_for_fill(amount=30, period_days=30, days_supply=14) == 30
    assert domain.compute_quantity_limit_for_fill(amount=4, period_days=28, days_supply=30) == 5


def test_quote_validity_stops_at_the_plan_year_end() -> None:
    end = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    early = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    late = dt.datetime(2025, 12, 20, 9, tzinfo=dt.UTC)
    assert domain.compute_quote_valid_until(now=early, plan_year_end=end) == early + dt.timedelta(
        days=30
    )
    assert domain.compute_quote_valid_until(now=late, plan_year_end=end) == end


def test_cheapest_options_skip_unpriced_ones_and_keep_ties() -> None:
    assert domain.find_cheapest_indexes([None, D("30"), D("20"), D("20")]) == {2, 3}
    assert domain.find_cheapest_indexes([None, None]) == set()


# --- estimate_fill -----------------------------------------------------------------------------


def test_generic_retail_30_equals_the_engine(world: PricingWorld) -> None:
    estimate = estimate_fill(member=world.member, drug=world.generic, channel="retail_30")

    assert estimate.covered
    assert (estimate.quantity, estimate.days_supply) == (D(30), 30)
    assert estimate.total_cost == D("15.00")
    expected = _engine(
        world,
        Accumulators(),
        ClaimInput(Tier.GENERIC, D("15.00"), 30, Channel.RETAIL_30),
    )
    assert estimate.adjudication == expected
    assert estimate.member_pays == expected.member_pays == D("10.00")
    assert [line.code for line in explanation_texts(estimate)] == [
        line.code for line in expected.explanation
    ]


def test_brand_uses_the_member_and_family_accumulators(world: PricingWorld) -> None:
    member = world.member
    AccumulatorFactory(member=member, deductible_met=D("200.00"), oop_met=D("300.00"))
    AccumulatorFactory(
        member=member,
        scope=AccumulatorScope.FAMILY,
        deductible_met=D("450.00"),
        oop_met=D("700.00"),
    )
    # The child's individual row must not be used for the subscriber.
    AccumulatorFactory(member=world.child, deductible_met=D("99.00"))

    estimate = estimate_fill(
        member=member, drug=world.brand, channel="retail_90", quantity=D(60), days_supply=60
    )

    used = Accumulators(D("200.00"), D("300.00"), D("450.00"), D("700.00"))
    assert estimate.accumulators == used
    expected = _engine(
        world, used, ClaimInput(Tier.PREFERRED_BRAND, D("540.00"), 60, Channel.RETAIL_90)
    )
    assert estimate.adjudication == expected
    assert estimate.member_pays == expected.member_pays
    assert "deductible" in [line.code for line in explanation_texts(estimate)]


def test_chosen_pharmacy_sets_the_network_status(world: PricingWorld) -> None:
    preferred = estimate_fill(
        member=world.member, drug=world.generic, channel="retail_30", pharmacy=world.preferred
    )
    outside = estimate_fill(
        member=world.member, drug=world.generic, channel="retail_30", pharmacy=world.out_of_network
    )

    assert preferred.network_status == NetworkStatus.PREFERRED
    assert outside.network_status == NetworkStatus.OUT_OF_NETWORK
    expected = _engine(
        world,
        Accumulators(),
        ClaimInput(
            Tier.GENERIC, D("15.00"), 30, Channel.RETAIL_30,
            network_status=NetworkStatus.OUT_OF_NETWORK,
        ),
    )  # fmt: skip
    assert outside.adjudication == expected
    assert outside.member_pays == D("15.00")  # the plan does not cover out of network


def test_mail_order_ignores_a_retail_pharmacy(world: PricingWorld) -> None:
    estimate = estimate_fill(
        member=world.member, drug=world.generic, channel="mail_90", pharmacy=world.out_of_network
    )
    assert estimate.pharmacy is None
    assert estimate.network_status == NetworkStatus.IN_NETWORK
    assert estimate.member_pays == D("20.00")


def test_specialty_drug_is_priced_in_the_specialty_channel(world: PricingWorld) -> None:
    estimate = estimate_fill(member=world.member, drug=world.specialty, channel="retail_30")

    assert estimate.channel == Channel.SPECIALTY
    assert estimate.requested_channel == Channel.RETAIL_30
    assert estimate.quantity == D(10)  # a 10 mL vial for 30 days
    expected = _engine(
        world, Accumulators(), ClaimInput(Tier.SPECIALTY, D("2500.00"), 30, Channel.SPECIALTY)
    )
    assert estimate.adjudication == expected
    assert estimate.note_codes == (EstimateNote.SPECIALTY_PHARMACY,)
    assert "specialty pharmacy fills it" in note_texts(estimate)[0]


@pytest.mark.parametrize(
    ("drug_attr", "channel", "kwargs", "code", "reason_word"),
    [
        ("off_formulary", "retail_30", {}, NotCoveredReason.NOT_ON_FORMULARY, "formulary"),
        ("brand", "retail_30", {"quantity": D(45)}, NotCoveredReason.QUANTITY_LIMIT, "at most"),
    ],
)
def test_not_covered_fills_say_why(
    world: PricingWorld,
    drug_attr: str,
    channel: str,
    kwargs: dict,
    code: NotCoveredReason,
    reason_word: str,
) -> None:
    entry = world.brand_entry
    entry.quantity_limit, entry.quantity_limit_amount, entry.quantity_limit_days = True, 30, 30
    entry.save()

    estimate = estimate_fill(
        member=world.member, drug=getattr(world, drug_attr), channel=channel, **kwargs
    )

    assert not estimate.covered
    assert estimate.adjudication is None
    assert estimate.member_pays is None
    assert estimate.not_covered is code
    assert reason_word in not_covered_text(estimate)


def test_mail_not_allowed_is_not_covered(world: PricingWorld) -> None:
    entry = world.generic_entry
    entry.mail_eligible = False
    entry.save()
    estimate = estimate_fill(member=world.member, drug=world.generic, channel="mail_90")
    assert estimate.not_covered is NotCoveredReason.NOT_BY_MAIL
    assert "mail" in not_covered_text(estimate)


def test_drug_without_a_price_is_not_covered(world: PricingWorld) -> None:
    world.generic.unit_cost_mode = None
    world.generic.save()
    estimate = estimate_fill(member=world.member, drug=world.generic, channel="retail_30")
    assert estimate.not_covered is NotCoveredReason.NO_PRICE
    assert "price" in not_covered_text(estimate)


def test_tier_without_cost_share_in_channel_is_not_covered(world: PricingWorld) -> None:
    entry = world.generic_entry
    entry.tier = Tier.NON_PREFERRED_BRAND  # priced at retail 30 only (and its 90-day fallback)
    entry.save()
    world.member.plan.cost_shares.filter(tier=Tier.NON_PREFERRED_BRAND).delete()
    estimate = estimate_fill(member=world.member, drug=world.generic, channel="retail_30")
    assert not estimate.covered
    assert estimate.not_covered is NotCoveredReason.TIER_NOT_COVERED_ON_CHANNEL
    assert estimate.tier == Tier.NON_PREFERRED_BRAND


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"quantity": D(0)}, InvalidQuantity),
        ({"quantity": D(-3)}, InvalidQuantity),
        ({"quantity": D(10_001)}, InvalidQuantity),
        ({"days_supply": 0}, InvalidDaysSupply),
        ({"days_supply": 366}, InvalidDaysSupply),
        ({"days_supply": 90}, InvalidDaysSupply),  # retail 30 fills at most 34 days
        ({"channel": "drone"}, UnknownChannel),
    ],
)
def test_bad_input_raises_a_domain_error(world: PricingWorld, kwargs: dict, error: type) -> None:
    arguments = {"member": world.member, "drug": world.generic, "channel": "retail_30", **kwargs}
    with pytest.raises(error) as caught:
        estimate_fill(**arguments)
    assert caught.value.code.startswith("pricing.")


# --- side by side ------------------------------------------------------------------------------


def test_fill_options_mark_the_cheapest_per_90_days(world: PricingWorld) -> None:
    options = list_fill_options(member=world.member, drug=world.generic)

    assert [o.channel for o in options] == ["retail_30", "retail_90", "mail_90"]
    for option in options:
        expected = _engine(
            world,
            Accumulators(),
            ClaimInput(
                Tier.GENERIC, option.total_cost, option.days_supply, Channel(option.channel)
            ),
        )
        assert option.member_pays == expected.member_pays
    rows = compare_fill_options(options=options, chosen=options[0])
    # retail 30: $10 x 3 = $30; retail 90 falls back to 3 x $10 = $30; mail 90: $20.
    assert [r.member_pays_per_90_days for r in rows] == [D("30.00"), D("30.00"), D("20.00")]
    assert [r.is_cheapest for r in rows] == [False, False, True]
    assert rows[2].saving_per_90_days == D("10.00")
    assert rows[0].is_chosen and rows[0].saving_per_90_days == D("0.00")


def test_specialty_drug_has_one_option(world: PricingWorld) -> None:
    options = list_fill_options(member=world.member, drug=world.specialty)
    assert [o.channel for o in options] == ["specialty"]


def test_fill_options_query_budget(
    world: PricingWorld, django_assert_max_num_queries: pytest.FixtureRequest
) -> None:
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        list_fill_options(member=world.member, drug=world.generic, pharmacy=world.preferred)


def test_drug_matching_prefers_an_exact_name(world: PricingWorld) -> None:
    assert list_drugs_matching("examplostatin 20 mg oral tablet") == [world.generic]
    assert list_drugs_matching("brandexa") == [world.brand]
    assert list_drugs_matching("   ") == []


def test_explanation_lines_follow_the_active_language(world: PricingWorld) -> None:
    from django.utils import translation

    estimate = estimate_fill(member=world.member, drug=world.generic, channel="retail_30")
    english = explanation_texts(estimate)
    with translation.override("es"):
        spanish = explanation_texts(estimate)
    assert estimate.adjudication is not None
    assert [line.text for line in english] == [
        line.text for line in estimate.adjudication.explanation
    ]
    # Same codes and amounts; the text comes from the translated sentence per code.
    assert [(line.code, line.amount) for line in spanish] == [
        (line.code, line.amount) for line in english
    ]
    summary = spanish[-1]
    assert summary.code == "summary"
    assert "$10.00" in summary.text
    assert "Your plan pays" not in summary.text  # the per-code sentence, not the engine's
