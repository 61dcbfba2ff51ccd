"""The layout on a phone and on a desktop, for every page a member reaches.

- At 360 px no page scrolls sideways (`document.documentElement.scrollWidth <= 360`): the pages
  come from a sweep of the links from the dashboard and the main menu, signed in as demo-member,
  plus the search forms' results, and the sweep must cover every member page in the URL conf
  (or say here why a URL is not a page it can land on).
- At 360 px the header is one short row: the site name, a "Menu" button (a <details>, so it opens
  without JavaScript) and the language button; axe-clean with the menu closed and open.
- At 1280 px the signed-in header is one row (its height against one link's) for a member, a
  client and staff, in English and Spanish.
- On /prescriptions/ "Refill selected" is on screen with the first checkbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import Resolver404, get_resolver, resolve
from django.urls.resolvers import URLPattern, URLResolver
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import (
    ACTION_TIMEOUT_MS,
    DEMO_MEMBER_PASSWORD,
    DEMO_MEMBER_USERNAME,
    PortalServer,
)
from tests.browser.test_content_hub import sign_in_as_demo_client
from tests.browser.test_prescriptions import _REFILLABLE, shell
from tests.browser.test_sign_in import assert_accessible
from tests.browser.test_signin_flow import next_totp_code
from tests.browser.test_staff_landing import _sign_in_as_service_agent

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# One row of the header at 360 px: 2.75rem controls and the padding around them (76 px today).
HEADER_MAX_HEIGHT_ON_A_PHONE = 100

# The member's pages: these URL namespaces, and the My Account pages (named rx_myaccount*).
MEMBER_NAMESPACES = {
    "web",
    "prescriptions",
    "orders",
    "claims",
    "formulary",
    "pricing",
    "pharmacies",
    "notifications",
    "members",
    "connected_apps",
}
# Member URLs the sweep does not land on, and why. Anything else in MEMBER_NAMESPACES that the
# sweep misses fails the test: a new page must be reachable or listed here.
NOT_SWEPT = {
    "web:login": "only redirects to the sign-in steps",
    "web:logout": "signs out (the shared demo-member session must stay)",
    "web:id_card_pdf": "a PDF download",
    "claims:export_csv": "a CSV download",
    "claims:statement_pdf": "a PDF download",
    "rx_myaccount_recovery_codes_download": "a text download",
    "rx_myaccount_end_other_sessions": "POST only",
    "rx_myaccount_forget_device": "POST only",
    "formulary:suggest": "JSON for the search box",
    "prescriptions:refill_confirm": "POST only: places the order",
    "prescriptions:refill_detail": "exists once a refill is placed (test_prescriptions places one)",
    "prescriptions:auto_refill": "POST only",
    "prescriptions:renewal": "POST only",
    "orders:address_set_default": "POST only",
    "orders:address_remove": "POST only",
    "orders:cancel": "linked only while an order can be cancelled (test_mail_orders)",
    "pricing:save_quote": "POST only",
    "pricing:quote": "a saved quote (test_cost_estimator saves one)",
    "members:family_access_grant": "linked only when consent can be given (test_family_access)",
    "members:family_access_revoke": "linked only when consent can be removed (test_family_access)",
    "notifications:mark_all_read": "POST only",
    "notifications:unsubscribe": "a link in an email, used signed out",
    "connected_apps:disconnect": "POST only (test_connected_apps disconnects at 360 px)",
}

# Never followed: downloads, signing out, other sites' areas and the back office.
SKIPPED_LINKS = re.compile(
    r"(\.pdf|\.csv|/download/|/logout/|/i18n/|/backoffice/|/cms/|/hub/|/help/|/static/|"
    r"/media/|/documents/|/unsubscribe/)"
)
REAUTHENTICATION_PATHS = {"/accounts/reauthenticate/", "/accounts/2fa/reauthenticate/"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A drug and a place with results in the reference data: their results link on to drug pages
# and to the cost estimator with a drug chosen.
SEARCHES = ["/drugs/?q=metformin", "/pharmacies/?location=06103"]

HEADER_JS = """() => {
    const header = document.querySelector('body > header');
    const row = Array.from(header.querySelectorAll('.site-nav a, summary'))
        .map((el) => el.getBoundingClientRect().height)
        .filter((height) => height > 0);
    return {header: header.getBoundingClientRect().height, row: Math.max(...row)};
}"""


def member_url_names() -> set[str]:
    """Every named member URL in the URL conf."""
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if namespace in MEMBER_NAMESPACES:
                    names.add(f"{namespace}:{pattern.name}")
                elif namespace is None and pattern.name.startswith("rx_myaccount"):
                    names.add(pattern.name)

    walk(get_resolver(), None)
    return names


def url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def _page_key(path: str) -> str:
    """One visit per page kind: ids folded, query values dropped (their names kept)."""
    parts = urlsplit(path)
    query = ",".join(sorted({name for name, _ in parse_qsl(parts.query)} - {"page", "cursor"}))
    return UUID.sub("<id>", parts.path) + ("?" + query if query else "")


def _followed(href: str) -> bool:
    return href.startswith("/") and not href.startswith("//") and not SKIPPED_LINKS.search(href)


def header_rows(page: Page) -> tuple[float, float]:
    measured = page.evaluate(HEADER_JS)
    return float(measured["header"]), float(measured["row"])


def assert_fits(page: Page, path: str) -> None:
    """At 360 px: no sideways scroll and a one-row header; at 1280 px: a one-row header."""
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide at 360 px"
    header, row = header_rows(page)
    assert header <= HEADER_MAX_HEIGHT_ON_A_PHONE, f"{path}: header {header} px high at 360 px"
    assert header < 2 * row, f"{path}: header {header} px high, a row is {row} px (360 px)"
    page.set_viewport_size(DESKTOP)
    header, row = header_rows(page)
    assert header < 2 * row, f"{path}: header {header} px high, a row is {row} px (1280 px)"


def reauthenticate_demo_member(page: Page) -> None:
    """Confirm it is you (the shared session's sign-in is older than the sensitive pages allow)."""
    if urlsplit(page.url).path == "/accounts/2fa/reauthenticate/":
        page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    else:
        page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).not_to_have_url(re.compile(r"/reauthenticate/"))


def sweep(
    page: Page, start: list[str], reauthenticate: Callable[[Page], None] | None = None
) -> dict[str, str]:
    """Visit every page linked from ``start`` (breadth first, one per page kind), checking each
    with ``assert_fits``; returns the URL name of each page seen with its path."""
    queue, seen, visited = list(start), set[str](), dict[str, str]()
    while queue:
        path = queue.pop(0)
        key = _page_key(path)
        if key in seen:
            continue
        seen.add(key)
        response = page.goto(path)
        assert response is not None
        assert response.ok, f"{path} answered {response.status}"
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        landed = urlsplit(page.url)
        assert_fits(page, landed.path)
        if reauthenticate is not None and landed.path in REAUTHENTICATION_PATHS:
            reauthenticate(page)  # then the page asked for, which is measured too
            landed = urlsplit(page.url)
            assert_fits(page, landed.path)
        name = url_name(landed.path)
        if name:
            visited.setdefault(name, landed.path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        queue += [href for href in hrefs if _followed(href) and _page_key(href) not in seen]
    return visited


@pytest.fixture(scope="module")
def refillable(portal_server: PortalServer) -> list[dict[str, str]]:
    """Prescriptions of demo-member that can be refilled today (made so if too few are)."""
    found = shell(portal_server, _REFILLABLE % {"username": DEMO_MEMBER_USERNAME})
    assert found, "the demo member needs a prescription refillable today"
    return list(found)


@pytest.fixture
def phone_member_page(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    yield from _member_page(browser, portal_server, demo_member_storage_state, javascript=True)


@pytest.fixture
def phone_member_page_without_js(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> Iterator[Page]:
    yield from _member_page(browser, portal_server, demo_member_storage_state, javascript=False)


def _member_page(
    browser: Browser, portal_server: PortalServer, state: dict[str, Any], *, javascript: bool
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        viewport=PHONE,
        java_script_enabled=javascript,
        storage_state=state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_every_member_page_fits_a_phone_and_keeps_a_one_row_header(
    phone_member_page: Page, refillable: list[dict[str, str]]
) -> None:
    page = phone_member_page
    visited = sweep(page, ["/dashboard/", *SEARCHES], reauthenticate_demo_member)

    # The refill's first steps are forms, not links: tick a prescription, then choose mail.
    page.goto("/prescriptions/")
    page.locator(".rx__select").first.check()
    page.get_by_role("button", name="Refill selected").first.click()
    expect(page).to_have_url(re.compile(r"/prescriptions/refill/$"))
    assert_fits(page, "/prescriptions/refill/")
    visited["prescriptions:refill_choose"] = "/prescriptions/refill/"
    page.set_viewport_size(PHONE)
    page.locator("input[name=fulfilment]").first.check()
    page.get_by_role("button", name="See the cost").click()
    expect(page).to_have_url(re.compile(r"/prescriptions/refill/review/$"))
    assert_fits(page, "/prescriptions/refill/review/")
    visited["prescriptions:refill_review"] = "/prescriptions/refill/review/"

    for name in (
        "web:dashboard",
        "claims:list",
        "claims:detail",
        "rx_myaccount",
        "prescriptions:list",
        "orders:list",
        "orders:detail",
        "formulary:search",
        "formulary:drug",
        "pharmacies:finder",
        "web:benefits",
        "web:id_card",
        "notifications:inbox",
        "pricing:estimate",
        "members:family_access",
    ):
        assert name in visited, f"the sweep never reached {name}"
    missed = member_url_names() - set(visited) - set(NOT_SWEPT)
    assert not missed, f"member pages the sweep did not reach: {sorted(missed)}"


def test_the_phone_menu_is_collapsed_opens_without_javascript_and_is_axe_clean(
    phone_member_page: Page, phone_member_page_without_js: Page
) -> None:
    page = phone_member_page
    page.goto("/dashboard/")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.locator("body > header summary")
    expect(menu).to_have_text("Menu")
    expect(nav.get_by_role("link", name="My account")).to_be_hidden()
    expect(page.get_by_role("button", name="Español")).to_be_visible()
    assert_accessible(page)

    menu.click()
    expect(nav.get_by_role("link", name="My account")).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)

    # Without JavaScript the <details> opens all the same and its links work.
    page = phone_member_page_without_js
    page.goto("/dashboard/")
    page.locator("body > header summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    expect(page).to_have_url(re.compile(r"/claims/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_refill_selected_is_on_screen_with_the_first_checkbox(
    phone_member_page_without_js: Page, refillable: list[dict[str, str]]
) -> None:
    page = phone_member_page_without_js
    page.goto("/prescriptions/")
    first = page.locator(".rx__select").first
    first.scroll_into_view_if_needed()
    button = page.get_by_role("button", name="Refill selected").first
    expect(button).to_be_in_viewport()
    expect(first).to_be_in_viewport()

    first.check()
    button.click()
    expect(page).to_have_url(re.compile(r"/prescriptions/refill/$"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_signed_in_member_header_is_one_row_at_1280(
    browser: Browser,
    portal_server: PortalServer,
    demo_member_storage_state: dict[str, Any],
    language: str,
) -> None:
    context = browser.new_context(
        base_url=portal_server.base_url,
        viewport=DESKTOP,
        storage_state=demo_member_storage_state,  # type: ignore[arg-type]
    )
    context.add_cookies(
        [{"name": "django_language", "value": language, "url": portal_server.base_url}]
    )
    try:
        page = context.new_page()
        page.goto("/dashboard/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("body > header summary")).to_be_hidden()
        header, row = header_rows(page)
        assert header < 2 * row, f"header {header} px high, a row is {row} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("sign_in", "start"),
    [(sign_in_as_demo_client, "/clients/"), (_sign_in_as_service_agent, "/staff/")],
    ids=["client", "staff"],
)
def test_client_and_staff_pages_fit_a_phone_with_a_one_row_header(
    browser: Browser, portal_server: PortalServer, sign_in: Any, start: str
) -> None:
    context = browser.new_context(base_url=portal_server.base_url, locale="en-US", viewport=DESKTOP)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page)
        expect(page.locator("body > header summary")).to_be_hidden()
        visited = sweep(page, [start])
        assert url_name(start) in visited
    finally:
        context.close()
