"""Pharmacies near a ZIP code or a point, with the member's network status, paginated."""

from __future__ import annotations

from rxportal.pharmacies.selectors import PAGE_SIZE
from tests.api.conftest import ApiClient, World, api_with_scope, problem
from tests.factories import PharmacyFactory
from tests.pharmacies.support import real_point


def test_near_a_zip_nearest_first_with_network_status(api: ApiClient, world: World) -> None:
    body = api.get("/api/v1/pharmacies", {"zip": "06103", "radius": 5}).json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["public_id"] == str(world.pharmacy.public_id)
    assert (first["in_network"], first["preferred"]) == (True, True)
    assert second["public_id"] == str(world.outside_pharmacy.public_id)
    assert (second["in_network"], second["preferred"]) == (False, False)
    assert first["distance_miles"] < second["distance_miles"]
    assert first["kinds"] == ["retail"]


def test_near_a_point_and_only_preferred(api: ApiClient, world: World) -> None:
    latitude, longitude = real_point("06103")
    body = api.get(
        "/api/v1/pharmacies", {"lat": latitude, "lon": longitude, "preferred": "true"}
    ).json()
    assert [p["public_id"] for p in body["results"]] == [str(world.pharmacy.public_id)]


def test_pages_link_to_each_other(api: ApiClient, world: World) -> None:
    latitude, longitude = real_point("06510")
    for step in range(PAGE_SIZE + 1):
        PharmacyFactory(latitude=latitude + step * 0.0005, longitude=longitude, zip_code="06510")
    first = api.get("/api/v1/pharmacies", {"zip": "06510", "radius": 1}).json()
    assert (first["count"], first["pages"], len(first["results"])) == (PAGE_SIZE + 1, 2, PAGE_SIZE)
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert "page=1" in second["previous"]


def test_any_valid_token_may_search_and_a_non_member_sees_no_network(world: World) -> None:
    client = api_with_scope(world.family, "openid")
    assert client.get("/api/v1/pharmacies", {"zip": "06103"}).status_code == 200
    problem(client.client.get("/api/v1/pharmacies", {"zip": "06103"}), 401, "unauthorized")


def test_bad_places_are_422_naming_the_field(api: ApiClient, world: World) -> None:
    cases = [
        ({}, "query.zip"),
        ({"zip": "6103"}, "query.zip"),
        ({"zip": "99999"}, "query.zip"),  # not a ZIP code we have a centroid for
        ({"lat": "41.7"}, "query.lon"),
        ({"lat": "91", "lon": "0"}, "query.lat"),
        ({"zip": "06103", "radius": "0"}, "query.radius"),
        ({"zip": "06103", "kind": "drone"}, "query.kind"),
        ({"zip": "06103", "page": "0"}, "query.page"),
    ]
    for params, field in cases:
        body = problem(api.get("/api/v1/pharmacies", params), 422, "validation-error")
        assert field in [error["field"] for error in body["errors"]], (params, body)
