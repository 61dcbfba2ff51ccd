"""Distance maths and search-input parsing: pure functions, no database."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rxportal.pharmacies.domain import (
    EARTH_RADIUS_MILES,
    compute_bounding_box,
    compute_directions_url,
    compute_distance_miles,
    compute_page_count,
    compute_tel_uri,
    normalize_place_name,
    parse_location_query,
)
from tests.pharmacies.support import destination, real_point

latitudes = st.floats(min_value=-89.9, max_value=89.9, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
radii = st.floats(min_value=0.01, max_value=500, allow_nan=False)


def test_hartford_to_new_haven_is_about_34_miles_in_a_straight_line() -> None:
    hartford = real_point("06103")
    new_haven = real_point("06510")

    miles = compute_distance_miles(*hartford, *new_haven)

    assert miles == pytest.approx(34.36, abs=0.01)


def test_one_degree_of_longitude_at_the_equator_is_a_360th_of_the_circumference() -> None:
    assert compute_distance_miles(0, 0, 0, 1) == pytest.approx(
        2 * math.pi * EARTH_RADIUS_MILES / 360
    )


def test_new_york_to_los_angeles_is_about_2450_miles() -> None:
    # City Hall, New York, to City Hall, Los Angeles: about 2,445 miles great-circle.
    assert compute_distance_miles(40.7128, -74.0060, 34.0537, -118.2428) == pytest.approx(
        2445, rel=0.005
    )


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_is_symmetric_and_never_negative(
    lat_1: float, lon_1: float, lat_2: float, lon_2: float
) -> None:
    there = compute_distance_miles(lat_1, lon_1, lat_2, lon_2)
    back = compute_distance_miles(lat_2, lon_2, lat_1, lon_1)

    assert there >= 0
    assert there == pytest.approx(back, abs=1e-9)
    assert there <= math.pi * EARTH_RADIUS_MILES + 1e-6


@given(
    latitudes,
    longitudes,
    radii,
    st.floats(min_value=0, max_value=360, allow_nan=False),
    st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_bounding_box_holds_every_point_within_the_radius(
    latitude: float, longitude: float, radius: float, bearing: float, fraction: float
) -> None:
    point = destination(latitude, longitude, bearing_degrees=bearing, miles=radius * fraction)
    assume(compute_distance_miles(latitude, longitude, *point) <= radius)

    box = compute_bounding_box(latitude=latitude, longitude=longitude, radius_miles=radius)

    assert box.contains(*point)


offsets = st.floats(min_value=-8, max_value=8, allow_nan=False)


@given(latitudes, longitudes, radii, offsets, offsets)
def test_bounding_box_holds_any_nearby_point_that_is_within_the_radius(
    latitude: float, longitude: float, radius: float, d_lat: float, d_lon: float
) -> None:
    other_lat = max(-90.0, min(90.0, latitude + d_lat))
    other_lon = (longitude + d_lon + 180) % 360 - 180
    assume(compute_distance_miles(latitude, longitude, other_lat, other_lon) <= radius)

    box = compute_bounding_box(latitude=latitude, longitude=longitude, radius_miles=radius)

    assert box.contains(other_lat, other_lon)


@given(
    st.floats(min_value=-70, max_value=70),
    st.floats(min_value=-170, max_value=170),
    st.floats(min_value=0.5, max_value=50),
)
def test_bounding_box_touches_the_circle_so_it_is_no_wider_than_needed(
    latitude: float, longitude: float, radius: float
) -> None:
    box = compute_bounding_box(latitude=latitude, longitude=longitude, radius_miles=radius)
    # The circle's easternmost point lies a little poleward, at asin(sin(lat) / cos(angle)).
    angle = radius / EARTH_RADIUS_MILES
    tangent_latitude = math.degrees(math.asin(math.sin(math.radians(latitude)) / math.cos(angle)))

    north = compute_distance_miles(latitude, longitude, box.max_latitude, longitude)
    east = compute_distance_miles(latitude, longitude, tangent_latitude, box.max_longitude)

    assert north == pytest.approx(radius, rel=1e-6)
    assert east == pytest.approx(radius, rel=1e-6)


def test_bounding_box_widens_longitude_with_latitude() -> None:
    equator = compute_bounding_box(latitude=0, longitude=0, radius_miles=25)
    hartford = compute_bounding_box(latitude=41.77, longitude=-72.67, radius_miles=25)

    assert (equator.max_latitude - equator.min_latitude) == pytest.approx(
        hartford.max_latitude - hartford.min_latitude
    )
    hartford_width = hartford.max_longitude - hartford.min_longitude
    equator_width = equator.max_longitude - equator.min_longitude
    assert hartford_width == pytest.approx(equator_width / math.cos(math.radians(41.77)), rel=1e-3)


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(89.9, 0.0), (-89.95, 10.0), (10.0, 179.9), (-20.0, -179.95)]
)
def test_bounding_box_near_a_pole_or_the_180th_meridian_spans_every_longitude(
    latitude: float, longitude: float
) -> None:
    box = compute_bounding_box(latitude=latitude, longitude=longitude, radius_miles=25)

    assert box.spans_all_longitudes


@pytest.mark.parametrize(
    ("latitude", "longitude", "radius"), [(91, 0, 5), (0, 181, 5), (0, 0, 0), (0, 0, -1)]
)
def test_bounding_box_refuses_impossible_input(
    latitude: float, longitude: float, radius: float
) -> None:
    with pytest.raises(ValueError, match="must"):
        compute_bounding_box(latitude=latitude, longitude=longitude, radius_miles=radius)


@pytest.mark.parametrize(
    ("text", "zip_code"),
    [
        ("06103", "06103"),
        (" 06103-1234 ", "06103"),
        ("061031234", "06103"),
        ("Hartford, CT 06103", "06103"),
        ("1 Main St, Hartford, CT 06103-1234", "06103"),
        ("０６１０３", "06103"),  # full-width digits from a phone keyboard
    ],
)
def test_a_zip_code_is_found_anywhere_in_the_text(text: str, zip_code: str) -> None:
    assert parse_location_query(text).zip_code == zip_code


@pytest.mark.parametrize(
    ("text", "city", "state"),
    [
        ("Hartford, CT", "hartford", "CT"),
        ("hartford ct", "hartford", "CT"),
        ("Hartford, Connecticut", "hartford", "CT"),
        ("West Hartford", "west hartford", None),
        ("Kansas City Missouri", "kansas city", "MO"),
        ("St. Louis, MO", "st louis", "MO"),
        ("12345 Ventura Blvd, Los Angeles, CA", "los angeles", "CA"),  # a house number, no ZIP
        ("San José, CA", "san jose", "CA"),
        ("Concord New Hampshire", "concord", "NH"),
    ],
)
def test_a_city_and_state_are_read(text: str, city: str, state: str | None) -> None:
    query = parse_location_query(text)

    assert query.zip_code is None
    assert query.city_candidates[0] == city
    assert query.state == state


def test_a_street_before_the_city_leaves_the_city_as_the_shortest_candidate() -> None:
    query = parse_location_query("12 Main St West Hartford CT")

    assert query.state == "CT"
    assert query.city_candidates == (
        "12 main st west hartford",
        "main st west hartford",
        "st west hartford",
        "west hartford",
        "hartford",
    )


@pytest.mark.parametrize("text", ["0610", "123", "12-34", "0610 3"])
def test_digits_that_are_not_a_zip_code_are_flagged(text: str) -> None:
    assert parse_location_query(text).looks_like_bad_zip


def test_normalize_place_name_ignores_case_accents_dots_and_spacing() -> None:
    assert normalize_place_name("  St.  Louis ") == "st louis"
    assert normalize_place_name("MAYAGÜEZ") == "mayaguez"


@pytest.mark.parametrize(
    ("phone", "uri"),
    [
        ("(203) 263-2282", "tel:+12032632282"),
        ("1-860-555-0100", "tel:+18605550100"),
        ("555-0100", None),
        ("", None),
    ],
)
def test_tel_uri(phone: str, uri: str | None) -> None:
    assert compute_tel_uri(phone) == uri


def test_directions_go_to_openstreetmap_with_only_the_destination() -> None:
    url = compute_directions_url(latitude=41.765103, longitude=-72.670756)

    assert url == "https://www.openstreetmap.org/directions?to=41.765103%2C-72.670756"


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (20, 1), (21, 2), (100, 5)])
def test_page_count(total: int, pages: int) -> None:
    assert compute_page_count(total, 20) == pages
