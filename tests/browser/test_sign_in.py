"""A demo member signs in, reads their dashboard, switches to Spanish and signs out."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_MEMBER_USERNAME, PortalServer

pytestmark = pytest.mark.browser

PROGRESS_TEXT = re.compile(r"\$[\d,]+\.\d\d of \$[\d,]+\.\d\d used, \$[\d,]+\.\d\d left")
PROGRESS_TEXT_ES = re.compile(r"\$[\d,]+\.\d\d de \$[\d,]+\.\d\d usados, quedan \$[\d,]+\.\d\d")

# Form controls without a <label>, aria-label or aria-labelledby (buttons: without text).
UNLABELLED_CONTROLS_JS = """() => Array.from(
    document.querySelectorAll('input:not([type=hidden]), select, textarea, button, progress')
).filter((el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.tagName === 'BUTTON') return el.textContent.trim() === '';
    return !(el.labels && Array.from(el.labels).some((l) => l.textContent.trim() !== ''));
}).map((el) => el.outerHTML)"""


# axe-core (bundled by axe-playwright-python, run in the page, no network) on WCAG 2.1 A and AA.
AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations", "incomplete"],
}


def _invisible_text(results: object) -> list[str]:
    """Text whose colour equals its background (1:1). axe-core files these under "incomplete"
    (it cannot tell hidden text from a mistake), so white-on-white passed as "no violation";
    on the portal's pages such text is always a mistake."""
    response = getattr(results, "response", {})
    found = []
    for rule in response.get("incomplete", []):
        if rule.get("id") != "color-contrast":
            continue
        for node in rule.get("nodes", []):
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            if any((check.get("data") or {}).get("messageKey") == "equalRatio" for check in checks):
                found.append(node.get("html", ""))
    return found


def assert_accessible(page: Page) -> None:
    """No WCAG 2.1 A or AA violation that axe-core can find on the page as it is now.

    axe-core needs timers, which do not run in a page with JavaScript switched off: such a
    page's HTML is checked in a JavaScript-enabled page of the same origin (stylesheets load
    from the portal as usual), so the no-JavaScript pages are checked too.
    """
    if _javascript_enabled(page):
        results = AXE.run(page, options=AXE_OPTIONS)
    else:
        html, url = page.content(), page.url
        browser = page.context.browser
        assert browser is not None
        context = browser.new_context()
        try:
            copy = context.new_page()
            copy.goto(urljoin(url, "/healthz"))
            copy.set_content(html)
            results = AXE.run(copy, options=AXE_OPTIONS)
        finally:
            context.close()
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    invisible = _invisible_text(results)
    assert invisible == [], (
        f"{page.url}\ncolor-contrast: text as light as its background: {invisible}"
    )


def _javascript_enabled(page: Page) -> bool:
    # Playwright has no public getter for the context's javaScriptEnabled option.
    options = getattr(page.context._impl_obj, "_options", {})
    return bool(options.get("javaScriptEnabled", True))


def assert_page_basics(page: Page) -> None:
    """One <main>, one <h1>, the landmarks, a label on every form control, and axe-core."""
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    assert page.locator("body > header").count() == 1
    assert page.locator("body > footer").count() == 1
    assert page.get_by_role("navigation").count() >= 1
    assert page.locator("html").get_attribute("lang") in {"en", "es"}
    assert page.evaluate(UNLABELLED_CONTROLS_JS) == []
    assert_accessible(page)


def demo_member_plan_name(portal_server: PortalServer) -> str:
    output = portal_server.manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from rxportal.members.models import Member; "
        f"print(Member.objects.get(user__username={DEMO_MEMBER_USERNAME!r}).plan.name)",
    )
    return output.strip().splitlines()[-1]


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page: Page) -> None:
    page.goto("/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    page.keyboard.press("Enter")

    expect(page.locator("main#main")).to_be_focused()


def test_a_wrong_password_is_explained(page: Page) -> None:
    page.goto("/accounts/login/")
    assert_page_basics(page)

    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()
    from tests.browser.test_signin_flow import answer_the_security_question

    answer_the_security_question(page)
    assert_page_basics(page)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("We could not sign you in")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert_page_basics(page)


def test_demo_member_signs_in_reads_dashboard_in_two_languages_and_signs_out(
    page: Page, portal_server: PortalServer
) -> None:
    plan_name = demo_member_plan_name(portal_server)

    page.goto("/")
    assert_page_basics(page)
    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("link", name="Sign in").click()

    # Username, question, SiteKey + password, authenticator code (test_signin_flow.py).
    from tests.browser.test_signin_flow import sign_in_as_demo_member

    sign_in_as_demo_member(page, portal_server)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert_page_basics(page)
    expect(page.get_by_text(plan_name, exact=True)).to_be_visible()
    expect(page.get_by_role("progressbar", name="Your deductible")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Your out-of-pocket maximum")).to_be_visible()
    assert page.locator("progress").count() >= 2
    expect(page.get_by_text(PROGRESS_TEXT).first).to_be_visible()
    claim_rows = page.locator("table.claims tbody tr")
    expect(claim_rows.first).to_be_visible()
    assert 1 <= claim_rows.count() <= 10

    page.get_by_role("button", name="Español").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Su plan")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Su deducible")).to_be_visible()
    expect(page.get_by_text(PROGRESS_TEXT_ES).first).to_be_visible()
    expect(page.get_by_role("columnheader", name="Usted pagó")).to_be_visible()
    assert_page_basics(page)

    page.get_by_role("button", name="Cerrar sesión").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(
        page.get_by_role("navigation", name="Principal").get_by_role("link", name="Iniciar sesión")
    ).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/dashboard/"))


def test_the_accessibility_check_catches_a_violation(page: Page) -> None:
    page.goto("/")
    assert_accessible(page)
    page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend', "
        '\'<img src="/static/none.png"><p style="color:#ccc">faint text</p>\')'
    )

    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)


def test_the_accessibility_check_catches_white_on_white_text(page: Page) -> None:
    """axe-core reports a 1:1 contrast as "incomplete", not as a violation: the check reads it."""
    page.goto("/")
    # Through the CSSOM, which the Content-Security-Policy allows (inline style attributes not).
    page.evaluate(
        """() => {
            const p = document.createElement('p');
            p.textContent = 'words as white as the page';
            p.style.color = '#ffffff';
            p.style.backgroundColor = '#ffffff';
            document.querySelector('main').appendChild(p);
        }"""
    )

    with pytest.raises(AssertionError, match="color-contrast"):
        assert_accessible(page)
