"""The demo service agent signs in and lands on a page that leads to the staff console; the back
office shows them reference data only (member records are superuser-only and audited there)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import DEMO_CHALLENGE_ANSWER, next_totp_code

pytestmark = pytest.mark.browser

SERVICE_USERNAME = "demo-service"
SERVICE_PASSWORD = "Demo-Service-Passphrase-2026"


@pytest.fixture
def service_context(browser: Browser, portal_server: PortalServer) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=portal_server.base_url, locale="en-US", viewport={"width": 360, "height": 800}
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    yield context
    context.close()


def _sign_in_as_service_agent(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(SERVICE_USERNAME)
    page.get_by_role("button", name="Continue").click()
    # A new browser: the challenge question comes before the SiteKey and password.
    expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(SERVICE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_the_service_agent_lands_on_the_way_to_the_staff_console(
    browser: Browser, portal_server: PortalServer, service_context: BrowserContext
) -> None:
    page = service_context.new_page()
    _sign_in_as_service_agent(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Member tools are for plan members")
    assert_page_basics(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Open the staff console")).to_be_visible()

    # The back office: reference data, and no member records.
    main.get_by_role("link", name="back office").click()
    expect(page).to_have_url(re.compile(r"/backoffice/$"))
    expect(page.locator("#plans-plan").get_by_role("link", name="Plans")).to_be_visible()
    for app in ("members", "claims", "prescriptions", "orders", "accounts"):
        expect(page.locator(f'a[href^="/backoffice/{app}/"]')).to_have_count(0)
    assert page.goto("/backoffice/members/member/").status == 403  # type: ignore[union-attr]

    page.goto("/dashboard/")
    page.get_by_role("main").get_by_role("link", name="Open the staff console").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    # Without JavaScript the landing page and its links work the same.
    state = service_context.storage_state()
    no_js = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        java_script_enabled=False,
        storage_state=state,  # type: ignore[arg-type]
    )
    try:
        plain = no_js.new_page()
        plain.goto("/dashboard/")
        plain.get_by_role("main").get_by_role("link", name="Open the staff console").click()
        expect(plain).to_have_url(re.compile(r"/staff/$"))
    finally:
        no_js.close()
