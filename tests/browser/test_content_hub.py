"""A client signs in and reads the content hub: only their audience's items, search, a
webinar registration, a template download, the Spanish tree; axe-clean, 360 px, no JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import (
    DEMO_CHALLENGE_ANSWER,
    DEMO_SITEKEY_PHRASE,
    next_totp_code,
)

pytestmark = pytest.mark.browser

DEMO_CLIENT_USERNAME = "demo-client"
DEMO_CLIENT_PASSWORD = "Demo-Client-Passphrase-2026"
PHONE = {"width": 360, "height": 800}


def sign_in_as_demo_client(page: Page) -> None:
    """Username, the challenge question (a new browser), SiteKey and password (clients have no
    second factor yet: they see no PHI); lands on the client home, which links to the hub."""
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(DEMO_CLIENT_USERNAME)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    page.get_by_label("Password").fill(DEMO_CLIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))


@pytest.fixture(scope="module")
def demo_client_storage_state(browser: Browser, portal_server: PortalServer) -> dict[str, Any]:
    context = browser.new_context(base_url=portal_server.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    sign_in_as_demo_client(page)
    state = context.storage_state()
    context.close()
    return dict(state)


def _client_page(
    browser: Browser, portal_server: PortalServer, state: dict[str, Any], *, javascript: bool
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        viewport=PHONE,
        java_script_enabled=javascript,
        storage_state=state,  # type: ignore[arg-type]
        accept_downloads=True,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def client_page(
    browser: Browser, portal_server: PortalServer, demo_client_storage_state: dict[str, Any]
) -> Iterator[Page]:
    yield from _client_page(browser, portal_server, demo_client_storage_state, javascript=True)


@pytest.fixture
def client_page_without_js(
    browser: Browser, portal_server: PortalServer, demo_client_storage_state: dict[str, Any]
) -> Iterator[Page]:
    yield from _client_page(browser, portal_server, demo_client_storage_state, javascript=False)


def assert_fits_a_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_client_reads_the_hub_on_a_phone(client_page: Page) -> None:
    page = client_page
    page.goto("/dashboard/")
    page.get_by_role("link", name="Open the content hub").click()

    expect(page).to_have_url(re.compile(r"/hub/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients and advisors hub")
    new = page.locator("section", has=page.locator("#new-heading"))
    expect(new).to_contain_text("More biosimilars reach the market")
    expect(new).not_to_contain_text("Medicare Part D redesign")  # advisors only
    assert_page_basics(page)
    assert_fits_a_phone(page)

    page.get_by_role("navigation", name="Content hub").get_by_role(
        "link", name="Industry news"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Industry news")
    results = page.locator("section", has=page.locator("#results-heading"))
    expect(results).to_contain_text("Prescription drug reporting for group health plans")
    expect(results).not_to_contain_text("Medicare Part D redesign")
    assert_page_basics(page)
    assert_fits_a_phone(page)

    page.get_by_label("Search", exact=True).fill("biosimilars")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 item")).to_be_visible()
    page.get_by_role("link", name="More biosimilars reach the market").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("More biosimilars reach the market")
    expect(page.locator(".hub-meta")).to_contain_text("Sample content")
    assert_page_basics(page)
    assert_fits_a_phone(page)


def test_a_client_registers_for_a_webinar_and_downloads_a_template(client_page: Page) -> None:
    page = client_page
    page.goto("/hub/webinars/specialty-drug-outlook/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Specialty drug outlook")
    assert_page_basics(page)
    assert_fits_a_phone(page)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("You are registered for this webinar.")).to_be_visible()
    calendar = page.get_by_role("link", name="Add to your calendar (.ics file)")
    response = page.request.get(calendar.get_attribute("href") or "")
    assert response.status == 200
    assert response.text().startswith("BEGIN:VCALENDAR\r\n")

    page.goto("/hub/tools/open-enrollment-letter/")
    assert_page_basics(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download Open enrollment letter")).click()
    assert download_info.value.suggested_filename == "open-enrollment-letter.txt"

    # An advisor-only template is not there for a client, by page or by document.
    assert page.goto("/hub/tools/advisor-client-briefing/").status == 404


def test_the_hub_in_spanish_without_javascript(client_page_without_js: Page) -> None:
    page = client_page_without_js
    page.goto("/hub/")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centro para clientes y asesores")
    expect(page.get_by_role("link", name="Noticias del sector").first).to_be_visible()
    assert_page_basics(page)
    assert_fits_a_phone(page)
    page.goto("/hub/strategies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Control de la tendencia de costos")
    expect(page.locator("main")).to_contain_text("Fomente los genéricos y biosimilares")
    expect(page.locator("main")).not_to_contain_text("Compare el programa de farmacia")
    assert_page_basics(page)
    assert_fits_a_phone(page)
    page.get_by_role("button", name="English").click()


def test_a_content_editor_works_in_the_cms_under_the_content_security_policy(
    page: Page,
) -> None:
    """The account team's demo user (in "Content editors") signs in through the portal and edits
    a hub page: Wagtail's editor runs with no CSP violation and no script error."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} {message.location}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto("/cms/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username", exact=True).fill("demo-accountteam")
    page.get_by_role("button", name="Continue").click()
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill("Demo-AccountTeam-Passphrase-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/cms/$"))

    page.goto("/cms/pages/search/?q=biosimilars")
    page.get_by_role("link", name=re.compile("More biosimilars reach the market")).first.click()
    expect(page).to_have_url(re.compile(r"/cms/pages/\d+/edit/$"))
    expect(page.locator(".Draftail-Editor").first).to_be_visible()
    expect(page.get_by_label("Audience")).to_have_value("both")
    page.wait_for_timeout(500)
    assert problems == []


def test_a_client_at_the_cms_gets_the_branded_403_on_a_phone(client_page: Page) -> None:
    page = client_page
    response = page.goto("/cms/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not available to your role")
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Client home")).to_be_visible()
    expect(main.get_by_role("link", name="Help center", exact=True)).to_be_visible()
    expect(page.locator("body > header").get_by_role("navigation")).to_be_visible()
    assert_page_basics(page)
    assert_fits_a_phone(page)

    page.get_by_role("button", name="Español").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("No disponible para su rol")
    assert page.locator("html").get_attribute("lang") == "es"
    assert_page_basics(page)
