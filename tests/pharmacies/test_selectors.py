"""Finder reads: ZIP and place look-ups, nearby pharmacies (sort, filters, network status)."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.models import AnonymousUser

from rxportal.pharmacies.domain import PharmacyKind, compute_distance_miles
from rxportal.pharmacies.models import NetworkPharmacy, Pharmacy
from rxportal.pharmacies.selectors import (
    PAGE_SIZE,
    LocationKind,
    LocationProblem,
    SearchLocation,
    count_nearby_pharmacies,
    find_search_location,
    find_viewer_network,
    find_zip_centroid,
    get_pharmacy_search_page,
    list_nearby_pharmacies,
)
from tests.factories import MemberFactory, NetworkFactory, PharmacyFactory, UserFactory
from tests.pharmacies.support import destination, real_point

pytestmark = pytest.mark.django_db

HARTFORD = real_point("06103")


def pharmacy_at(miles: float, *, bearing: float = 90.0, **fields: object) -> Pharmacy:
    latitude, longitude = destination(*HARTFORD, bearing_degrees=bearing, miles=miles)
    return PharmacyFactory(latitude=latitude, longitude=longitude, **fields)


def nearby(**kwargs: object) -> list[str]:
    criteria = {"latitude": HARTFORD[0], "longitude": HARTFORD[1], "radius_miles": 10} | kwargs
    return [p.name for p in list_nearby_pharmacies(**criteria)]  # type: ignore[arg-type]


def test_nearby_pharmacies_come_nearest_first_with_their_distance() -> None:
    pharmacy_at(3.0, name="Three", bearing=10)
    pharmacy_at(0.5, name="Half", bearing=200)
    pharmacy_at(7.25, name="Seven", bearing=300)

    results = list_nearby_pharmacies(latitude=HARTFORD[0], longitude=HARTFORD[1], radius_miles=10)

    assert [p.name for p in results] == ["Half", "Three", "Seven"]
    assert [round(p.distance_miles, 2) for p in results] == [0.5, 3.0, 7.25]


def test_the_radius_is_a_circle_not_the_bounding_box() -> None:
    pharmacy_at(4.9, name="Inside", bearing=45)
    # 5.5 miles to the north-east lies inside the 5-mile box's corner, outside the circle.
    pharmacy_at(5.5, name="Corner", bearing=45)
    pharmacy_at(5.2, name="East", bearing=90)

    assert nearby(radius_miles=5) == ["Inside"]


def test_pharmacies_without_coordinates_are_never_listed() -> None:
    PharmacyFactory(name="Nowhere", latitude=None, longitude=None)
    pharmacy_at(1, name="Somewhere")

    assert nearby() == ["Somewhere"]


def test_equal_distances_are_ordered_by_name() -> None:
    pharmacy_at(2, name="Beta", bearing=0)
    pharmacy_at(2, name="Alpha", bearing=0)

    assert nearby() == ["Alpha", "Beta"]


def test_results_match_a_brute_force_search_with_limit_and_offset() -> None:
    rng = random.Random(7)
    for index in range(60):
        pharmacy_at(rng.uniform(0, 30), bearing=rng.uniform(0, 360), name=f"P{index:02d}")
    expected = sorted(
        (
            (compute_distance_miles(*HARTFORD, p.latitude, p.longitude), p.name)
            for p in Pharmacy.objects.all()
        ),
    )
    expected_names = [name for distance, name in expected if distance <= 25]

    first = nearby(radius_miles=25, limit=20)
    second = nearby(radius_miles=25, limit=20, offset=20)
    rest = nearby(radius_miles=25, limit=100, offset=40)

    assert first + second + rest == expected_names
    assert count_nearby_pharmacies(
        latitude=HARTFORD[0], longitude=HARTFORD[1], radius_miles=25
    ) == len(expected_names)


def test_open_24_hours_filter() -> None:
    pharmacy_at(1, name="Day")
    pharmacy_at(2, name="Night", is_24_hours=True)

    assert nearby(open_24_hours=True) == ["Night"]


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ((), ["Retail", "Mail", "Specialty", "Retail and specialty"]),
        ((PharmacyKind.RETAIL,), ["Retail", "Retail and specialty"]),
        (("mail",), ["Mail"]),
        (
            (PharmacyKind.MAIL, PharmacyKind.SPECIALTY),
            ["Mail", "Specialty", "Retail and specialty"],
        ),
    ],
)
def test_kind_filters_keep_pharmacies_of_any_chosen_kind(
    kinds: tuple[str, ...], expected: list[str]
) -> None:
    pharmacy_at(1, name="Retail")
    pharmacy_at(2, name="Mail", is_retail=False, is_mail=True)
    pharmacy_at(3, name="Specialty", is_retail=False, is_specialty=True)
    pharmacy_at(4, name="Retail and specialty", is_specialty=True)

    assert nearby(kinds=kinds) == expected


def test_network_status_for_a_members_network_in_one_query(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    network = NetworkFactory()
    other = NetworkFactory()
    preferred = pharmacy_at(1, name="Preferred")
    plain = pharmacy_at(2, name="Plain")
    outside = pharmacy_at(3, name="Outside")
    NetworkPharmacy.objects.create(network=network, pharmacy=preferred, is_preferred=True)
    NetworkPharmacy.objects.create(network=network, pharmacy=plain, is_preferred=False)
    NetworkPharmacy.objects.create(network=other, pharmacy=outside, is_preferred=True)

    with django_assert_num_queries(1):
        results = list_nearby_pharmacies(
            latitude=HARTFORD[0], longitude=HARTFORD[1], radius_miles=10, network=network
        )

    assert [(p.name, p.in_network, p.is_preferred) for p in results] == [
        ("Preferred", True, True),
        ("Plain", True, False),
        ("Outside", False, False),
    ]


def test_preferred_only_keeps_the_networks_preferred_pharmacies() -> None:
    network = NetworkFactory()
    other = NetworkFactory()
    preferred = pharmacy_at(1, name="Preferred")
    elsewhere = pharmacy_at(2, name="Preferred elsewhere")
    NetworkPharmacy.objects.create(network=network, pharmacy=preferred, is_preferred=True)
    NetworkPharmacy.objects.create(network=other, pharmacy=elsewhere, is_preferred=True)
    pharmacy_at(3, name="Not in network")

    assert nearby(network=network, preferred_only=True) == ["Preferred"]


def test_without_a_network_status_is_unknown_and_preferred_only_is_refused() -> None:
    pharmacy_at(1, name="Any")

    (result,) = list_nearby_pharmacies(latitude=HARTFORD[0], longitude=HARTFORD[1], radius_miles=10)

    assert result.in_network is None
    assert result.is_preferred is None
    with pytest.raises(ValueError, match="network"):
        nearby(preferred_only=True)


def test_a_result_carries_links_for_phone_and_directions() -> None:
    pharmacy_at(1, phone="(860) 555-0142")

    (result,) = list_nearby_pharmacies(latitude=HARTFORD[0], longitude=HARTFORD[1], radius_miles=10)

    assert result.tel_uri == "tel:+18605550142"
    assert result.directions_url.startswith("https://www.openstreetmap.org/directions?to=")


def test_find_zip_centroid(centroids: object, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    centroid = find_zip_centroid("06103")
    assert centroid is not None
    assert (centroid.latitude, centroid.longitude) == HARTFORD
    assert find_zip_centroid("99999") is None
    with django_assert_num_queries(0):
        assert find_zip_centroid("abcde") is None
        assert find_zip_centroid("0610") is None


@pytest.mark.parametrize(
    ("text", "label", "kind"),
    [
        ("06103", "06103", LocationKind.ZIP),
        ("1 Main St, Hartford, CT 06103", "06103", LocationKind.ZIP),
        ("Hartford, CT", "Hartford, CT", LocationKind.PLACE),
        ("west hartford", "West Hartford, CT", LocationKind.PLACE),
        ("12 Main St, West Hartford, Connecticut", "West Hartford, CT", LocationKind.PLACE),
        ("Springfield, MA", "Springfield, MA", LocationKind.PLACE),
    ],
)
def test_find_search_location(centroids: object, text: str, label: str, kind: str) -> None:
    lookup = find_search_location(text=text)

    assert lookup.problem is None
    assert lookup.location is not None
    assert (lookup.location.label, lookup.location.kind) == (label, kind)


def test_a_city_is_located_at_the_mean_of_its_zip_centroids(centroids: object) -> None:
    lookup = find_search_location(text="Hartford, CT")

    # Hartford is listed by 06103, 06105 and 06106 among the test ZIPs.
    points = [real_point(zip_code) for zip_code in ("06103", "06105", "06106")]
    assert lookup.location is not None
    assert lookup.location.latitude == pytest.approx(sum(p[0] for p in points) / 3)
    assert lookup.location.longitude == pytest.approx(sum(p[1] for p in points) / 3)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("99999", LocationProblem.UNKNOWN_ZIP),
        ("0610", LocationProblem.BAD_ZIP),
        ("Atlantis", LocationProblem.UNKNOWN_PLACE),
        ("Hartford, NY", LocationProblem.UNKNOWN_PLACE),
        ("Springfield", LocationProblem.AMBIGUOUS_PLACE),
        ("", LocationProblem.MISSING),
    ],
)
def test_find_search_location_problems(centroids: object, text: str, problem: str) -> None:
    lookup = find_search_location(text=text)

    assert lookup.location is None
    assert lookup.problem == problem


def test_an_ambiguous_place_names_its_states(centroids: object) -> None:
    assert find_search_location(text="Springfield").states == ("IL", "MA")


def test_typed_text_wins_over_coordinates(centroids: object) -> None:
    by_text = find_search_location(text="06510", latitude=41.77, longitude=-72.67)
    by_coordinates = find_search_location(text="  ", latitude=41.77, longitude=-72.67)

    assert by_text.location is not None and by_text.location.label == "06510"
    assert by_coordinates.location == SearchLocation(41.77, -72.67, "", LocationKind.COORDINATES)


def test_find_viewer_network() -> None:
    member = MemberFactory(user=UserFactory())

    assert find_viewer_network(viewer=member.user) == member.plan.network
    assert find_viewer_network(viewer=UserFactory(role="client")) is None
    assert find_viewer_network(viewer=AnonymousUser()) is None


def test_search_page_counts_and_pages(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    for index in range(PAGE_SIZE + 5):
        pharmacy_at(0.1 + index / 10, name=f"P{index:02d}")
    here = SearchLocation(*HARTFORD, "06103", LocationKind.ZIP)

    with django_assert_num_queries(2):  # the page, then the count
        first = get_pharmacy_search_page(location=here, radius_miles=10, network=None)
    second = get_pharmacy_search_page(location=here, radius_miles=10, network=None, page=2)
    past = get_pharmacy_search_page(location=here, radius_miles=10, network=None, page=3)

    assert (first.total, first.page_count, len(first.pharmacies)) == (25, 2, 20)
    assert (first.has_previous, first.has_next) == (False, True)
    assert (second.first_index, second.last_index) == (21, 25)
    assert (second.has_previous, second.has_next) == (True, False)
    assert past.is_past_the_end and past.pharmacies == []


def test_a_short_first_page_needs_no_count_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    pharmacy_at(1)
    here = SearchLocation(*HARTFORD, "06103", LocationKind.ZIP)

    with django_assert_num_queries(1):
        page = get_pharmacy_search_page(location=here, radius_miles=10, network=None)

    assert page.total == 1


def test_preferred_only_is_ignored_on_a_search_page_without_a_network() -> None:
    pharmacy_at(1, name="Any")
    here = SearchLocation(*HARTFORD, "06103", LocationKind.ZIP)

    page = get_pharmacy_search_page(
        location=here, radius_miles=10, network=None, preferred_only=True
    )

    assert [p.name for p in page.pharmacies] == ["Any"]
