"""The mobile app's sign-in, end to end: a real browser through the portal's own sign-in pages
(username, security question, SiteKey and password, authenticator code) to the consent screen,
then a real HTTP client (``requests``) against the live server for the token, refresh and
revocation endpoints, as the app would. Then My Account > Connected apps: Spanish, 360 px,
without JavaScript, and Disconnect.

The demo mobile app (seeded by seed_demo) is a public client with a loopback redirect URI
(RFC 8252): the redirect to http://127.0.0.1:<any port>/oauth/callback is intercepted with
``page.route``, as the app's own listener would receive it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import (
    ACTION_TIMEOUT_MS,
    DEMO_MEMBER_PASSWORD,
    DEMO_MEMBER_USERNAME,
    PortalServer,
)
from tests.browser.test_sign_in import assert_accessible, assert_page_basics
from tests.browser.test_signin_flow import (
    DEMO_SITEKEY_PHRASE,
    answer_the_security_question,
    next_totp_code,
    require_demo_security,
)

pytestmark = pytest.mark.browser

CLIENT_ID = "rxportal-mobile-demo"
# Nothing listens here: the browser's request is answered by page.route.
CALLBACK = "http://127.0.0.1:53682/oauth/callback"
SCOPE = "openid fhirUser launch/patient patient/*.rs offline_access"
PHONE = {"width": 360, "height": 740}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _authorize_path(challenge: str, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": CALLBACK,
            "scope": SCOPE,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"/oauth/authorize/?{query}"


def _capture_callbacks(page: Page) -> list[str]:
    """Every URL the portal redirects the browser to at the app's loopback callback."""
    captured: list[str] = []

    def answer(route: Route) -> None:
        captured.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="back in the app")

    page.route("http://127.0.0.1:53682/**", answer)
    return captured


def _code_from(callbacks: list[str], state: str) -> str:
    assert len(callbacks) == 1, callbacks
    query = parse_qs(urlsplit(callbacks[0]).query)
    assert query["state"] == [state]
    assert "error" not in query, query
    return query["code"][0]


def _sign_in_from_the_app(page: Page, portal_server: PortalServer) -> None:
    """The portal's sign-in steps, started by the authorize URL (``next`` carries it back)."""
    require_demo_security(portal_server)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/oauth/authorize/%3F"))
    page.get_by_label("Username", exact=True).fill(DEMO_MEMBER_USERNAME)
    page.get_by_role("button", name="Continue").click()
    answer_the_security_question(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/password/"))
    expect(page.locator(".sitekey__phrase")).to_have_text(DEMO_SITEKEY_PHRASE)
    page.get_by_label("Password").fill(DEMO_MEMBER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("Code from your authenticator app").fill(next_totp_code())
    page.get_by_role("button", name="Verify").click()


def _token(base_url: str, **data: str) -> requests.Response:
    return requests.post(
        f"{base_url}/oauth/token/", data={"client_id": CLIENT_ID, **data}, timeout=30
    )


def _userinfo(base_url: str, access_token: str) -> requests.Response:
    return requests.get(
        f"{base_url}/oauth/userinfo/",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    )


def _assert_fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at 360 px"


def test_the_mobile_app_signs_in_through_the_portal_and_uses_its_tokens(
    browser: Browser, portal_server: PortalServer
) -> None:
    base_url = portal_server.base_url
    context = browser.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    page = context.new_page()
    callbacks = _capture_callbacks(page)
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)

    # A half-finished sign-in never reaches consent: the authorize URL starts the sign-in.
    page.goto(_authorize_path(challenge, state))
    _sign_in_from_the_app(page, portal_server)

    expect(page).to_have_url(re.compile(r"/oauth/authorize/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Allow rxportal mobile (demo) to use your plan records?"
    )
    expect(page.get_by_text("Stay connected while you are not using the app")).to_be_visible()
    assert_page_basics(page)
    patients = page.get_by_role("radio")
    if patients.count():  # the demo member may see family members: themselves first, chosen
        expect(patients.first).to_be_checked()
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:53682/oauth/callback\?"))
    code = _code_from(callbacks, state)

    # The app's side, over real HTTP: code + verifier → tokens.
    wrong = _token(
        base_url,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=_pkce()[0],
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # The app starts over (signed in now: straight to the consent screen, asked again).
    page.goto(_authorize_path(challenge, state))
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:53682/oauth/callback\?"))
    code = _code_from(callbacks[1:], state)
    issued = _token(
        base_url,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert issued.status_code == 200, issued.text
    tokens: dict[str, Any] = issued.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]
    assert tokens["id_token"].count(".") == 2
    assert re.fullmatch(r"[0-9a-f-]{36}", tokens["patient"])

    userinfo = _userinfo(base_url, tokens["access_token"])
    assert userinfo.status_code == 200
    # The member chose no one else: the patient is the member, whose FHIR Patient is fhirUser.
    assert userinfo.json()["fhirUser"].endswith(f"/fhir/R4/Patient/{tokens['patient']}")
    assert userinfo.json()["sub"] != DEMO_MEMBER_USERNAME

    # Refresh: a new pair, the old refresh token dead.
    refreshed = _token(base_url, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new: dict[str, Any] = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["patient"] == tokens["patient"]
    assert _userinfo(base_url, tokens["access_token"]).status_code == 401
    assert _userinfo(base_url, new["access_token"]).status_code == 200

    # Revocation (RFC 7009) ends the access token at once.
    revoked = requests.post(
        f"{base_url}/oauth/revoke_token/",
        data={"token": new["access_token"], "client_id": CLIENT_ID},
        timeout=30,
    )
    assert revoked.status_code == 200
    assert _userinfo(base_url, new["access_token"]).status_code == 401

    # A replayed (rotated) refresh token is refused and takes the live one down with it.
    replay = _token(base_url, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert replay.status_code == 400
    after = _token(base_url, grant_type="refresh_token", refresh_token=new["refresh_token"])
    assert after.status_code == 400

    # My Account > Connected apps lists the app.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/my-account/")
    page.get_by_role("link", name="See and disconnect your connected apps").click()
    expect(page).to_have_url(re.compile(r"/my-account/connected-apps/$"))
    expect(page.get_by_role("heading", name="rxportal mobile (demo)")).to_be_visible()
    assert_page_basics(page)
    state_after_sign_in = context.storage_state()
    context.close()

    # In Spanish, at 360 px and without JavaScript: consent again, then disconnect.
    spanish = browser.new_context(
        base_url=base_url,
        locale="es-US",
        extra_http_headers={"Accept-Language": "es"},
        java_script_enabled=False,
        storage_state=state_after_sign_in,  # type: ignore[arg-type]
        viewport=PHONE,  # type: ignore[arg-type]
    )
    spanish.set_default_timeout(ACTION_TIMEOUT_MS)
    page = spanish.new_page()
    callbacks = _capture_callbacks(page)
    verifier, challenge = _pkce()
    page.goto(_authorize_path(challenge, state))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "¿Permitir que rxportal mobile (demo) use sus registros del plan?"
    )
    expect(page.get_by_text("Seguir conectada mientras usted no usa la aplicación")).to_be_visible()
    assert_accessible(page)
    _assert_fits_a_phone(page)
    page.get_by_role("button", name="Permitir").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:53682/oauth/callback\?"))
    code = _code_from(callbacks, state)
    live = _token(
        base_url,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    ).json()
    assert _userinfo(base_url, live["access_token"]).status_code == 200

    page.goto("/my-account/connected-apps/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aplicaciones conectadas")
    expect(page.get_by_text("Lo que puede hacer")).to_be_visible()
    assert_accessible(page)
    _assert_fits_a_phone(page)
    page.get_by_role("button", name="Desconectar rxportal mobile (demo)").click()
    expect(page).to_have_url(re.compile(r"/my-account/connected-apps/$"))
    expect(page.get_by_text("La aplicación está desconectada")).to_be_visible()
    expect(page.get_by_text("No hay aplicaciones conectadas a sus registros.")).to_be_visible()
    assert_accessible(page)

    # Disconnected: the app's tokens are refused at once.
    assert _userinfo(base_url, live["access_token"]).status_code == 401
    gone = _token(base_url, grant_type="refresh_token", refresh_token=live["refresh_token"])
    assert gone.status_code == 400
    spanish.close()
