"""The demo member signs in through every step: username, SiteKey + password, new-device
check, authenticator-app code, dashboard.

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
from playwright.sync_api import Page, expect

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


def sign_in_as_demo_member(page: Page, portal_server: PortalServer) -> None:
    """From the sign-in page to the dashboard, checking each step's page on the way."""
    require_demo_security(portal_server)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_page_basics(page)
    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    expect(page.locator("img.sitekey__image")).to_be_visible()
    assert_page_basics(page)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/new-device/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    assert_page_basics(page)
    page.locator("#id_answer").fill(DEMO_CHALLENGE_ANSWER)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your second step")
    assert_page_basics(page)
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_demo_member_signs_in_with_sitekey_new_device_check_and_totp(
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
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # No new-device check this time, but the second factor is still asked for.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_an_unknown_username_gets_a_decoy_sitekey_and_the_same_error(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill("nobody-by-this-name")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".sitekey__phrase")).not_to_have_text(DEMO_SITEKEY_PHRASE)
    expect(page.locator("img.sitekey__image")).to_be_visible()
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("We could not sign you in")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert_page_basics(page)
