"""Profile, ID cards and benefits: real data, codes and decimal strings, the audit."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiClient, World, api_events, problem
from tests.factories import DependentFactory


def test_profile_names_the_member_their_plan_and_only_the_family_they_may_see(
    api: ApiClient, world: World
) -> None:
    family = world.family
    body = api.get("/api/v1/profile").json()
    assert body["member"] == {
        "public_id": str(family.subscriber.public_id),
        "first_name": "Dana",
        "last_name": "Rivera",
        "relationship": "subscriber",
        "person_code": "01",
        "is_self": True,
    }
    assert body["member_id"] == family.subscriber.member_id
    assert body["plan"]["code"] == family.subscriber.plan.code
    assert body["plan"]["kind"] == "commercial"
    assert [(p["public_id"], p["relationship"], p["is_self"]) for p in body["family"]] == [
        (str(family.subscriber.public_id), "subscriber", True),
        (str(family.minor_child.public_id), "child", False),
    ]
    assert "id" not in body["member"]  # public ids only, never primary keys
    [event] = api_events("phi.profile.viewed")
    assert event.details["family"] == 2


def test_profile_of_a_minor_child(api: ApiClient, world: World) -> None:
    child = world.family.minor_child
    body = api.get("/api/v1/profile", {"member": str(child.public_id)}).json()
    assert body["member"]["first_name"] == "Lucia"
    assert body["member"]["is_self"] is False
    assert body["member"]["person_code"] == child.person_code


def test_id_cards_of_the_member_and_visible_family(api: ApiClient, world: World) -> None:
    family = world.family
    plan = family.subscriber.plan
    cards = api.get("/api/v1/coverage/id-cards").json()["cards"]
    assert [card["member"]["public_id"] for card in cards] == [
        str(family.subscriber.public_id),
        str(family.minor_child.public_id),
    ]
    first = cards[0]
    assert (first["rx_bin"], first["rx_pcn"], first["rx_group"]) == (
        plan.rx_bin,
        plan.rx_pcn,
        plan.rx_group,
    )
    assert first["coverage_start"] == family.subscriber.coverage_start.isoformat()
    assert first["member_services_phone"]
    [event] = api_events("phi.id_card.viewed")
    assert event.details["cards"] == 2


def test_another_familys_card_never_appears(api: ApiClient, world: World) -> None:
    stranger = DependentFactory()
    cards = api.get("/api/v1/coverage/id-cards").json()["cards"]
    assert str(stranger.public_id) not in {card["member"]["public_id"] for card in cards}


def test_benefits_used_and_left_individual_and_family_and_the_cost_share_table(
    api: ApiClient, world: World
) -> None:
    body = api.get("/api/v1/coverage/benefits").json()
    assert body["deductible"] == {"used": "100.00", "maximum": "250.00", "left": "150.00"}
    assert body["out_of_pocket"] == {"used": "150.00", "maximum": "3000.00", "left": "2850.00"}
    assert body["family_deductible"] == {"used": "120.00", "maximum": "500.00", "left": "380.00"}
    assert body["family_out_of_pocket"] == {
        "used": "200.00",
        "maximum": "6000.00",
        "left": "5800.00",
    }
    by_tier = {
        row["tier"]: {c["channel"]: c for c in row["channels"]} for row in body["cost_shares"]
    }
    generic = by_tier["generic"]
    assert generic["retail_30"]["copay"] == "10.00"
    assert generic["retail_30"]["deductible_applies"] is False
    # No retail 90 row: priced as three 30-day fills, as the engine does.
    assert generic["retail_90"]["source_channel"] == "retail_30"
    assert generic["retail_90"]["fills"] == 3
    brand = by_tier["non-preferred-brand"]["retail_30"]
    assert (brand["coinsurance_percent"], brand["minimum"], brand["maximum"]) == (
        "40",
        "50.00",
        "150.00",
    )
    assert by_tier["generic"]["specialty"]["covered"] is False
    assert body["plan_year_start"].endswith("-01-01")
    [event] = api_events("phi.benefits.viewed")
    assert event.details["plan_year"] == body["plan"]["plan_year"]


def test_a_childs_benefits_are_their_own_with_the_familys(api: ApiClient, world: World) -> None:
    child = world.family.minor_child
    body = api.get("/api/v1/coverage/benefits", {"member": str(child.public_id)}).json()
    assert body["member"]["public_id"] == str(child.public_id)
    assert body["deductible"]["used"] == "0.00"  # the child has no individual accumulator
    assert body["family_deductible"]["used"] == "120.00"


def test_a_bad_member_parameter_shape_is_not_found_rather_than_a_server_error(
    api: ApiClient, world: World
) -> None:
    problem(api.get("/api/v1/coverage/benefits", {"member": "x" * 500}), 404, "not-found")


def test_reads_keep_a_small_query_budget(
    api: ApiClient,
    world: World,
    django_assert_max_num_queries: Any,
) -> None:
    # The token and the consent it stands on, the family (two), the read itself, and the audit
    # event (four on PostgreSQL, with its savepoint and chain lock); none per member or per row.
    with django_assert_max_num_queries(9):
        assert api.get("/api/v1/coverage/id-cards").status_code == 200
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/coverage/benefits").status_code == 200
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/pharmacies", {"zip": "06103"}).status_code == 200
