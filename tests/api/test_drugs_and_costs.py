"""Drug search and coverage, cost estimates and price quotes."""

from __future__ import annotations

from rxportal.pricing.models import PriceQuote
from rxportal.pricing.selectors import estimate_fill
from rxportal.pricing.services import create_price_quote
from tests.api.conftest import ApiClient, World, api_events, api_with_scope, problem
from tests.factories import MemberFactory, UserFactory


def test_drug_search_forgives_a_typo_like_the_drug_page(api: ApiClient, world: World) -> None:
    body = api.get("/api/v1/drugs", {"q": "atorvastatn"}).json()
    names = [group["name"] for group in body["results"]]
    assert names[0] == "atorvastatin"
    strengths = {drug["strength"] for drug in body["results"][0]["drugs"]}
    assert {"10 MG", "40 MG"} <= strengths
    brand = next(group for group in body["results"] if group["kind"] == "brand")
    assert brand["name"] == "Lipitor"


def test_drug_search_needs_any_valid_token_but_no_scope(world: World) -> None:
    client = api_with_scope(world.family, "openid")
    assert client.get("/api/v1/drugs", {"q": "lisinopril"}).status_code == 200
    response = client.client.get("/api/v1/drugs", {"q": "lisinopril"})
    problem(response, 401, "unauthorized")


def test_drug_search_input_is_validated(api: ApiClient, world: World) -> None:
    body = problem(api.get("/api/v1/drugs", {"q": "a"}), 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["query.q"]
    body = problem(api.get("/api/v1/drugs", {"q": "--"}), 422, "validation-error")
    assert body["errors"][0]["code"] == "too_short"
    body = problem(api.get("/api/v1/drugs"), 422, "validation-error")
    assert body["errors"][0]["field"] == "query.q"


def test_a_brand_with_rules_and_a_cheaper_generic(api: ApiClient, world: World) -> None:
    body = api.get(f"/api/v1/drugs/{world.lipitor.public_id}/coverage").json()
    assert body["covered"] is True
    assert body["tier"] == "preferred-brand"
    assert body["prior_authorization"] is True
    assert body["step_therapy"] is False
    assert body["quantity_limit"] == {"amount": 30, "days": 30}
    assert body["estimate"]["channel"] == "retail_30"
    assert body["estimate"]["total_cost"] == "15.00"  # 30 tablets at the typical $0.50
    [alternative] = body["alternatives"]
    assert alternative["drug"]["public_id"] == str(world.atorvastatin.public_id)
    assert alternative["tier"] == "generic"
    assert alternative["estimate"]["member_pays"] == "10.00"  # the generic copay
    [event] = api_events("phi.drug_coverage.viewed")
    assert event.details["item"] == str(world.lipitor.public_id)
    assert event.details["alternatives"] == 1


def test_a_drug_off_the_formulary_is_not_covered(api: ApiClient, world: World) -> None:
    body = api.get(f"/api/v1/drugs/{world.amoxicillin.public_id}/coverage").json()
    assert body["covered"] is False
    assert body["tier"] is None
    assert body["estimate"]["member_pays"] is None


def test_an_unknown_drug_is_not_found(api: ApiClient, world: World) -> None:
    for drug_id in ("00000000-0000-0000-0000-000000000000", "nope"):
        problem(api.get(f"/api/v1/drugs/{drug_id}/coverage"), 404, "not-found")


def test_an_estimate_as_the_estimator_computes_it(api: ApiClient, world: World) -> None:
    body = api.get(
        "/api/v1/costs/estimate",
        {
            "drug": str(world.lipitor.public_id),
            "quantity": "30",
            "days_supply": "30",
            "pharmacy": str(world.pharmacy.public_id),
        },
    ).json()
    chosen = body["chosen"]
    assert chosen["covered"] is True
    assert chosen["network_status"] == "preferred"
    assert chosen["pharmacy"] == str(world.pharmacy.public_id)
    assert chosen["total_cost"] == "15.00"
    # $150 of the $250 deductible is left: the whole $15 is deductible.
    assert chosen["member_pays"] == "15.00"
    assert chosen["deductible_applied"] == "15.00"
    assert [line["code"] for line in chosen["explanation"]]
    assert body["deductible"] == {"used": "100.00", "maximum": "250.00", "left": "150.00"}
    assert {option["fill"]["channel"] for option in body["options"]} >= {"retail_30"}
    assert sum(option["is_chosen"] for option in body["options"]) == 1
    [event] = api_events("phi.cost_estimate.viewed")
    assert event.details["pharmacy_chosen"] is True


def test_an_out_of_network_pharmacy_is_said_so(api: ApiClient, world: World) -> None:
    body = api.get(
        "/api/v1/costs/estimate",
        {
            "drug": str(world.atorvastatin.public_id),
            "pharmacy": str(world.outside_pharmacy.public_id),
        },
    ).json()
    assert body["chosen"]["network_status"] == "out_of_network"


def test_estimate_input_errors_name_their_field(api: ApiClient, world: World) -> None:
    drug = str(world.atorvastatin.public_id)
    cases = [
        ({"drug": drug, "quantity": "0"}, "query.quantity"),
        ({"drug": drug, "quantity": "abc"}, "query.quantity"),
        ({"drug": drug, "days_supply": "0"}, "query.days_supply"),
        ({"drug": drug, "channel": "retail_30", "days_supply": "90"}, "query.days_supply"),
        ({"drug": drug, "channel": "drone"}, "query.channel"),
        ({"drug": "00000000-0000-0000-0000-000000000000"}, "query.drug"),
        ({"drug": drug, "pharmacy": "nope"}, "query.pharmacy"),
        ({}, "query.drug"),
    ]
    for params, field in cases:
        body = problem(api.get("/api/v1/costs/estimate", params), 422, "validation-error")
        assert field in [error["field"] for error in body["errors"]], (params, body)


def test_a_quote_is_created_listed_and_read(api: ApiClient, world: World) -> None:
    child = world.family.minor_child
    created = api.post(
        "/api/v1/costs/quotes",
        {"drug": str(world.atorvastatin.public_id), "member": str(child.public_id)},
    )
    assert created.status_code == 201, created.content
    quote = created.json()
    stored = PriceQuote.objects.get(public_id=quote["public_id"])
    assert stored.member == child
    assert quote["member_pays"] == "10.00"
    assert quote["is_valid_now"] is True
    listed = api.get("/api/v1/costs/quotes").json()["quotes"]
    assert [q["public_id"] for q in listed] == [quote["public_id"]]
    read = api.get(f"/api/v1/costs/quotes/{quote['public_id']}").json()
    assert read == quote
    assert len(api_events("phi.price_quotes.viewed")) == 1
    [event] = api_events("phi.price_quote.viewed")
    assert event.subject_id == quote["public_id"]


def test_a_drug_the_plan_does_not_cover_cannot_be_quoted(api: ApiClient, world: World) -> None:
    response = api.post("/api/v1/costs/quotes", {"drug": str(world.amoxicillin.public_id)})
    body = problem(response, 422, "not-quotable")
    assert body["code"] == "pricing.not_quotable"
    assert not PriceQuote.objects.exists()


def test_a_quote_body_is_validated(api: ApiClient, world: World) -> None:
    body = problem(api.post("/api/v1/costs/quotes", {"quantity": "-1"}), 422, "validation-error")
    assert {error["field"] for error in body["errors"]} == {"body.drug", "body.quantity"}


def test_another_familys_quote_is_not_found(api: ApiClient, world: World) -> None:
    stranger = MemberFactory(plan=world.family.subscriber.plan, user=UserFactory())
    estimate = estimate_fill(member=stranger, drug=world.atorvastatin, channel="retail_30")
    quote = create_price_quote(member=stranger, estimate=estimate, actor=stranger.user)
    problem(api.get(f"/api/v1/costs/quotes/{quote.public_id}"), 404, "not-found")
    assert api.get("/api/v1/costs/quotes").json()["quotes"] == []
