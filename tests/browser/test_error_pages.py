"""Branded 404 and 500 pages, and one member-services number on the ID card and the footer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

PHONE = re.compile(r"^1-800-555-01\d\d$")
# The 500 page exactly as the server's handler renders it (development settings, the server's
# static manifest), in the language given: no URL of the portal fails on purpose.
RENDER_500 = (
    "from django.test import RequestFactory\n"
    "from django.utils import translation\n"
    "from rxportal.core.views import server_error\n"
    "with translation.override({language!r}):\n"
    "    response = server_error(RequestFactory().get('/somewhere/'))\n"
    "print(response.status_code)\n"
    "print(response.content.decode())\n"
)


@pytest.fixture
def phone_page(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url, locale="en-US", viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _footer_member_phone(page: Page) -> str:
    footer = page.locator("body > footer")
    return footer.locator(".support-lines > div").first.get_by_role("link").inner_text()


def test_a_missing_page_is_branded_at_360px_and_switches_to_spanish(phone_page: Page) -> None:
    page = phone_page
    response = page.goto("/no-such-page/")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can't find that page")
    expect(page.get_by_role("search", name="Drug search")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    expect(
        page.locator("main").get_by_text("Clients and advisors: call client services")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_page_basics(page)

    page.get_by_role("button", name="Español").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("No encontramos esa página")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_page_basics(page)

    page.get_by_role("searchbox", name="Buscar un medicamento").fill("metformin")
    page.get_by_role("button", name="Buscar").first.click()
    expect(page).to_have_url(re.compile(r"/drugs/\?q=metformin"))


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Something went wrong on our side"), ("es", "Algo salió mal de nuestro lado")],
)
def test_the_500_page_is_branded_accessible_and_fits_360px(
    phone_page: Page, portal_server: PortalServer, language: str, heading: str
) -> None:
    status, html = portal_server.manage(
        "shell", "--no-imports", "-c", RENDER_500.format(language=language)
    ).split("\n", 1)
    assert status == "500"
    page = phone_page
    page.goto("/healthz")  # same origin, so the stylesheet loads as on a real error
    page.set_content(html)

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.locator("html").get_attribute("lang") == language
    expect(page.locator("body > header").get_by_role("navigation")).to_be_visible()
    for link in page.locator("body > footer .support-lines a").all():
        assert re.fullmatch(r"1-800-555-01\d\d|711", link.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_page_basics(page)


def test_the_footer_shows_the_member_services_number_on_the_members_id_card(
    member_page: Page,
) -> None:
    page = member_page
    page.goto("/id-card/")
    card_phone = page.locator(".id-card__phones").first.get_by_role("link").first.inner_text()

    assert PHONE.match(card_phone)
    assert _footer_member_phone(page) == card_phone

    for path in ("/dashboard/", "/no-such-page/"):
        page.goto(path)
        assert _footer_member_phone(page) == card_phone
    expect(
        page.locator("main").get_by_text(f"Call member services at {card_phone}.")
    ).to_be_visible()
