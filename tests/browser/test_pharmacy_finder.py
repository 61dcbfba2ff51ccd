"""The pharmacy finder in a browser, on the real Connecticut roster: a ZIP search nearest
first, the open-24-hours filter, the second page, "Use my location", and the page without
JavaScript."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

HARTFORD_ZIP = "06103"
DISTANCE_RE = re.compile(r"([\d.]+) miles away")

# The real roster has no opening hours, so no pharmacy is open 24 hours: for the filter test,
# two pharmacies near Hartford are flagged for the duration of this module, then unflagged.
_FLAG_24_HOURS = """
import json
from rxportal.pharmacies.models import Pharmacy, ZipCentroid
from rxportal.pharmacies.selectors import list_nearby_pharmacies
centroid = ZipCentroid.objects.get(pk=%r)
nearby = list_nearby_pharmacies(latitude=centroid.latitude, longitude=centroid.longitude,
                                radius_miles=10, limit=6)
chosen = [nearby[1], nearby[4]]
ids = [str(p.public_id) for p in chosen]
assert not Pharmacy.objects.filter(public_id__in=ids, is_24_hours=True).exists()
Pharmacy.objects.filter(public_id__in=ids).update(is_24_hours=True)
print(json.dumps({"ids": ids, "names": [p.name for p in chosen]}))
"""
_UNFLAG_24_HOURS = """
from rxportal.pharmacies.models import Pharmacy
Pharmacy.objects.filter(public_id__in=%r).update(is_24_hours=False)
"""


@pytest.fixture(scope="module")
def open_all_night(portal_server: PortalServer) -> Iterator[list[str]]:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _FLAG_24_HOURS % HARTFORD_ZIP)
    flagged = json.loads(output.strip().splitlines()[-1])
    yield flagged["names"]
    portal_server.manage("shell", "--verbosity", "0", "-c", _UNFLAG_24_HOURS % flagged["ids"])


def distances(page: Page) -> list[float]:
    texts = page.locator("ol.pharmacy-list .pharmacy__distance").all_inner_texts()
    return [float(DISTANCE_RE.search(text).group(1)) for text in texts]  # type: ignore[union-attr]


def search_zip(page: Page, zip_code: str) -> None:
    page.goto("/pharmacies/")
    assert_page_basics(page)
    page.get_by_label("ZIP code, or city and state").fill(zip_code)
    page.get_by_role("button", name="Search", exact=True).click()


def test_zip_search_lists_the_nearest_pharmacies_with_distances(page: Page) -> None:
    search_zip(page, HARTFORD_ZIP)

    heading = page.get_by_role("heading", level=2, name=re.compile(r"pharmacies within 10 miles"))
    expect(heading).to_contain_text(f"within 10 miles of {HARTFORD_ZIP}")
    results = page.locator("ol.pharmacy-list > li")
    expect(results).to_have_count(20)
    found = distances(page)
    assert found == sorted(found)
    assert found[0] < 1.5  # downtown Hartford has pharmacies within a mile or so
    first = results.first
    expect(first.get_by_role("heading", level=3)).not_to_be_empty()
    expect(results.locator("a[href^='tel:+1']").first).to_be_visible()
    expect(first.get_by_role("link", name=re.compile("^Directions to "))).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/directions\?to=")
    )
    # The public register has no opening hours; where they are unknown the finder says nothing.
    expect(results.filter(has_text="Call for hours")).to_have_count(0)
    assert_page_basics(page)
    assert f"location={HARTFORD_ZIP}" in page.url  # a GET form: the search is bookmarkable


def test_open_24_hours_filter(page: Page, open_all_night: list[str]) -> None:
    search_zip(page, HARTFORD_ZIP)

    page.get_by_label("Open 24 hours").check()
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.locator("#results-heading")).to_contain_text("2 pharmacies within 10 miles")
    names = page.locator("ol.pharmacy-list .pharmacy__name").all_inner_texts()
    assert names == open_all_night
    expect(page.locator("ol.pharmacy-list > li").first).to_contain_text("Open 24 hours")
    expect(page.get_by_label("Open 24 hours")).to_be_checked()
    assert "open_24_hours=on" in page.url


def test_the_second_page_continues_the_list(page: Page) -> None:
    search_zip(page, HARTFORD_ZIP)
    last_on_first_page = distances(page)[-1]

    page.get_by_role("link", name="Next page, page 2").click()

    expect(page.locator("ol.pharmacy-list")).to_have_attribute("start", "21")
    expect(
        page.get_by_text(re.compile(r"Showing 21 to \d+ of \d+ \(page 2 of \d+\)"))
    ).to_be_visible()
    second_page = distances(page)
    assert second_page and second_page == sorted(second_page)
    assert second_page[0] >= last_on_first_page
    assert "page=2" in page.url
    expect(page.get_by_role("link", name="Previous page, page 1")).to_be_visible()
    assert_page_basics(page)


def test_use_my_location_fills_the_coordinates_and_searches(
    browser: Browser, portal_server: PortalServer
) -> None:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        geolocation={"latitude": 41.765103, "longitude": -72.670756},
        permissions=["geolocation"],
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/pharmacies/")
        button = page.get_by_role("button", name="Use my location")
        expect(button).to_be_visible()

        button.click()

        expect(page.locator("#results-heading")).to_contain_text("within 10 miles of your location")
        assert "lat=41.77" in page.url and "lon=-72.67" in page.url  # rounded, never exact
        expect(page.locator("ol.pharmacy-list > li")).to_have_count(20)
    finally:
        context.close()


def test_without_javascript_the_location_button_stays_hidden_and_search_works(
    browser: Browser, portal_server: PortalServer
) -> None:
    context = browser.new_context(
        base_url=portal_server.base_url, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/pharmacies/")
        expect(page.locator("#use-my-location")).to_be_hidden()

        page.get_by_label("ZIP code, or city and state").fill("Hartford, CT")
        page.get_by_role("button", name="Search", exact=True).click()

        expect(page.locator("#results-heading")).to_contain_text("of Hartford, CT")
    finally:
        context.close()


def test_an_unknown_zip_is_explained(page: Page) -> None:
    search_zip(page, "00000")

    expect(page.get_by_text("We could not find that ZIP code")).to_be_visible()
    expect(page.get_by_label("ZIP code, or city and state")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_page_basics(page)
