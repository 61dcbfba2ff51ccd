"""The OAuth review's leftovers: the issuer never comes from the Host header, prompt=none is
answered as OpenID Connect says, a missing redirect_uri meets the same rules as a given one, and
the consent screen's CSP admits only the loopback origin an app uses (an [::1] app gets its
answer through a link, since no CSP source can name an IPv6 address)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape
from oauth2_provider.models import AccessToken

from rxportal.connected_apps.bearer import authenticate_bearer
from rxportal.connected_apps.domain import form_action_source
from rxportal.connected_apps.models import AppConsent
from tests.conftest import Family
from tests.connected_apps.oauth_helpers import (
    Pkce,
    authorize_params,
    authorize_url,
    body,
    exchange,
    jwt_claims,
    make_public_app,
    redirect_query,
)
from tests.factories import DEFAULT_PASSWORD
from tests.oauth_tokens import bearer

pytestmark = pytest.mark.django_db

READ = "openid fhirUser patient/*.read"
FORGED_HOST = "attacker.example"


def _signed_in(family: Family, **defaults: str) -> Client:
    client = Client(**defaults)
    client.force_login(family.subscriber.user)
    return client


# --- 1. The issuer is the configured site -------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/oauth/.well-known/openid-configuration", "/.well-known/openid-configuration"]
)
def test_discovery_ignores_a_forged_host(settings, path: str) -> None:
    settings.ALLOWED_HOSTS = ["*"]

    document = body(Client().get(path, HTTP_HOST=FORGED_HOST))

    assert document["issuer"] == f"{settings.RXPORTAL_BASE_URL}/oauth"
    endpoints = [value for key, value in document.items() if key.endswith("_endpoint")]
    assert endpoints
    assert FORGED_HOST not in str(document)


def test_smart_configuration_ignores_a_forged_host(settings) -> None:
    settings.ALLOWED_HOSTS = ["*"]

    response = Client().get("/fhir/R4/.well-known/smart-configuration", HTTP_HOST=FORGED_HOST)

    assert body(response)["issuer"] == f"{settings.RXPORTAL_BASE_URL}/oauth"
    assert FORGED_HOST not in response.content.decode()


def test_the_id_token_and_authorization_response_name_the_configured_issuer(
    family: Family, settings
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    client = _signed_in(family, HTTP_HOST=FORGED_HOST)
    app = make_public_app()
    pkce = Pkce.new()
    client.get(authorize_url(app, scope=READ, pkce=pkce))
    answer = client.post("/oauth/authorize/", {**_params(app, pkce), "allow": "on"})
    query = redirect_query(answer)

    tokens = body(exchange(client, app, code=query["code"], verifier=pkce.verifier))

    issuer = f"{settings.RXPORTAL_BASE_URL}/oauth"
    assert query["iss"] == issuer
    assert jwt_claims(tokens["id_token"])["iss"] == issuer


def _params(app, pkce: Pkce, **overrides: str) -> dict[str, str]:
    return {**authorize_params(app, scope=READ, pkce=pkce), **overrides}


# --- 2. prompt=none -------------------------------------------------------------------------------


def test_prompt_none_from_a_signed_in_member_is_consent_required_never_the_screen(
    family: Family,
) -> None:
    app = make_public_app()
    query = urlencode(_params(app, Pkce.new(), prompt="none"))

    response = _signed_in(family).get(f"/oauth/authorize/?{query}")

    answer = redirect_query(response)
    assert response["Location"].startswith("https://app.example.test/callback?")
    assert answer["error"] == "consent_required"
    assert answer["state"] == "xyz-state"
    assert "code" not in answer
    assert not AppConsent.objects.exists()


def test_prompt_none_from_an_anonymous_visitor_is_login_required() -> None:
    app = make_public_app()
    query = urlencode(_params(app, Pkce.new(), prompt="none"))

    answer = redirect_query(Client().get(f"/oauth/authorize/?{query}"))

    assert answer["error"] == "login_required"


def test_discovery_advertises_only_the_prompt_values_we_honour(client: Client) -> None:
    document = body(client.get("/oauth/.well-known/openid-configuration"))

    assert document["prompt_values_supported"] == ["none", "login"]


# --- 3. A missing redirect_uri --------------------------------------------------------------------


def test_without_redirect_uri_a_registered_http_uri_to_another_host_is_not_used(
    family: Family,
) -> None:
    # Registered before the rules (or by hand in the admin): plain http to a non-loopback host.
    app = make_public_app(redirect_uris="http://app.example.test/callback")
    params = _params(app, Pkce.new())
    del params["redirect_uri"]

    response = _signed_in(family).get(f"/oauth/authorize/?{urlencode(params)}")

    assert response.status_code == 400
    assert "Location" not in response
    assert "app.example.test" not in response.content.decode()


def test_without_redirect_uri_an_app_with_several_uris_must_say_which(family: Family) -> None:
    app = make_public_app()  # https and loopback registered
    params = _params(app, Pkce.new())
    del params["redirect_uri"]

    response = _signed_in(family).get(f"/oauth/authorize/?{urlencode(params)}")

    assert response.status_code == 400
    assert "Location" not in response


def test_without_redirect_uri_an_app_with_one_acceptable_uri_uses_it(family: Family) -> None:
    app = make_public_app(redirect_uris="https://app.example.test/callback")
    params = _params(app, Pkce.new())
    del params["redirect_uri"]

    response = _signed_in(family).get(f"/oauth/authorize/?{urlencode(params)}")

    assert response.status_code == 200


# --- 4. The consent screen's form-action for loopback redirects -----------------------------------

# CSP host-source (CSP3 §2.3.1): a host is a name of ALPHA / DIGIT / "-" labels or an IPv4
# address; an IPv6 literal such as [::1] is not a valid source and browsers drop it.
_SOURCE = re.compile(r"^(?:'self'|[a-z][a-z0-9+.-]*:|[a-z][a-z0-9+.-]*://[a-z0-9.-]+(?::\d+)?)$")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example.test/callback",
        "http://127.0.0.1:53682/callback",
        "rxportal-mobile://oauth/callback",
    ],
)
def test_every_form_action_source_is_one_browsers_accept(redirect_uri: str) -> None:
    assert _SOURCE.match(form_action_source(redirect_uri)), form_action_source(redirect_uri)


@pytest.mark.parametrize("redirect_uri", ["http://[::1]:53682/callback", "http://[::1]/callback"])
def test_an_ipv6_loopback_uri_gets_no_source_never_all_of_http(redirect_uri: str) -> None:
    assert form_action_source(redirect_uri) == ""


def _form_action_sources(page) -> list[str]:
    form_action = re.search(r"form-action ([^;]*)", page["Content-Security-Policy"])
    assert form_action is not None
    return form_action.group(1).split()


def test_the_consent_screen_for_an_ipv4_loopback_redirect_admits_that_origin_only(
    family: Family,
) -> None:
    redirect_uri = "http://127.0.0.1:53682/callback"
    app = make_public_app(redirect_uris="http://127.0.0.1/callback")

    page = _signed_in(family).get(
        authorize_url(app, scope=READ, pkce=Pkce.new(), redirect_uri=redirect_uri)
    )

    assert page.status_code == 200
    assert _form_action_sources(page) == ["'self'", "http://127.0.0.1:53682"]


def test_the_consent_screen_for_an_ipv6_loopback_redirect_does_not_admit_all_of_http(
    family: Family,
) -> None:
    redirect_uri = "http://[::1]:53682/callback"
    app = make_public_app(redirect_uris=redirect_uri)

    page = _signed_in(family).get(
        authorize_url(app, scope=READ, pkce=Pkce.new(), redirect_uri=redirect_uri)
    )

    assert page.status_code == 200
    assert _form_action_sources(page) == ["'self'"]


def test_an_ipv6_loopback_app_gets_its_code_through_a_link_not_a_redirect(family: Family) -> None:
    # Browsers check a form's redirect against form-action, which cannot name [::1]; a link
    # and a meta refresh are new navigations that form-action does not govern.
    redirect_uri = "http://[::1]:53682/callback"
    app = make_public_app(redirect_uris=redirect_uri)
    client = _signed_in(family)
    pkce = Pkce.new()

    page = client.get(authorize_url(app, scope=READ, pkce=pkce, redirect_uri=redirect_uri))
    answer = client.post(
        "/oauth/authorize/", {**_params(app, pkce, redirect_uri=redirect_uri), "allow": "on"}
    )

    assert page.status_code == 200
    assert answer.status_code == 200
    assert "Location" not in answer
    link = answer.context["redirect_to"]
    assert link.startswith("http://[::1]:53682/callback?")
    assert "code=" in link
    html = answer.content.decode()
    assert f'href="{escape(link)}"' in html
    assert f'http-equiv="refresh" content="0;url={escape(link)}"' in html
    assert _form_action_sources(answer) == ["'self'"]


def test_a_denied_ipv6_loopback_app_hears_so_through_the_same_page(family: Family) -> None:
    redirect_uri = "http://[::1]:53682/callback"
    app = make_public_app(redirect_uris=redirect_uri)
    client = _signed_in(family)
    pkce = Pkce.new()

    client.get(authorize_url(app, scope=READ, pkce=pkce, redirect_uri=redirect_uri))
    answer = client.post("/oauth/authorize/", _params(app, pkce, redirect_uri=redirect_uri))

    assert answer.status_code == 200
    assert "error=access_denied" in answer.context["redirect_to"]


# --- 5. A password changed in My Account ends app access -----------------------------------------


def test_changing_the_password_in_my_account_ends_every_apps_access_and_says_so(
    family: Family,
) -> None:
    client = _signed_in(family)
    app = make_public_app()
    pkce = Pkce.new()
    client.get(authorize_url(app, scope=READ, pkce=pkce))
    code = redirect_query(client.post("/oauth/authorize/", {**_params(app, pkce), "allow": "on"}))
    tokens = body(exchange(client, app, code=code["code"], verifier=pkce.verifier))
    new = "a brand new passphrase for rxportal"

    response = client.post(
        reverse("rx_myaccount_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": new, "password2": new},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("rx_myaccount")
    assert not AppConsent.objects.exists()
    assert not AccessToken.objects.exists()
    assert (
        authenticate_bearer(
            RequestFactory().get("/api/v1/profile", **bearer(tokens["access_token"]))
        )
        is None
    )
    assert "Apps you had connected to your account were disconnected" in (response.content.decode())


def test_changing_the_password_without_connected_apps_says_nothing_about_apps(
    family: Family,
) -> None:
    new = "a brand new passphrase for rxportal"

    response = _signed_in(family).post(
        reverse("rx_myaccount_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": new, "password2": new},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("rx_myaccount")
    assert "disconnected" not in response.content.decode()
