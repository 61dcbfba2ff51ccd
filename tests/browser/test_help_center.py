"""Someone who cannot sign in opens the help center from the sign-in page: finds an answer by
search, reads a tutorial and the contact page, in Spanish too; axe-clean, 360 px, no JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 800}


@pytest.fixture
def phone_page_without_javascript(browser: Browser, portal_server: PortalServer) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        viewport=PHONE,
        java_script_enabled=False,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _check(page: Page) -> None:
    assert_page_basics(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_visitor_finds_help_without_signing_in_in_english_and_spanish(
    phone_page_without_javascript: Page,
) -> None:
    page = phone_page_without_javascript
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Or find answers in the help center.").click()
    expect(page).to_have_url(re.compile(r"/help/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Help center")
    _check(page)

    page.get_by_role("textbox", name="Search the help center").fill("locked")
    page.get_by_role("button", name="Search").click()
    page.locator("#help-results-heading + ul").get_by_role(
        "link", name="I'm locked out. How long does it last?"
    ).click()
    expect(page.locator("main")).to_contain_text("Every lock ends by itself")
    _check(page)

    page.goto("/help/sign-in-on-a-new-browser/")
    expect(page.locator("ol.help-steps > li")).to_have_count(4)
    _check(page)

    page.locator(".hub-nav").get_by_role("link", name="Contact us").click()
    expect(page.locator(".help-contact")).to_contain_text("Client services (plan sponsors")
    _check(page)

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comuníquese con nosotros")
    _check(page)
    page.goto("/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Centro de ayuda")
    expect(page.locator("main")).to_contain_text("Solicitudes de acceso")
    _check(page)
