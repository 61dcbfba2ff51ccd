"""The demo member signs in through every step: username, challenge question (this browser is
new), SiteKey + password, authenticator-app code, dashboard; then again on the remembered browser
(no question); and an unknown name, which never sees a SiteKey.

The demo account's security (SiteKey "Morning tea by the lake", challenge answers "blue heron",
TOTP secret RXPORTALDEMOMEMBERTOTPSECRETAAAA) comes from
``rxportal.accounts.services.demo.prepare_demo_security``, which ``seed_demo`` calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import struct
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEMO_MEMBER_PASSWORD, DEMO_MEMBER_USERNAME, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

DEMO_SITEKEY_PHRASE = "Morning tea by the lake"
DEMO_CHALLENGE_ANSWER = "blue heron"
DEMO_TOTP_SECRET = "RXPORTALDEMOMEMBERTOTPSECRETAAAA"
TOTP_PERIOD = 30

_CHECK_DEMO_SECURITY = """
import json
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from rxportal.accounts.models import ChallengeAnswer, SecurityProfile, User
user = User.objects.filter(username=%r).first()
print(json.dumps({
    "user": user is not None,
    "verified_email": bool(user) and EmailAddress.objects.filter(user=user, verified=True).exists(),
    "sitekey": bool(user) and SecurityProfile.objects.filter(user=user).exclude(sitekey_image="").exists(),
    "answers": ChallengeAnswer.objects.filter(user=user).count() if user else 0,
    "totp": bool(user) and Authenticator.objects.filter(user=user, type="totp").exists(),
}))
"""

# Steps whose code a sign-in already used, across the tests of this run: the portal accepts each
# TOTP time step once, so a second sign-in in the same 30 s must use the next step's code.
_used_steps: set[int] = set()


def require_demo_security(portal_server: PortalServer) -> None:
    output = portal_server.manage(
        "shell", "--verbosity", "0", "-c", _CHECK_DEMO_SECURITY % DEMO_MEMBER_USERNAME
    )
    state = json.loads(output.strip().splitlines()[-1])
    missing = [
        name
        for name, ok in (
            ("the demo-member account", state["user"]),
            ("a verified email address", state["verified_email"]),
            ("a SiteKey", state["sitekey"]),
            ("three challenge answers", state["answers"] == 3),
            ("an authenticator app (TOTP)", state["totp"]),
        )
        if not ok
    ]
    if missing:
        pytest.fail(
            "seed_demo did not set up the demo member's sign-in security (missing: "
            + ", ".join(missing)
            + "). seed_demo must call rxportal.accounts.services.demo.prepare_demo_security("
            "user=...) for every demo account.",
            pytrace=False,
        )


def _totp(secret: str, step: int) -> str:
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def next_totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """A code for a time step no earlier sign-in used (now, or the next step within tolerance)."""
    while True:
        step = int(time.time()) // TOTP_PERIOD
        for candidate in (step, step + 1):
            if candidate not in _used_steps and all(candidate > used for used in _used_steps):
                _used_steps.add(candidate)
                return _totp(secret, candidate)
        time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 0.5)


def answer_the_security_question(page: Page, answer: str = DEMO_CHALLENGE_ANSWER) -> None:
    """Step 2 on a browser the portal does not recognize: the question, with no SiteKey yet."""
    expect(page).to_have_url(re.compile(r"/accounts/login/(question/)?(\?.*)?$"))  # no JS: login/
    expect(page.locator(".sitekey__phrase")).to_have_count(0)
    expect(page.locator("img.sitekey__image")).to_have_count(0)
    page.locator("#id_answer").fill(answer)
    page.get_by_role("button", name="Continue").click()


def sign_in_as_demo_member(page: Page, portal_server: PortalServer) -> None:
    """From the sign-in page to the dashboard on a new browser, checking each step's page."""
    require_demo_security(portal_server)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_page_basics(page)
    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
    assert_page_basics(page)
    expect(page.locator("#id_answer")).to_be_focused()
    answer_the_security_question(page)

    expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    expect(page.locator("img.sitekey__image")).to_be_visible()
    assert_page_basics(page)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The right answer was the new-device check: no second "Confirm it's you" page.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your second step")
    assert_page_basics(page)
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_demo_member_signs_in_with_question_sitekey_and_totp(
    page: Page, portal_server: PortalServer
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

    page.goto("/accounts/login/")
    sign_in_as_demo_member(page, portal_server)

    assert_page_basics(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert csp_violations == []


def test_the_browser_is_remembered_after_the_new_device_check(
    page: Page, portal_server: PortalServer
) -> None:
    page.goto("/accounts/login/")
    sign_in_as_demo_member(page, portal_server)
    page.get_by_role("button", name="Sign out").click()

    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()
    # No question this time: the SiteKey at once, and the second factor is still asked for.
    expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_reload_and_back_after_the_username_use_the_steps_own_url(page: Page) -> None:
    """The username POST answers with the next page itself (issue 16); its script shows the
    step's URL, so a reload is a GET of the same page and Back returns to the username."""
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill("nobody-by-this-name")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/question/$"))
    question = page.locator("label[for=id_answer]").inner_text()

    page.reload()

    expect(page).to_have_url(re.compile(r"/accounts/login/question/$"))
    expect(page.locator("label[for=id_answer]")).to_have_text(question)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("Username", exact=True)).to_be_visible()


def test_an_unknown_username_never_sees_a_sitekey_even_without_javascript(
    browser: Browser, portal_server: PortalServer
) -> None:
    """A wrong answer ends the attempt; "Can't answer?" reaches the password without a SiteKey,
    and the password fails as for any wrong password. No JavaScript, 360 px wide."""
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        java_script_enabled=False,
        viewport={"width": 360, "height": 800},
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username", exact=True).fill("nobody-by-this-name")
        page.get_by_role("button", name="Continue").click()
        # The question page is the username POST's answer; without JavaScript the address bar
        # keeps the URL the name was posted to.
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))
        expect(page.locator("#id_answer")).to_be_visible()
        assert_page_basics(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        answer_the_security_question(page, "not the answer")

        expect(page).to_have_url(re.compile(r"/accounts/login/$"))
        expect(page.get_by_role("status")).to_contain_text("That answer did not match")
        page.get_by_label("Username", exact=True).fill("nobody-by-this-name")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Sign in without seeing your SiteKey").click()

        expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
        expect(page.locator("main")).to_contain_text("it is shown only after you answer")
        expect(page.locator(".sitekey__phrase")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_role("alert")).to_contain_text("We could not sign you in")
        expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
        assert_page_basics(page)
    finally:
        context.close()


def test_a_blank_answer_is_refused_on_the_page_and_the_right_one_still_opens_the_sitekey(
    browser: Browser, portal_server: PortalServer
) -> None:
    """A blank answer is never checked and uses nothing up (no 429 for the owner later): the
    question page says what is missing; the right answer then shows the SiteKey. No JavaScript,
    360 px wide."""
    require_demo_security(portal_server)
    context = browser.new_context(
        base_url=portal_server.base_url,
        locale="en-US",
        java_script_enabled=False,
        viewport={"width": 360, "height": 800},
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
        page.get_by_role("button", name="Continue").click()
        answer_the_security_question(page, "   ")

        expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
        expect(page.locator("#id_answer")).to_have_attribute("aria-invalid", "true")
        assert_page_basics(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        answer_the_security_question(page)

        expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
        expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    finally:
        context.close()
