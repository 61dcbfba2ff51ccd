"""Passkeys end to end with Chromium's virtual authenticator (CDP ``WebAuthn`` domain).

A member of our own (never ``demo-member``, which other browser tests sign in as) signs in with
the authenticator app, adds a passkey on the two-step page, signs out, and signs in again with
the passkey as the second factor instead of a code. Every page is checked for Content Security
Policy violations: allauth's WebAuthn script must run under ``script-src 'self'``.

WebAuthn needs a secure context, and browsers treat ``localhost`` as one but not 127.0.0.1, so
these tests browse ``live_localhost_url`` (the relying-party id is "localhost").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PortalServer
from tests.browser.test_sign_in import assert_page_basics

pytestmark = pytest.mark.browser

PASSWORD = "Passkey-Tester-Passphrase-2026"
CHALLENGE_ANSWER = "blue heron"  # prepare_demo_security's answers
TOTP_SECRET = "RXPORTALDEMOMEMBERTOTPSECRETAAAA"  # prepare_demo_security's authenticator app
PASSKEY_NAME = "Test laptop"

# Run in `manage.py shell` against the browser-test database: a member with the demo security
# set-up (verified email, SiteKey, challenge answers, authenticator app), no passkey yet.
_CREATE_MEMBER = """
from rxportal.accounts.models import Role, User
from rxportal.accounts.services.demo import prepare_demo_security
user = User.objects.create_user(
    username={username!r}, email={username!r} + "@example.org", password={password!r},
    role=Role.MEMBER,
)
prepare_demo_security(user=user)
print("created", user.public_id)
"""

_PASSKEYS_OF = """
import json
from allauth.mfa.models import Authenticator
rows = Authenticator.objects.filter(user__username={username!r}, type="webauthn")
print(json.dumps([{{"name": a.wrap().name, "last_used": a.last_used_at is not None}} for a in rows]))
"""


def _totp(secret: str, step: int) -> str:
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@dataclass
class Member:
    username: str
    password: str = PASSWORD


@dataclass
class BrowserLog:
    """Console messages about the Content Security Policy, and uncaught script errors."""

    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                self.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture
def member(portal_server: PortalServer) -> Member:
    username = f"passkey-{secrets.token_hex(4)}"
    portal_server.manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        _CREATE_MEMBER.format(username=username, password=PASSWORD),
    )
    return Member(username=username)


@pytest.fixture
def localhost_page(browser: Browser, live_localhost_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_localhost_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@dataclass
class VirtualAuthenticator:
    cdp: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict[str, Any]]:
        result = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return list(result["credentials"])


def add_virtual_authenticator(page: Page) -> VirtualAuthenticator:
    """A platform authenticator (like Touch ID) that holds passkeys and verifies the user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return VirtualAuthenticator(cdp=cdp, authenticator_id=result["authenticatorId"])


def enter_username_and_password(page: Page, member: Member, *, new_browser: bool = False) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username", exact=True).fill(member.username)
    page.get_by_role("button", name="Continue").click()
    if new_browser:  # the question first; a recognized browser goes straight to the SiteKey
        expect(page).to_have_url(re.compile(r"/accounts/login/question/"))
        page.locator("#id_answer").fill(CHALLENGE_ANSWER)
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
    expect(page.locator(".sitekey__phrase")).to_have_text("Morning tea by the lake")
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_with_authenticator_app(page: Page, member: Member) -> None:
    """First sign-in on this browser: question, SiteKey and password, then a TOTP code."""
    enter_username_and_password(page, member, new_browser=True)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(
        _totp(TOTP_SECRET, int(time.time()) // 30)
    )
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def add_passkey(page: Page, member: Member, name: str = PASSKEY_NAME) -> None:
    page.goto("/accounts/2fa/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    page.get_by_role("link", name="Add a passkey").click()
    # allauth asks for the password again before a new factor (signing in does not count).
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    assert_page_basics(page)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    assert_page_basics(page)
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Add").click()
    # allauth's script asks the authenticator, fills the hidden credential and submits.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))


def passkeys_in_database(portal_server: PortalServer, member: Member) -> list[dict[str, Any]]:
    output = portal_server.manage(
        "shell", "--verbosity", "0", "-c", _PASSKEYS_OF.format(username=member.username)
    )
    return list(json.loads(output.strip().splitlines()[-1]))


def test_a_member_adds_a_passkey_and_signs_in_with_it_instead_of_a_code(
    localhost_page: Page, member: Member, portal_server: PortalServer
) -> None:
    page = localhost_page
    log = BrowserLog()
    log.watch(page)
    authenticator = add_virtual_authenticator(page)
    sign_in_with_authenticator_app(page, member)

    add_passkey(page, member)

    expect(page.get_by_text("You have added 1 passkey or security key.")).to_be_visible()
    (credential,) = authenticator.credentials()
    assert credential["rpId"] == "localhost"
    # A second factor, not a password replacement: with MFA_PASSKEY_LOGIN_ENABLED off, allauth
    # asks for a non-discoverable credential (residentKey "discouraged").
    assert credential["isResidentCredential"] is False
    assert passkeys_in_database(portal_server, member) == [
        {"name": PASSKEY_NAME, "last_used": False}
    ]
    sign_count_after_adding = credential["signCount"]

    page.get_by_role("button", name="Sign out").click()
    enter_username_and_password(page, member)

    # The browser is remembered (no question); the second step offers the passkey.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_page_basics(page)
    page.get_by_role("button", name="Use a passkey or security key").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    (credential,) = authenticator.credentials()
    assert credential["signCount"] > sign_count_after_adding
    assert passkeys_in_database(portal_server, member) == [
        {"name": PASSKEY_NAME, "last_used": True}
    ]
    assert log.csp_violations == []
    assert log.errors == []


def test_a_passkey_from_another_authenticator_does_not_sign_in(
    localhost_page: Page, member: Member, portal_server: PortalServer
) -> None:
    """The passkey step checks the credential against this account's own passkeys: a browser
    whose authenticator holds none of them stays on the second step."""
    page = localhost_page
    log = BrowserLog()
    log.watch(page)
    first = add_virtual_authenticator(page)
    sign_in_with_authenticator_app(page, member)
    add_passkey(page, member)
    page.get_by_role("button", name="Sign out").click()
    first.cdp.send(
        "WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first.authenticator_id}
    )
    stranger = add_virtual_authenticator(page)

    enter_username_and_password(page, member)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_role("button", name="Use a passkey or security key").click()

    # Chromium finds no matching credential and the request fails in the page: still here.
    page.wait_for_timeout(1000)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert stranger.credentials() == []
    assert passkeys_in_database(portal_server, member) == [
        {"name": PASSKEY_NAME, "last_used": False}
    ]
    assert log.csp_violations == []
