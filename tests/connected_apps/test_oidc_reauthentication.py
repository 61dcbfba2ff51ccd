"""OpenID Connect prompt=login and max_age (Core 1.0 §3.1.2.1): a signed-in member goes through
the full sign-in again before the consent screen; auth_time is this session's sign-in."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from rxportal.accounts.services.signin import SIGNED_IN_AT_SESSION_KEY
from rxportal.accounts.session_timeouts import LAST_ACTIVE_SESSION_KEY
from rxportal.connected_apps.models import AppConsent
from rxportal.core import clock
from tests.conftest import Family
from tests.connected_apps.oauth_helpers import (
    Pkce,
    authorize_params,
    body,
    exchange,
    jwt_claims,
    make_public_app,
    redirect_query,
)

pytestmark = pytest.mark.django_db

READ = "openid fhirUser patient/*.read"


def _signed_in(family: Family, *, signed_in_at: dt.datetime | None) -> Client:
    """A member's browser session, signed in through every stage at ``signed_in_at``."""
    client = Client()
    client.force_login(family.subscriber.user)
    if signed_in_at is not None:
        session = client.session
        session[SIGNED_IN_AT_SESSION_KEY] = signed_in_at.timestamp()
        session[LAST_ACTIVE_SESSION_KEY] = clock.now().timestamp()  # active since: not idle
        session.save()
    return client


def _authorize(app, pkce: Pkce, **extra: str) -> str:
    return (
        f"/oauth/authorize/?{urlencode({**authorize_params(app, scope=READ, pkce=pkce), **extra})}"
    )


def _is_consent_screen(response) -> bool:
    return response.status_code == 200 and 'name="allow"' in response.content.decode()


def test_prompt_login_with_a_live_session_asks_for_the_full_sign_in_before_consent(
    family: Family,
) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    client = _signed_in(family, signed_in_at=clock.now())

    page = client.get(_authorize(app, pkce, prompt="login"))

    assert page.status_code == 200
    assert not _is_consent_screen(page)
    assert reverse("oauth2_provider:sign-in-again") in page.content.decode()
    return_to = page.context["return_to"]
    assert parse_qs(urlsplit(return_to).query).get("prompt") is None

    # The button signs this session out and starts the portal's sign-in, back here afterwards.
    answer = client.post(reverse("oauth2_provider:sign-in-again"), {"return_to": return_to})

    assert answer.status_code == 302
    login = urlsplit(answer["Location"])
    assert login.path == reverse("account_login")
    assert parse_qs(login.query)["next"] == [return_to]
    assert SESSION_KEY not in client.session
    # The live session is gone: the request itself now goes to sign-in too.
    again = client.get(return_to)
    assert again.status_code == 302
    assert urlsplit(again["Location"]).path == reverse("account_login")
    assert not AppConsent.objects.exists()


def test_a_get_never_signs_anyone_out_and_the_button_returns_only_to_the_authorize_endpoint(
    family: Family,
) -> None:
    client = _signed_in(family, signed_in_at=clock.now())

    assert client.get(reverse("oauth2_provider:sign-in-again")).status_code == 405
    refused = client.post(
        reverse("oauth2_provider:sign-in-again"), {"return_to": "https://attacker.example/"}
    )

    assert refused.status_code == 400
    assert SESSION_KEY in client.session


def test_prompt_login_for_an_app_that_is_not_registered_signs_no_one_out(family: Family) -> None:
    app = make_public_app()
    client = _signed_in(family, signed_in_at=clock.now())
    query = {
        **authorize_params(app, scope=READ, pkce=Pkce.new()),
        "redirect_uri": "https://attacker.example/cb",
        "prompt": "login",
    }

    page = client.get(f"/oauth/authorize/?{urlencode(query)}")

    assert page.status_code == 400
    assert "sign-in-again" not in page.content.decode()


def test_max_age_older_than_the_sign_in_asks_for_it_again(family: Family) -> None:
    app = make_public_app()
    client = _signed_in(family, signed_in_at=clock.now() - dt.timedelta(minutes=10))

    page = client.get(_authorize(app, Pkce.new(), max_age="300"))

    assert page.status_code == 200
    assert not _is_consent_screen(page)
    return_to = page.context["return_to"]
    assert "max_age" not in parse_qs(urlsplit(return_to).query)


def test_max_age_within_the_sign_in_shows_the_consent_screen(family: Family) -> None:
    app = make_public_app()
    client = _signed_in(family, signed_in_at=clock.now() - dt.timedelta(minutes=2))

    assert _is_consent_screen(client.get(_authorize(app, Pkce.new(), max_age="300")))


@pytest.mark.parametrize("max_age", ["0", "-5", "soon"])
def test_max_age_zero_or_unreadable_asks_for_a_fresh_sign_in(family: Family, max_age: str) -> None:
    app = make_public_app()
    client = _signed_in(family, signed_in_at=clock.now())

    assert not _is_consent_screen(client.get(_authorize(app, Pkce.new(), max_age=max_age)))


def test_max_age_without_a_known_sign_in_time_asks_for_it(family: Family) -> None:
    app = make_public_app()
    client = _signed_in(family, signed_in_at=None)

    assert not _is_consent_screen(client.get(_authorize(app, Pkce.new(), max_age="3600")))


def test_prompt_none_with_an_old_sign_in_answers_login_required(family: Family) -> None:
    app = make_public_app()
    client = _signed_in(family, signed_in_at=clock.now() - dt.timedelta(hours=1))

    response = client.get(_authorize(app, Pkce.new(), prompt="none", max_age="60"))

    answer = redirect_query(response)
    assert response["Location"].startswith("https://app.example.test/callback?")
    assert answer == {"error": "login_required", "state": "xyz-state"}


def test_prompt_none_without_a_session_answers_login_required_to_the_app() -> None:
    app = make_public_app()

    response = Client().get(_authorize(app, Pkce.new(), prompt="none"))

    assert response["Location"].startswith("https://app.example.test/callback?")
    assert redirect_query(response)["error"] == "login_required"


def test_the_id_token_auth_time_is_this_sessions_sign_in_not_the_latest_anywhere(
    family: Family,
) -> None:
    signed_in_here = clock.now().replace(microsecond=0) - dt.timedelta(minutes=3)
    client = _signed_in(family, signed_in_at=signed_in_here)
    user = family.subscriber.user
    user.last_login = clock.now()  # a later sign-in on another browser
    user.save(update_fields=["last_login"])
    app = make_public_app()
    pkce = Pkce.new()

    client.get(_authorize(app, pkce))
    answer = client.post(
        "/oauth/authorize/", {**authorize_params(app, scope=READ, pkce=pkce), "allow": "on"}
    )
    tokens = body(
        exchange(client, app, code=redirect_query(answer)["code"], verifier=pkce.verifier)
    )

    assert jwt_claims(tokens["id_token"])["auth_time"] == int(signed_in_here.timestamp())


def test_discovery_advertises_prompt_login(client: Client) -> None:
    document = body(client.get("/oauth/.well-known/openid-configuration"))

    assert sorted(document["prompt_values_supported"]) == ["login", "none"]


@pytest.mark.parametrize("demand", [{"max_age": "0"}, {"prompt": "login"}, {"max_age": "soon"}])
def test_a_visitor_not_signed_in_signs_in_once_for_a_fresh_sign_in_demand(
    family: Family, demand: dict[str, str]
) -> None:
    # The sign-in the visitor is sent to is itself fresh: coming back with max_age=0 (or an
    # unreadable max_age) must not ask for a second full sign-in on the spot.
    app = make_public_app()
    pkce = Pkce.new()
    client = Client()

    to_login = client.get(_authorize(app, pkce, **demand))

    assert to_login.status_code == 302
    login = urlsplit(to_login["Location"])
    assert login.path == reverse("account_login")
    next_request = parse_qs(login.query)["next"][0]
    next_query = parse_qs(urlsplit(next_request).query)
    assert "max_age" not in next_query
    assert "prompt" not in next_query
    assert next_query["state"] == ["xyz-state"]
    assert next_query["code_challenge"] == [pkce.challenge]
    # Every stage passed just now; then the browser follows ``next``.
    client.force_login(family.subscriber.user)
    session = client.session
    session[SIGNED_IN_AT_SESSION_KEY] = clock.now().timestamp()
    session[LAST_ACTIVE_SESSION_KEY] = clock.now().timestamp()
    session.save()

    assert _is_consent_screen(client.get(next_request))


def test_a_visitor_not_signed_in_keeps_the_other_prompts_through_the_sign_in() -> None:
    app = make_public_app()

    to_login = Client().get(_authorize(app, Pkce.new(), prompt="login consent", max_age="0"))

    next_request = parse_qs(urlsplit(to_login["Location"]).query)["next"][0]
    assert parse_qs(urlsplit(next_request).query)["prompt"] == ["consent"]


def test_a_repeated_parameter_survives_the_sign_in_for_oauthlib_to_refuse() -> None:
    app = make_public_app()
    query = urlencode([*authorize_params(app, scope=READ, pkce=Pkce.new()).items(), ("state", "2")])

    to_login = Client().get(f"/oauth/authorize/?{query}&max_age=0")

    next_request = parse_qs(urlsplit(to_login["Location"]).query)["next"][0]
    assert parse_qs(urlsplit(next_request).query)["state"] == ["xyz-state", "2"]


@pytest.mark.parametrize("extra", [{"max_age": "0"}, {"prompt": "login", "max_age": "0"}])
def test_a_visitor_not_signed_in_signs_in_once_for_max_age(family: Family, extra: dict) -> None:
    """The sign-in the visitor is sent to is the fresh one max_age asks for: coming back with
    max_age still in the request would ask for another (max_age=0 always would)."""
    app = make_public_app()
    pkce = Pkce.new()
    browser = Client()

    to_sign_in = browser.get(_authorize(app, pkce, **extra))

    assert urlsplit(to_sign_in["Location"]).path == reverse("account_login")
    next_url = parse_qs(urlsplit(to_sign_in["Location"]).query)["next"][0]
    back = parse_qs(urlsplit(next_url).query)
    assert "max_age" not in back
    assert "prompt" not in back
    assert back["client_id"] == [app.client_id]
    # Signed in (every stage) a moment before coming back: the consent screen, not another
    # sign-in.
    signed_in = _signed_in(family, signed_in_at=clock.now() - dt.timedelta(seconds=1))
    assert _is_consent_screen(signed_in.get(next_url))
