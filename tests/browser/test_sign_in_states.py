"""Every sign-in state in a browser (issue 14): each step, the error, the paused page and the
sign-out confirmation are axe-clean (a 1:1 colour contrast included: the link buttons were white
on white), fit 360 px without sideways scroll, work without JavaScript, and speak Spanish.

Pauses are set on names that have no account (the page is the same as for a real one, see
tests/accounts/test_signin_paused.py), through the lock-out service, so the shared demo
accounts stay open for the other browser tests and no failure counts against the test client's
address.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEMO_MEMBER_PASSWORD, DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import (
    DEMO_SITEKEY_PHRASE,
    answer_the_security_question,
    next_totp_code,
    require_demo_security,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 800}

_PAUSE = (
    "from rxportal.accounts.services import lockout; from rxportal.core import clock\n"
    "for _ in range(5): lockout.record_sign_in_failure(username=%r, now=clock.now())"
)


def _pause(portal_server: PortalServer, username: str) -> None:
    portal_server.manage("shell", "--verbosity", "0", "-c", _PAUSE % username)


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _check(page: Page, *, phone: bool = False) -> None:
    assert_page_basics(page)
    for button in page.locator("main .link-button").all():
        expect(button).to_be_visible()
    if phone:
        _fits_the_phone(page)


def test_every_step_of_a_member_sign_in_and_the_sign_out_page(
    page: Page, portal_server: PortalServer
) -> None:
    """Username, question, SiteKey + password (and its error), the second factor, then the
    sign-out confirmation; "Not you?" and "Cancel and start over" readable on every page."""
    require_demo_security(portal_server)
    page.goto("/accounts/login/")
    expect(page.locator("p.steps")).to_have_text("Your username")
    _check(page)
    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("p.steps")).to_have_text("Your security question")
    expect(page.get_by_role("button", name="Not you? Use another username")).to_be_visible()
    _check(page)
    answer_the_security_question(page)

    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    expect(page.locator("p.steps")).to_have_text("Your password")
    _check(page)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("We could not sign you in")
    _check(page)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("button", name="Cancel and start over")).to_be_visible()
    _check(page)
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    _check(page)
    page.get_by_role("link", name="Sign in again").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_a_paused_name_is_told_so_at_both_steps_without_javascript_on_a_phone(
    browser: Browser, portal_server: PortalServer
) -> None:
    name = f"paused-{uuid.uuid4().hex[:8]}"
    _pause(portal_server, name)
    context = browser.new_context(
        base_url=portal_server.base_url, locale="en-US", java_script_enabled=False, viewport=PHONE
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        _check(page, phone=True)
        page.get_by_label("Username", exact=True).fill(name)
        page.get_by_role("button", name="Continue").click()
        _check(page, phone=True)  # the question, with the CAPTCHA the pause asks for
        page.get_by_role("button", name="Sign in without seeing your SiteKey").click()

        expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
        _check(page, phone=True)
        page.get_by_label("Password").fill("any-password-at-all")
        prompt = page.locator("label[for=id_captcha_answer]").inner_text()
        page.locator("#id_captcha_answer").fill(_solve(prompt))
        page.get_by_role("button", name="Sign in").click()

        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Sign-in is paused for this username until")
        expect(alert).not_to_contain_text("Check both and try again")
        expect(page.get_by_role("link", name="Reset your password")).to_be_visible()
        _check(page, phone=True)
    finally:
        context.close()


def test_the_paused_page_and_the_sign_out_page_in_spanish_on_a_phone(
    browser: Browser, portal_server: PortalServer
) -> None:
    name = f"pausa-{uuid.uuid4().hex[:8]}"
    _pause(portal_server, name)
    context = browser.new_context(
        base_url=portal_server.base_url, locale="es-US", java_script_enabled=False, viewport=PHONE
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        # es-US: the page is already in Spanish; the header offers only the other language.
        expect(page.get_by_role("button", name="English")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.locator("p.steps")).to_have_text("Su nombre de usuario")
        _check(page, phone=True)
        page.locator("#id_username").fill(name)
        page.locator("main form.stacked-form button[type=submit]").click()

        # The question is the username POST's own page; without JavaScript the address bar
        # keeps the URL the name was posted to.
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))
        expect(page.locator("p.steps")).to_have_text("Su pregunta de seguridad")
        page.locator("#id_answer").fill("cualquier cosa")
        prompt = page.locator("label[for=id_captcha_answer]").inner_text()
        page.locator("#id_captcha_answer").fill(_solve(prompt))
        page.locator("main form.stacked-form button[type=submit]").click()

        # The question step during a pause: its own page, which says so too.
        expect(page.get_by_role("heading", level=1)).to_have_text("Inicio de sesión en pausa")
        expect(page.get_by_role("alert")).to_contain_text(
            "El inicio de sesión está en pausa para este nombre de usuario hasta el"
        )
        _check(page, phone=True)

        page.goto("/accounts/logout/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ha cerrado la sesión")
        expect(page.get_by_role("link", name="Iniciar sesión de nuevo")).to_be_visible()
        _check(page, phone=True)
    finally:
        context.close()


def _solve(prompt: str) -> str:
    numbers = [int(n) for n in re.findall(r"\d+", prompt)]
    if "plus" in prompt or "más" in prompt:
        return str(numbers[0] + numbers[1])
    if "minus" in prompt or "menos" in prompt:
        return str(numbers[0] - numbers[1])
    return str(max(numbers))
