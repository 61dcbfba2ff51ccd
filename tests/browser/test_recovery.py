"""Forgot password and forgot username, end to end in Chromium, reading the emailed code.

The browser database is shared by every browser test, so the reset happens on an account of its
own (``recovery-member``, set up like the demo member: challenge answers "blue heron" and the demo
TOTP secret), never on ``demo-member``.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import (
    DEMO_CHALLENGE_ANSWER,
    DEMO_SITEKEY_PHRASE,
    DEMO_TOTP_SECRET,
    TOTP_PERIOD,
    _totp,
)

pytestmark = pytest.mark.browser

USERNAME = "recovery-member"
EMAIL = "recovery-member@example.com"
OLD_PASSWORD = "Recovery-Member-Passphrase-2026"
NEW_PASSWORD = "Harbor-Violet-Kettle-Lantern-2027"

_CREATE_USER = f"""
from allauth.account.models import EmailAddress
from rxportal.accounts.models import User
from rxportal.accounts.services.demo import prepare_demo_security
user, _ = User.objects.get_or_create(
    username={USERNAME!r}, defaults={{"email": {EMAIL!r}, "role": "member"}}
)
user.set_password({OLD_PASSWORD!r})
user.save()
prepare_demo_security(user=user)
print(EmailAddress.objects.filter(user=user, verified=True).count())
"""

# Time steps of this account's authenticator already used in this run (each is accepted once).
_used_steps: set[int] = set()


def _next_totp_code() -> str:
    while True:
        step = int(time.time()) // TOTP_PERIOD
        for candidate in (step, step + 1):
            if all(candidate > used for used in _used_steps):
                _used_steps.add(candidate)
                return _totp(DEMO_TOTP_SECRET, candidate)
        time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 0.5)


@pytest.fixture
def recovery_member(portal_server: PortalServer) -> str:
    output = portal_server.manage("shell", "--verbosity", "0", "-c", _CREATE_USER)
    assert output.strip().splitlines()[-1] == "1"
    return USERNAME


def test_forgot_password_with_emailed_code_question_and_authenticator_app(
    page: Page, portal_server: PortalServer, recovery_member: str
) -> None:
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    sent_before = len(portal_server.sent_emails())

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert_page_basics(page)
    page.get_by_label("Username or email address").fill(EMAIL.upper())
    page.get_by_role("button", name="Send me a code").click()

    expect(page).to_have_url(re.compile(r"/accounts/password/reset/code/$"))
    expect(page.locator("main")).to_contain_text("If we have an account for that")
    assert_page_basics(page)
    message = portal_server.read_latest_email(to=EMAIL, after=sent_before)
    assert message.subject == "Your rxportal password reset code"
    code = re.search(r"\b(\d{6})\b", message.body).group(1)  # type: ignore[union-attr]
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Check the code").click()

    expect(page).to_have_url(re.compile(r"/accounts/password/reset/question/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer your security question")
    assert_page_basics(page)
    page.locator("#id_answer").fill("Blue Heron")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/accounts/password/reset/second-step/$"))
    assert_page_basics(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        _next_totp_code()
    )
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/accounts/password/reset/new-password/$"))
    assert_page_basics(page)
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_label("New password again").fill("too short")
    page.get_by_role("button", name="Change my password").click()
    expect(page.locator(".field__error").first).to_be_visible()
    expect(page.get_by_label("New password", exact=True)).to_have_value("")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()

    expect(page).to_have_url(re.compile(r"/accounts/password/reset/changed/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password was changed")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # not signed in
    notice = portal_server.read_latest_email(to=EMAIL, after=sent_before)
    assert notice.subject == "Your rxportal password was changed"

    # Signing in with the new password goes through every step again.
    page.get_by_role("link", name="Sign in with your new password").click()
    page.get_by_label("Username", exact=True).fill(recovery_member)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(_next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert csp_violations == []


def test_forgot_username_emails_the_username_and_the_page_never_shows_it(
    page: Page, portal_server: PortalServer, recovery_member: str
) -> None:
    sent_before = len(portal_server.sent_emails())
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your username?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find your username")
    assert_page_basics(page)
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Email me my username").click()

    expect(page).to_have_url(re.compile(r"/accounts/username/forgot/sent/$"))
    expect(page.locator("main")).not_to_contain_text(recovery_member)
    assert_page_basics(page)
    message = portal_server.read_latest_email(to=EMAIL, after=sent_before)
    assert f"Your username: {recovery_member}" in message.body


LIMITS_USERNAME = "recovery-limits-member"
LIMITS_EMAIL = "recovery-limits-member@example.com"


def test_a_reset_code_dies_after_five_wrong_tries_in_spanish_at_360px_without_javascript(
    browser: Browser, portal_server: PortalServer
) -> None:
    """The limit hit says plainly what happened and what to do; asking again works at once."""
    create = _CREATE_USER.replace(USERNAME, LIMITS_USERNAME).replace(EMAIL, LIMITS_EMAIL)
    output = portal_server.manage("shell", "--verbosity", "0", "-c", create)
    assert output.strip().splitlines()[-1] == "1"
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="es-US",
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        sent_before = len(portal_server.sent_emails())
        page.goto("/accounts/password/reset/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Restablecer su contraseña")
        assert_page_basics(page)
        page.locator("#id_identifier").fill(LIMITS_USERNAME)
        page.get_by_role("button", name="Enviarme un código").click()
        expect(page).to_have_url(re.compile(r"/accounts/password/reset/code/$"))
        expect(page.locator("main")).to_contain_text("12 letras y números")
        code = re.search(  # type: ignore[union-attr]
            r"\b(\d{6})\b",
            portal_server.read_latest_email(to=LIMITS_EMAIL, after=sent_before).body,
        ).group(1)
        wrong = "000000" if code != "000000" else "111111"

        for attempt in range(1, 6):
            page.locator("#id_code").fill(wrong)
            page.get_by_role("button", name="Verificar el código").click()
            if attempt == 1:
                expect(page.get_by_role("alert").first).to_be_visible()
                assert page.evaluate("document.documentElement.scrollWidth") <= 360
                assert_page_basics(page)

        expect(page).to_have_url(re.compile(r"/accounts/password/reset/$"))
        main = page.locator("main")
        expect(main).to_contain_text("El código se ingresó mal 5 veces, así que ya no funciona")
        expect(main).to_contain_text("le enviaremos un código nuevo")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_page_basics(page)

        # The dead code stays dead; a new request brings a code that works.
        sent_before = len(portal_server.sent_emails())
        page.locator("#id_identifier").fill(LIMITS_USERNAME)
        page.get_by_role("button", name="Enviarme un código").click()
        new_code = re.search(  # type: ignore[union-attr]
            r"\b(\d{6})\b", portal_server.read_latest_email(to=LIMITS_EMAIL, after=sent_before).body
        ).group(1)
        page.locator("#id_code").fill(new_code)
        page.get_by_role("button", name="Verificar el código").click()
        expect(page).to_have_url(re.compile(r"/accounts/password/reset/question/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Responda su pregunta de seguridad"
        )
    finally:
        context.close()
