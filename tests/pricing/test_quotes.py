"""Price quotes: the service, the claim comparison and the estimator / quote pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import AccumulatorScope, ClaimStatus
from rxportal.core import clock
from rxportal.plans.selectors import benefit_design_for
from rxportal.pricing.engine import Accumulators, Channel, ClaimInput, Tier, adjudicate
from rxportal.pricing.errors import NotQuotable, PlanYearOver
from rxportal.pricing.models import PriceQuote
from rxportal.pricing.presentation import comparison_reason_texts
from rxportal.pricing.selectors import (
    estimate_fill,
    find_claim_comparison_for_quote,
    find_quote_comparison,
)
from rxportal.pricing.selectors.comparison import Reason
from rxportal.pricing.services import compute_plan_year_end, create_price_quote
from tests.factories import (
    DEFAULT_PASSWORD,
    AccumulatorFactory,
    ClaimFactory,
    DependentFactory,
    MemberFactory,
    UserFactory,
)
from tests.pricing.conftest import PricingWorld
from tests.pricing.factories import PriceQuoteFactory

D = Decimal


def _audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def _brand_quote(world: PricingWorld, *, now: dt.datetime | None = None) -> PriceQuote:
    """Brand, retail 30, 30 tablets at $9 = $270; nothing met yet: deductible $250 + $40."""
    estimate = estimate_fill(member=world.member, drug=world.brand, channel="retail_30")
    return create_price_quote(
        member=world.member, estimate=estimate, actor=world.member.user, now=now or clock.now()
    )


# --- create_price_quote ------------------------------------------------------------------------


def test_quote_stores_inputs_state_and_the_engine_result(world: PricingWorld) -> None:
    AccumulatorFactory(member=world.member, deductible_met=D("100.00"), oop_met=D("100.00"))
    now = clock.now()

    quote = _brand_quote(world, now=now)

    used = Accumulators(deductible_met=D("100.00"), oop_met=D("100.00"))
    expected = adjudicate(
        benefit_design_for(world.member.plan),
        used,
        ClaimInput(Tier.PREFERRED_BRAND, D("270.00"), 30, Channel.RETAIL_30),
    )
    assert (quote.member_pays, quote.plan_pays, quote.total_cost) == (
        expected.member_pays,
        expected.plan_pays,
        expected.total_cost,
    )
    assert quote.deductible_applied == expected.deductible_applied == D("150.00")
    assert (quote.deductible_met, quote.oop_met) == (D("100.00"), D("100.00"))
    assert quote.explanation == [
        {"code": line.code, "text": line.text, "amount": str(line.amount)}
        for line in expected.explanation
    ]
    assert (quote.channel, quote.quantity, quote.days_supply) == ("retail_30", D(30), 30)
    assert quote.quoted_at == now
    assert quote.valid_until == min(
        now + dt.timedelta(days=30), compute_plan_year_end(world.member.plan.plan_year)
    )
    [event] = _audit("pricing.quote.created")
    assert event.subject_id == str(quote.public_id)
    assert event.details["channel"] == "retail_30"
    assert event.actor_id == world.member.user_id


def test_quote_validity_stops_at_the_end_of_the_plan_year(world: PricingWorld) -> None:
    year = world.member.plan.plan_year
    late = dt.datetime(year, 12, 20, 12, tzinfo=dt.UTC)
    quote = _brand_quote(world, now=late)
    assert quote.valid_until < late + dt.timedelta(days=30)
    assert quote.valid_until == compute_plan_year_end(year)


def test_plan_year_over_cannot_be_quoted(world: PricingWorld) -> None:
    year = world.member.plan.plan_year
    estimate = estimate_fill(member=world.member, drug=world.brand, channel="retail_30")
    with pytest.raises(PlanYearOver) as caught:
        create_price_quote(
            member=world.member,
            estimate=estimate,
            actor=world.member.user,
            now=dt.datetime(year + 1, 1, 2, tzinfo=dt.UTC),
        )
    assert caught.value.code == "pricing.plan_year_over"
    assert not PriceQuote.objects.exists()


def test_not_covered_estimate_cannot_be_quoted(world: PricingWorld) -> None:
    estimate = estimate_fill(member=world.member, drug=world.off_formulary, channel="retail_30")
    with pytest.raises(NotQuotable) as caught:
        create_price_quote(member=world.member, estimate=estimate, actor=world.member.user)
    assert caught.value.code == "pricing.not_quotable"
    assert not _audit("pricing.quote.created")


def test_database_refuses_negative_money_and_backwards_validity(world: PricingWorld) -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        PriceQuoteFactory(member=world.member, member_pays=D("-1.00"), plan_pays=D("16.00"))
    now = clock.now()
    with transaction.atomic(), pytest.raises(IntegrityError):
        PriceQuoteFactory(member=world.member, quoted_at=now, valid_until=now)


# --- find_quote_comparison ---------------------------------------------------------------------


def _claim_like_quote(quote: PriceQuote, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "member": quote.member,
        "drug": quote.drug,
        "pharmacy": quote.pharmacy,
        "service_date": clock.today(),
        "channel": quote.channel,
        "tier": quote.tier,
        "quantity": quote.quantity,
        "days_supply": quote.days_supply,
        "member_paid": quote.member_pays,
        "plan_paid": quote.plan_pays,
        "deductible_applied": quote.deductible_applied,
    }
    values.update(overrides)
    return ClaimFactory(**values)


def test_claim_matching_the_quote_has_no_difference(world: PricingWorld) -> None:
    quote = _brand_quote(world)
    claim = _claim_like_quote(quote)

    comparison = find_quote_comparison(claim=claim)

    assert comparison is not None
    assert comparison.quote == quote
    assert comparison.matches
    assert comparison.reasons == ()
    assert comparison.repriced_member_pays == quote.member_pays


def test_deductible_moved_between_quote_and_claim(world: PricingWorld) -> None:
    quote = _brand_quote(world)  # quoted with nothing met: the member pays the full $270
    # Another brand fill, paid after the quote, used up the deductible.
    earlier = _claim_like_quote(
        quote,
        member_paid=D("250.00"),
        plan_paid=D("20.00"),
        deductible_applied=D("250.00"),
    )
    design = benefit_design_for(world.member.plan)
    met = Accumulators(D("250.00"), D("250.00"), D("250.00"), D("250.00"))
    repriced = adjudicate(
        design, met, ClaimInput(Tier.PREFERRED_BRAND, D("270.00"), 30, Channel.RETAIL_30)
    )
    claim = _claim_like_quote(
        quote,
        member_paid=repriced.member_pays,
        plan_paid=repriced.plan_pays,
        deductible_applied=D("0.00"),
    )
    assert claim.pk > earlier.pk

    comparison = find_quote_comparison(claim=claim)

    assert comparison is not None
    assert comparison.accumulators_at_claim == met
    assert comparison.repriced_member_pays == repriced.member_pays == D("40.00")
    assert comparison.paid_member_amount == D("40.00")
    assert comparison.difference == D("40.00") - quote.member_pays
    assert comparison.reasons[0].code is Reason.DEDUCTIBLE_MOVED
    assert any("deductible moved" in reason for reason in comparison_reason_texts(comparison))


def test_other_quantity_and_pharmacy_are_explained(world: PricingWorld) -> None:
    estimate = estimate_fill(
        member=world.member, drug=world.generic, channel="retail_30", pharmacy=world.preferred
    )
    quote = create_price_quote(member=world.member, estimate=estimate, actor=world.member.user)
    claim = _claim_like_quote(
        quote,
        pharmacy=world.out_of_network,
        quantity=D(60),
        member_paid=D("30.00"),
        plan_paid=D("0.00"),
        deductible_applied=D("0.00"),
        oop_applied=D("0.00"),
    )

    comparison = find_quote_comparison(claim=claim)

    assert comparison is not None
    text = " ".join(comparison_reason_texts(comparison))
    assert "another pharmacy" in text
    assert "out of your network" in text
    assert "60 units" in text
    assert "30 units" in text
    assert comparison.difference == D("20.00")


def test_other_channel_and_drug_cost_are_explained(world: PricingWorld) -> None:
    quote = PriceQuoteFactory(member=world.member, drug=world.generic)
    claim = _claim_like_quote(
        quote, channel=Channel.MAIL_90, member_paid=D("20.00"), plan_paid=D("40.00")
    )
    comparison = find_quote_comparison(claim=claim)
    assert comparison is not None
    text = " ".join(comparison_reason_texts(comparison))
    assert "Mail order" in text
    assert "drug cost differed" in text


@pytest.mark.parametrize(
    ("case"),
    ["rejected", "other_drug", "other_member", "quoted_after", "expired"],
)
def test_no_comparison_when_no_quote_covers_the_claim(world: PricingWorld, case: str) -> None:
    today = clock.today()
    quote = PriceQuoteFactory(member=world.member, drug=world.generic)
    claim_kwargs: dict[str, object] = {"member": world.member, "drug": world.generic}
    if case == "rejected":
        claim_kwargs["rejected"] = True
    elif case == "other_drug":
        claim_kwargs["drug"] = world.brand
    elif case == "other_member":
        claim_kwargs["member"] = world.child
    elif case == "quoted_after":
        claim_kwargs["service_date"] = today - dt.timedelta(days=3)
    elif case == "expired":
        quote.quoted_at = clock.now() - dt.timedelta(days=60)
        quote.valid_until = quote.quoted_at + dt.timedelta(days=30)
        quote.save()
    claim = ClaimFactory(**claim_kwargs)
    assert find_quote_comparison(claim=claim) is None


def test_newest_covering_quote_wins(world: PricingWorld) -> None:
    older = PriceQuoteFactory(member=world.member, drug=world.generic)
    older.quoted_at = clock.now() - dt.timedelta(days=5)
    older.save()
    newer = PriceQuoteFactory(member=world.member, drug=world.generic)
    claim = ClaimFactory(member=world.member, drug=world.generic)
    comparison = find_quote_comparison(claim=claim)
    assert comparison is not None and comparison.quote == newer
    assert find_claim_comparison_for_quote(newer) is not None
    assert find_claim_comparison_for_quote(older) is None


def test_comparison_ignores_reversed_claims_in_the_accumulators(world: PricingWorld) -> None:
    quote = PriceQuoteFactory(member=world.member, drug=world.generic)
    ClaimFactory(
        member=world.member,
        drug=world.brand,
        status=ClaimStatus.REVERSED,
        member_paid=D("100.00"),
        deductible_applied=D("100.00"),
    )
    claim = _claim_like_quote(quote)
    comparison = find_quote_comparison(claim=claim)
    assert comparison is not None
    assert comparison.accumulators_at_claim == Accumulators(D("0"), D("0"), D("0"), D("0"))
    assert comparison.matches


# --- pages -------------------------------------------------------------------------------------


@pytest.fixture
def signed_in(world: PricingWorld, client: Client) -> Client:
    assert client.login(username="pricing-member", password=DEFAULT_PASSWORD)
    return client


@pytest.mark.parametrize(
    "url",
    [
        reverse("pricing:estimate"),
        reverse("pricing:quotes"),
        reverse("pricing:quote", args=["7d1a4a06-4c29-4b1c-9a55-4bb3cbd0a1f1"]),
    ],
)
def test_anonymous_is_sent_to_sign_in(client: Client, db: None, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"] or "sign" in response["Location"]


def test_anonymous_cannot_save_a_quote(client: Client, db: None) -> None:
    response = client.post(reverse("pricing:save_quote"), {"drug": "x"})
    assert response.status_code == 302
    assert not PriceQuote.objects.exists()


def test_estimator_shows_the_engine_amount_and_options(
    world: PricingWorld, signed_in: Client
) -> None:
    response = signed_in.get(
        reverse("pricing:estimate"), {"drug": str(world.generic.public_id), "channel": "retail_30"}
    )
    assert response.status_code == 200
    estimate = response.context["resolved"].estimate
    assert estimate.chosen.member_pays == D("10.00")
    body = response.content.decode()
    assert "$10.00" in body
    assert "<caption>" in body
    assert "Cheapest" in body
    assert "Save this price quote" in body
    [event] = _audit("phi.cost_estimate.viewed")
    assert event.subject_id == str(world.member.public_id)
    assert "drug" not in event.details


def test_estimator_resolves_typed_names_and_offers_a_pick_list(
    world: PricingWorld, signed_in: Client
) -> None:
    one = signed_in.get(reverse("pricing:estimate"), {"q": "brandexa"})
    assert one.context["resolved"].drug == world.brand
    many = signed_in.get(reverse("pricing:estimate"), {"q": "oral tablet"})
    assert many.context["resolved"].matches
    assert "Several drugs match" in many.content.decode()
    none = signed_in.get(reverse("pricing:estimate"), {"q": "zzzzzz"})
    assert "No drug matches" in none.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"quantity": "0"}, "greater than zero"),
        ({"quantity": "50000"}, "at most"),
        ({"days_supply": "0"}, "from 1 to 365"),
        ({"days_supply": "400"}, "from 1 to 365"),
        ({"quantity": "abc"}, "as a number"),
    ],
)
def test_estimator_bad_input_gets_a_clear_message(
    world: PricingWorld, signed_in: Client, params: dict, message: str
) -> None:
    response = signed_in.get(
        reverse("pricing:estimate"), {"drug": str(world.generic.public_id), **params}
    )
    assert response.status_code == 200
    assert response.context["resolved"].estimate is None
    assert message in response.content.decode()


def test_estimator_for_another_family_is_404(world: PricingWorld, signed_in: Client) -> None:
    stranger = MemberFactory()
    response = signed_in.get(
        reverse("pricing:estimate"),
        {"drug": str(world.generic.public_id), "person": str(stranger.public_id)},
    )
    # Not in the person choices: a form error, never the stranger's data.
    assert response.status_code == 200
    assert response.context["resolved"].estimate is None


def test_save_quote_then_open_it(world: PricingWorld, signed_in: Client) -> None:
    response = signed_in.post(
        reverse("pricing:save_quote"),
        {"drug": str(world.brand.public_id), "channel": "retail_30", "member_pays": "0.01"},
    )
    quote = PriceQuote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pricing:quote", args=[quote.public_id])
    expected = adjudicate(
        benefit_design_for(world.member.plan),
        Accumulators(),
        ClaimInput(Tier.PREFERRED_BRAND, D("270.00"), 30, Channel.RETAIL_30),
    )
    # Recomputed by the engine, posted amounts ignored: $250 deductible + $40 copay, but
    # never more than the drug's $270 price.
    assert quote.member_pays == expected.member_pays == D("270.00")

    page = signed_in.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert str(quote.public_id) in body
    assert "$270.00" in body
    assert "No paid claim" in body
    assert _audit("phi.price_quote.viewed")

    listing = signed_in.get(reverse("pricing:quotes"))
    assert str(quote.public_id) in listing.content.decode()
    assert _audit("phi.price_quotes.viewed")[0].details == {"count": 1, "edge": "web"}


def test_save_quote_needs_csrf(world: PricingWorld) -> None:
    client = Client(enforce_csrf_checks=True)
    client.login(username="pricing-member", password=DEFAULT_PASSWORD)
    response = client.post(reverse("pricing:save_quote"), {"drug": str(world.brand.public_id)})
    assert response.status_code == 403
    assert not PriceQuote.objects.exists()


def test_quote_page_shows_the_claim_comparison(world: PricingWorld, signed_in: Client) -> None:
    quote = _brand_quote(world)
    _claim_like_quote(quote)
    body = signed_in.get(reverse("pricing:quote", args=[quote.public_id])).content.decode()
    assert "You paid exactly what we quoted." in body


def test_another_members_quote_is_404(world: PricingWorld, signed_in: Client) -> None:
    stranger_quote = PriceQuoteFactory()
    response = signed_in.get(reverse("pricing:quote", args=[stranger_quote.public_id]))
    assert response.status_code == 404
    assert not _audit("phi.price_quote.viewed")


def test_adult_dependent_quote_hidden_without_consent(world: PricingWorld) -> None:
    # A spouse signs in: they see only their own quotes, not the subscriber's.
    spouse = DependentFactory(subscriber=world.member, spouse=True, user=UserFactory(username="sp"))
    quote = PriceQuoteFactory(member=world.member, drug=world.generic)
    client = Client()
    client.login(username="sp", password=DEFAULT_PASSWORD)
    assert client.get(reverse("pricing:quote", args=[quote.public_id])).status_code == 404
    assert spouse.pk


def test_quote_list_query_budget(
    world: PricingWorld,
    signed_in: Client,
    django_assert_max_num_queries: pytest.FixtureRequest,
) -> None:
    for _ in range(5):
        PriceQuoteFactory(member=world.member, drug=world.generic)
    PriceQuoteFactory(member=world.child, drug=world.brand)
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = signed_in.get(reverse("pricing:quotes"))
    assert len(response.context["quotes"]) == 6


def test_family_accumulator_row_is_used_for_a_dependent(world: PricingWorld) -> None:
    AccumulatorFactory(
        member=world.member, scope=AccumulatorScope.FAMILY, deductible_met=D("500.00")
    )
    estimate = estimate_fill(member=world.child, drug=world.brand, channel="retail_30")
    assert estimate.accumulators.family_deductible_met == D("500.00")
    assert estimate.member_pays == D("40.00")  # the family deductible is met


def test_comparison_partial_shows_the_difference_and_reasons(world: PricingWorld) -> None:
    from django.template.loader import render_to_string

    quote = PriceQuoteFactory(member=world.member, drug=world.generic)
    claim = _claim_like_quote(quote, quantity=D(60), member_paid=D("25.00"), plan_paid=D("5.00"))
    comparison = find_quote_comparison(claim=claim)
    assert comparison is not None

    html = render_to_string("pricing/_quote_comparison.html", {"comparison": comparison})

    assert "<caption>" in html
    assert "$15.00 more than quoted" in html
    assert "60 units" in html
    assert reverse("pricing:quote", args=[quote.public_id]) in html
