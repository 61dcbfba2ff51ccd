"""The finder page /pharmacies/: searches, messages, pagination, members vs anonymous."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.pharmacies.models import Network, NetworkPharmacy, Pharmacy
from tests.factories import MemberFactory, PharmacyFactory, UserFactory
from tests.pharmacies.support import destination, real_point

pytestmark = pytest.mark.django_db

URL = "/pharmacies/"
HARTFORD = real_point("06103")


@pytest.fixture(autouse=True)
def _fresh_cache_namespace(settings) -> None:  # type: ignore[no-untyped-def]
    default = {**settings.CACHES["default"]}
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-pharm-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {**settings.CACHES, "default": default}


def pharmacy_at(miles: float, *, bearing: float = 90.0, **fields: object) -> Pharmacy:
    latitude, longitude = destination(*HARTFORD, bearing_degrees=bearing, miles=miles)
    return PharmacyFactory(latitude=latitude, longitude=longitude, **fields)


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible text, spacing collapsed (tags dropped, entities decoded)."""
    body = response.content.decode()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def names_listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    return [
        html.unescape(name)
        for name in re.findall(r'<h3 class="pharmacy__name">(.*?)</h3>', body, re.S)
    ]


@pytest.fixture
def member_client(client: Client) -> tuple[Client, Network]:
    member = MemberFactory(user=UserFactory())
    client.force_login(member.user)
    return client, member.plan.network


def test_the_url_is_pharmacies() -> None:
    assert reverse("pharmacies:finder") == URL


def test_first_visit_shows_the_form_and_no_results(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert 'method="get"' in body
    assert 'role="search"' in body
    assert "results-heading" not in body
    assert "field__error" not in body


def test_zip_search_lists_nearest_first_with_distance_phone_hours_and_directions(
    client: Client, centroids: object
) -> None:
    pharmacy_at(2.0, name="Farther", phone="(860) 555-0111", bearing=0)
    pharmacy_at(0.5, name="Nearer", hours="Mon–Fri 9 AM–5 PM")
    pharmacy_at(30, name="Too far")

    response = client.get(URL, {"location": "06103", "radius": "10"})

    assert response.status_code == 200
    assert names_listed(response) == ["Nearer", "Farther"]
    text = text_of(response)
    assert "2 pharmacies within 10 miles of 06103" in text
    assert "0.5 miles away" in text and "2.0 miles away" in text
    assert "Mon–Fri 9 AM–5 PM" in text
    assert "Call for hours" not in text
    body = response.content.decode()
    assert 'href="tel:+18605550111"' in body
    assert 'href="https://www.openstreetmap.org/directions?to=' in body
    assert '<ol class="pharmacy-list" start="1">' in body


def test_anonymous_visitors_see_no_network_status(client: Client, centroids: object) -> None:
    pharmacy = pharmacy_at(1)
    NetworkPharmacy.objects.create(
        network=MemberFactory().plan.network, pharmacy=pharmacy, is_preferred=True
    )

    response = client.get(URL, {"location": "06103"})

    text = text_of(response)
    assert "In network" not in text and "Preferred" not in text
    assert 'name="preferred"' not in response.content.decode()
    assert "Sign in as a member" in text


def test_members_see_their_plans_network_status(
    member_client: tuple[Client, Network], centroids: object
) -> None:
    client, network = member_client
    preferred = pharmacy_at(1, name="Preferred one")
    in_network = pharmacy_at(2, name="Plain one")
    pharmacy_at(3, name="Outside one")
    NetworkPharmacy.objects.create(network=network, pharmacy=preferred, is_preferred=True)
    NetworkPharmacy.objects.create(network=network, pharmacy=in_network, is_preferred=False)

    response = client.get(URL, {"location": "06103"})

    assert response.status_code == 200
    body = response.content.decode()
    items = re.findall(
        r'<li class="pharmacy">(.*?)</li>\s*(?=<li class="pharmacy">|</ol>)', body, re.S
    )
    assert len(items) == 3
    assert "In network" in items[0] and "Preferred" in items[0]
    assert "In network" in items[1] and "Preferred" not in items[1]
    assert "Out of network" in items[2]
    assert network.name in text_of(response)


def test_members_can_ask_for_preferred_pharmacies_only(
    member_client: tuple[Client, Network], centroids: object
) -> None:
    client, network = member_client
    preferred = pharmacy_at(1, name="Preferred one")
    pharmacy_at(2, name="Other one")
    NetworkPharmacy.objects.create(network=network, pharmacy=preferred, is_preferred=True)

    response = client.get(URL, {"location": "06103", "preferred": "on"})

    assert names_listed(response) == ["Preferred one"]


def test_city_search(client: Client, centroids: object) -> None:
    pharmacy_at(1, name="Downtown")

    response = client.get(URL, {"location": "Hartford, CT", "radius": "5"})

    assert names_listed(response) == ["Downtown"]
    assert "1 pharmacy within 5 miles of Hartford, CT" in text_of(response)


def test_location_search_uses_rounded_coordinates(client: Client) -> None:
    for index in range(21):
        pharmacy_at(0.5 + index / 100, name=f"Close by {index:02d}")

    response = client.get(URL, {"lat": "41.765103", "lon": "-72.670756"})

    assert names_listed(response)[0] == "Close by 00"
    assert "21 pharmacies within 10 miles of your location" in text_of(response)
    body = response.content.decode()
    assert 'name="lat" id="id_lat" value="41.77"' in body
    assert 'name="lon" id="id_lon" value="-72.67"' in body
    assert 'href="?lat=41.77&amp;lon=-72.67&amp;radius=10&amp;page=2"' in body


def test_filters_open_24_hours_and_kind(client: Client, centroids: object) -> None:
    pharmacy_at(1, name="Day")
    pharmacy_at(2, name="Night", is_24_hours=True)
    pharmacy_at(3, name="Post", is_retail=False, is_mail=True)

    night = client.get(URL, {"location": "06103", "open_24_hours": "on"})
    mail = client.get(URL, {"location": "06103", "kind": "mail"})

    assert names_listed(night) == ["Night"]
    assert "Open 24 hours" in text_of(night)
    assert names_listed(mail) == ["Post"]


def test_no_match_is_explained(client: Client, centroids: object) -> None:
    response = client.get(URL, {"location": "06103", "radius": "1"})

    assert response.status_code == 200
    assert "No pharmacies match" in text_of(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"location": "99999"}, "We could not find that ZIP code"),
        ({"location": "0610"}, "A ZIP code has 5 digits"),
        ({"location": "Atlantis"}, "We could not find “Atlantis”"),
        ({"location": "Atlantis"}, "Street addresses cannot be looked up here"),
        ({"location": "Springfield"}, "is in more than one state (IL, MA)"),
        ({"location": ""}, "Enter a ZIP code or a city and state"),
        ({"page": "2"}, "Enter a ZIP code or a city and state"),
        ({"location": "06103", "radius": "7"}, "Choose a distance of 1, 5, 10, 25 or 50 miles"),
        ({"location": "06103", "radius": "-5"}, "Choose a distance"),
        ({"location": "06103", "page": "0"}, "That page number is not valid"),
        ({"location": "06103", "page": "9" * 40}, "That page number is not valid"),
        ({"location": "06103", "page": "two"}, "That page number is not valid"),
        ({"location": "06103", "kind": "pharmacy"}, "Choose retail, mail order or specialty"),
        ({"lat": "41.7"}, "We could not read your location"),
        ({"lat": "91", "lon": "0"}, "We could not read your location"),
        ({"lat": "nan", "lon": "inf"}, "We could not read your location"),
        ({"location": "x" * 10_000}, "Enter at most 200 characters"),
    ],
)
def test_bad_input_gets_a_clear_message(
    client: Client, centroids: object, params: dict[str, str], message: str
) -> None:
    response = client.get(URL, params)

    assert response.status_code == 200
    assert message in text_of(response)
    assert "results-heading" not in response.content.decode()


@pytest.mark.parametrize("name", ["location", "lat", "lon", "radius", "page", "kind", "preferred"])
@pytest.mark.parametrize("junk", ["\x00", "06103\x00", "x" * 10_000, "🙂" * 300, "' OR 1=1 --"])
def test_junk_in_any_parameter_never_breaks_the_page(
    member_client: tuple[Client, Network], centroids: object, name: str, junk: str
) -> None:
    client, _ = member_client
    params = {"location": "06103", name: junk}

    response = client.get(URL, params)

    assert response.status_code == 200


def test_a_page_past_the_end_says_how_many_pages_there_are(
    client: Client, centroids: object
) -> None:
    pharmacy_at(1)

    response = client.get(URL, {"location": "06103", "page": "4"})

    assert response.status_code == 200
    text = text_of(response)
    assert "There is no page 4: this search has 1 page of results." in text
    assert 'href="?location=06103&amp;radius=10"' in response.content.decode()


def test_pagination_by_twenty_with_labelled_previous_and_next_links(
    client: Client, centroids: object
) -> None:
    for index in range(25):
        pharmacy_at(0.1 + index / 10, name=f"Pharmacy {index:02d}")
    params = {"location": "06103", "open_24_hours": "", "kind": ["retail"]}

    first = client.get(URL, params)
    second = client.get(URL, {**params, "page": "2"})

    assert names_listed(first) == [f"Pharmacy {index:02d}" for index in range(20)]
    assert names_listed(second) == [f"Pharmacy {index:02d}" for index in range(20, 25)]
    first_body = first.content.decode()
    second_body = second.content.decode()
    assert (
        '<a rel="next" href="?location=06103&amp;radius=10&amp;kind=retail&amp;page=2" '
        'aria-label="Next page, page 2">Next</a>'
    ) in first_body
    assert 'rel="prev"' not in first_body
    assert (
        '<a rel="prev" href="?location=06103&amp;radius=10&amp;kind=retail" '
        'aria-label="Previous page, page 1">Previous</a>'
    ) in second_body
    assert 'rel="next"' not in second_body
    assert '<ol class="pharmacy-list" start="21">' in second_body
    assert "Showing 21 to 25 of 25 (page 2 of 2)" in text_of(second)
    assert 'aria-label="Pages of results"' in second_body


def test_the_page_is_accessible_and_has_no_inline_script_or_style(
    client: Client, centroids: object
) -> None:
    pharmacy_at(1)

    body = client.get(URL, {"location": "06103"}).content.decode()

    assert "style=" not in body and "<style" not in body
    assert re.findall(r"<script[^>]*>", body) == [
        '<script src="/static/pharmacies/finder.js" defer>'
    ]
    assert (
        '<button type="button" class="button button--secondary" id="use-my-location" hidden' in body
    )
    assert '<label for="id_location">' in body
    assert 'aria-describedby="id_location_hint"' in body
    assert '<section class="finder-results" aria-labelledby="results-heading">' in body


def test_an_error_marks_the_field_invalid(client: Client, centroids: object) -> None:
    body = client.get(URL, {"location": "99999"}).content.decode()

    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_location_hint id_location_error"' in body


def test_query_budget(
    member_client: tuple[Client, Network],
    centroids: object,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    client, network = member_client
    for index in range(30):
        NetworkPharmacy.objects.create(network=network, pharmacy=pharmacy_at(0.1 + index / 10))
    client.get(URL)  # the first request of a session also records the session (allauth)

    # 7 for the session, the user and allauth's user-session record; then the finder's 5:
    # member, network, ZIP, the page of pharmacies with their network status, the count;
    # and 1 for the footer's member-services line (the member's sponsor, core.contact).
    with django_assert_max_num_queries(13) as queries:
        response = client.get(URL, {"location": "06103"})

    finder_queries = [
        query["sql"]
        for query in queries.captured_queries
        if re.search(r'FROM "?(members|pharmacies)_', query["sql"])
    ]
    assert len(finder_queries) == 6
    assert len(names_listed(response)) == 20


def test_post_is_not_allowed(client: Client) -> None:
    assert client.post(URL, {"location": "06103"}).status_code == 405


def test_a_pharmacy_whose_hours_are_unknown_says_nothing_about_hours(
    client: Client, centroids: object
) -> None:
    """Unknown hours are left out (no "Call for hours" on every pharmacy); known hours and
    round-the-clock pharmacies still say theirs."""
    pharmacy_at(0.5, name="Unknown hours", hours="")
    pharmacy_at(1.0, name="Known hours", hours="Mon–Fri 9 AM–5 PM")
    pharmacy_at(1.5, name="All night", is_24_hours=True, hours="")

    response = client.get(URL, {"location": "06103", "radius": "10"})

    items = re.findall(r'<li class="pharmacy">(.*?)</li>\s*(?=<li class="pharmacy">|</ol>)',
                       response.content.decode(), flags=re.DOTALL)  # fmt: skip
    assert len(items) == 3
    by_name = {re.search(r'pharmacy__name">([^<]+)<', item).group(1): item for item in items}  # type: ignore[union-attr]
    assert "Hours" not in by_name["Unknown hours"]
    assert "Call for hours" not in by_name["Unknown hours"]
    assert "Hours" in by_name["Known hours"] and "Mon–Fri 9 AM–5 PM" in by_name["Known hours"]
    assert "Open 24 hours" in by_name["All night"]
