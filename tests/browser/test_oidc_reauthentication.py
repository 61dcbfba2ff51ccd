"""The two pages the OpenID Connect hardening added, in a real browser.

1. ``max_age=0`` from a visitor not signed in: one sign-in, then consent. Then ``prompt=login``
   while the member is signed in: the "Sign in again" page (a POST button, no
   JavaScript needed), then the portal's full sign-in (username, SiteKey + password,
   authenticator code), back to consent for the same request; the ID token's ``auth_time`` is
   the new sign-in.
2. An app listening on ``http://[::1]:<port>``: the consent answer comes as a page that links
   (and refreshes) on to the app, since no ``form-action`` source can name an IPv6 address.

Both pages: axe-clean, in Spanish, no sideways scroll at 360 px, working without JavaScript.

The first test signs in its own browser (never the shared demo-member session): the button
signs out whoever clicks it.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import (
    ACTION_TIMEOUT_MS,
    DEMO_MEMBER_PASSWORD,
    DEMO_MEMBER_USERNAME,
    PortalServer,
)
from tests.browser.test_connected_apps import (
    CALLBACK,
    CLIENT_ID,
    PHONE,
    _assert_fits_a_phone,
    _authorize_path,
    _capture_callbacks,
    _code_from,
    _pkce,
    _sign_in_from_the_app,
    _token,
)
from tests.browser.test_sign_in import assert_page_basics
from tests.browser.test_signin_flow import DEMO_SITEKEY_PHRASE, next_totp_code

pytestmark = pytest.mark.browser

CONSENT_HEADING = "Allow rxportal mobile (demo) to use your plan records?"
# Nothing listens here: page.route answers the browser's requests to the app.
IPV6_PORT = 53683
IPV6_CALLBACK = f"http://[::1]:{IPV6_PORT}/callback"
IPV6_SCOPE = "openid fhirUser patient/*.rs"


def _context(browser: Browser, portal_server: PortalServer, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=portal_server.base_url, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    return context


def _spanish_phone_without_js(
    browser: Browser, portal_server: PortalServer, storage_state: Any
) -> BrowserContext:
    return _context(
        browser,
        portal_server,
        locale="es-US",
        extra_http_headers={"Accept-Language": "es"},
        java_script_enabled=False,
        storage_state=storage_state,
        viewport=PHONE,
    )


def _assert_no_english(page: Page, *phrases: str) -> None:
    text = page.locator("main").inner_text()
    left = [phrase for phrase in phrases if phrase in text]
    assert left == [], f"{page.url} still says {left} in Spanish"


def _id_token_claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_prompt_login_sends_a_signed_in_member_through_the_full_sign_in_and_back_to_consent(
    browser: Browser, portal_server: PortalServer
) -> None:
    context = _context(browser, portal_server, locale="en-US")
    page = context.new_page()
    callbacks = _capture_callbacks(page)
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)

    # Not signed in, an app asks for max_age=0: one full sign-in, then consent (that sign-in is
    # fresh; no "Sign in again" on top of it).
    page.goto(f"{_authorize_path(challenge, state)}&max_age=0")
    _sign_in_from_the_app(page, portal_server)
    first_sign_in = time.time()
    expect(page).to_have_url(re.compile(r"/oauth/authorize/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)

    page.goto(f"{_authorize_path(challenge, state)}&prompt=login")

    # Signed in, yet not the consent screen: the "Sign in again" page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in again to continue")
    expect(page.get_by_text("rxportal mobile (demo) asks you to sign in again")).to_be_visible()
    expect(page.get_by_role("button", name="Allow")).to_have_count(0)
    assert_page_basics(page)
    _assert_fits_a_phone(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    # Signed in again from here on, at least a second after the first sign-in.
    time.sleep(max(0.0, first_sign_in + 1.1 - time.time()))
    before_button = int(time.time())
    page.get_by_role("button", name="Sign in again").click()

    # Signed out; the full sign-in, with the request (prompt=login dropped) as where to go next.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/oauth/authorize/%3F"))
    next_request = parse_qs(urlsplit(page.url).query)["next"][0]
    assert "prompt" not in parse_qs(urlsplit(next_request).query)
    assert parse_qs(urlsplit(next_request).query)["state"] == [state]
    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()
    # This browser answered the new-device question a moment ago: the SiteKey at once.
    expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()

    # Back on the consent screen for the same request.
    expect(page).to_have_url(re.compile(r"/oauth/authorize/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [state]
    assert query["code_challenge"] == [challenge]
    assert query["client_id"] == [CLIENT_ID]
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:53682/oauth/callback\?"))
    code = _code_from(callbacks, state)
    signed_in_again_by = int(time.time())

    issued = _token(
        portal_server.base_url,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert issued.status_code == 200, issued.text
    auth_time = _id_token_claims(issued.json()["id_token"])["auth_time"]
    # The new sign-in, not the one before the button.
    assert before_button <= auth_time <= signed_in_again_by, (
        first_sign_in,
        before_button,
        auth_time,
    )
    signed_in_again = context.storage_state()

    # Leave no consent behind for the other tests' demo member.
    page.goto("/my-account/connected-apps/")
    page.get_by_role("button", name="Disconnect rxportal mobile (demo)").click()
    expect(page.get_by_text("The app is disconnected")).to_be_visible()
    context.close()

    # The same page in Spanish, at 360 px, without JavaScript: the button still signs out and
    # starts the sign-in (this test's own session, not the shared one).
    spanish = _spanish_phone_without_js(browser, portal_server, signed_in_again)
    page = spanish.new_page()
    page.goto(f"{_authorize_path(challenge, state)}&prompt=login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vuelva a iniciar sesión para continuar"
    )
    expect(
        page.get_by_text("rxportal mobile (demo) le pide que vuelva a iniciar sesión")
    ).to_be_visible()
    expect(page.get_by_text("No se ha compartido nada con la aplicación.")).to_be_visible()
    _assert_no_english(page, "Sign in again", "asks you to sign in", "Nothing has been shared")
    assert_page_basics(page)
    _assert_fits_a_phone(page)
    page.get_by_role("button", name="Iniciar sesión de nuevo").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/oauth/authorize/%3F"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    spanish.close()


def _register_ipv6_app(portal_server: PortalServer) -> tuple[str, str]:
    name = f"Loopback six {secrets.token_hex(3)}"
    output = portal_server.manage(
        "register_connected_app", "--name", name, "--redirect-uri", IPV6_CALLBACK
    )
    client_id = re.search(r"client_id: (\S+)", output)
    assert client_id is not None, output
    return name, client_id.group(1)


def _ipv6_authorize_path(client_id: str, challenge: str, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": IPV6_CALLBACK,
            "scope": IPV6_SCOPE,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"/oauth/authorize/?{query}"


def _answer_the_app_with_no_content(page: Page) -> list[str]:
    """Requests to the [::1] app, answered 204 (a navigation to a 204 leaves the page as it
    is), so the link page stays on screen after its refresh has fired."""
    seen: list[str] = []

    def answer(route: Route) -> None:
        seen.append(route.request.url)
        route.fulfill(status=204)

    def to_the_app(url: str) -> bool:
        return url.startswith(f"http://[::1]:{IPV6_PORT}/")

    page.route(to_the_app, answer)
    return seen


def _wait_for(page: Page, seen: list[str], count: int) -> None:
    # page.wait_for_timeout, not time.sleep: Playwright's sync API runs route handlers only
    # while one of its calls waits, so a sleep never lets a late navigation be seen.
    deadline = time.monotonic() + ACTION_TIMEOUT_MS / 1000
    while len(seen) < count and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(seen) >= count, seen


def _assert_goes_to_the_app_with(url: str, state: str) -> str:
    assert url.startswith(f"{IPV6_CALLBACK}?"), url
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [state]
    assert "error" not in query, query
    return query["code"][0]


def test_an_ipv6_loopback_app_gets_its_answer_through_a_link_page(
    browser: Browser, portal_server: PortalServer, demo_member_storage_state: dict[str, Any]
) -> None:
    name, client_id = _register_ipv6_app(portal_server)
    try:
        # Spanish at 360 px with JavaScript on (axe runs in the page): the page, its refresh.
        spanish = _context(
            browser,
            portal_server,
            locale="es-US",
            extra_http_headers={"Accept-Language": "es"},
            storage_state=demo_member_storage_state,
            viewport=PHONE,
        )
        page = spanish.new_page()
        seen = _answer_the_app_with_no_content(page)
        verifier, challenge = _pkce()
        state = secrets.token_urlsafe(12)
        page.goto(_ipv6_authorize_path(client_id, challenge, state))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"¿Permitir que {name} use sus registros del plan?"
        )
        page.get_by_role("button", name="Permitir").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Volviendo a la aplicación")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_text(f"Su respuesta va en camino a {name}.")).to_be_visible()
        link = page.get_by_role("link", name="Volver a la aplicación")
        href = link.get_attribute("href") or ""
        code = _assert_goes_to_the_app_with(href, state)
        _wait_for(page, seen, 1)  # the meta refresh, at once
        assert seen[0] == href
        _assert_no_english(page, "Returning to the app", "on its way", "Return to the app")
        assert_page_basics(page)
        _assert_fits_a_phone(page)
        link.click()
        _wait_for(page, seen, 2)
        assert seen[1] == href

        # The code is a real one: the app exchanges it.
        issued = _token(
            portal_server.base_url,
            grant_type="authorization_code",
            code=code,
            redirect_uri=IPV6_CALLBACK,
            code_verifier=verifier,
            client_id=client_id,
        )
        assert issued.status_code == 200, issued.text
        spanish.close()

        # Without JavaScript: the refresh and the link still take the answer to the app.
        without_js = _context(
            browser,
            portal_server,
            locale="en-US",
            java_script_enabled=False,
            storage_state=demo_member_storage_state,
        )
        page = without_js.new_page()
        seen = _answer_the_app_with_no_content(page)
        _verifier, challenge = _pkce()
        state = secrets.token_urlsafe(12)
        page.goto(_ipv6_authorize_path(client_id, challenge, state))
        page.get_by_role("button", name="Allow").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Returning to the app")
        link = page.get_by_role("link", name="Return to the app")
        href = link.get_attribute("href") or ""
        _assert_goes_to_the_app_with(href, state)
        _wait_for(page, seen, 1)
        assert seen[0] == href
        link.click()
        _wait_for(page, seen, 2)
        assert seen[1] == href
        without_js.close()
    finally:
        # Its consents and tokens go with it: the shared demo member keeps no extra app.
        portal_server.manage("register_connected_app", "--disable", client_id)
