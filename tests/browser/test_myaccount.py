"""My Account in the browser: sessions, remembered browsers and sign-in activity, recovery codes
(password asked again, shown once, downloaded), and the idle-session warning dialog.

The warning is driven by Playwright's fake clock (``page.clock``): the shared server keeps its
real 15-minute limit, the page's timers are fast-forwarded to the two-minute warning.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_MEMBER_PASSWORD, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import sign_in_as_demo_member

pytestmark = pytest.mark.browser

RECOVERY_CODE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$")


def _collect_csp_violations(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_my_account_shows_sessions_devices_activity_and_makes_recovery_codes(
    page: Page, portal_server: PortalServer
) -> None:
    csp_violations = _collect_csp_violations(page)
    page.goto("/accounts/login/")
    sign_in_as_demo_member(page, portal_server)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()

    expect(page).to_have_url(re.compile(r"/my-account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    assert_page_basics(page)
    sessions = page.locator("#sessions")
    expect(sessions.get_by_role("row").filter(has_text="This browser")).to_have_count(1)
    expect(sessions).to_contain_text("Chrom")  # Chrome or Chromium, on Linux
    devices = page.locator("#devices")
    expect(devices.get_by_role("row").filter(has_text="This browser")).to_have_count(1)
    activity = page.locator("#activity")
    expect(activity.get_by_role("row").filter(has_text="Signed in").first).to_be_visible()
    expect(activity).to_contain_text("A private or local network")
    expect(page.get_by_text("You cannot change your username")).to_be_visible()

    page.get_by_role("link", name="Recovery codes", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    page.get_by_role("button", name=re.compile(r"Get (new )?recovery codes")).click()

    # The password is asked again first.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    assert_page_basics(page)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your new recovery codes")
    assert_page_basics(page)
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    shown = [text.strip() for text in codes.all_inner_texts()]
    assert all(RECOVERY_CODE.match(code) for code in shown), shown
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download as a text file").click()
    download = download_info.value
    assert download.suggested_filename == "rxportal-recovery-codes.txt"
    downloaded = open(download.path(), encoding="utf-8").read()  # noqa: SIM115
    assert all(code in downloaded for code in shown)

    page.get_by_role("link", name="I have saved my codes").click()
    expect(page).to_have_url(re.compile(r"/my-account/$"))
    expect(page.locator("#second-step")).to_contain_text("10 left")
    assert shown[0] not in page.content()  # shown once only
    assert csp_violations == []


def test_the_idle_warning_offers_to_stay_signed_in(page: Page, portal_server: PortalServer) -> None:
    csp_violations = _collect_csp_violations(page)
    page.clock.install()
    page.goto("/accounts/login/")
    sign_in_as_demo_member(page, portal_server)
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_hidden()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").focus()

    page.clock.fast_forward("13:05")

    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("you will be signed out in")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    # Focus stays inside the dialog.
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Sign out now")).to_be_focused()
    page.keyboard.press("Tab")
    expect(stay).to_be_focused()

    with page.expect_response(re.compile(r"/my-account/session/keep-alive/$")) as kept:
        stay.click()
    assert kept.value.status == 200
    assert kept.value.json()["idle_remaining_seconds"] > 800

    expect(dialog).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My account")
    ).to_be_focused()
    page.reload()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # still signed in
    assert csp_violations == []
