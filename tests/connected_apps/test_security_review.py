"""Fixes from the connected-apps security review: tokens end with the consent that issued them,
no introspection, refresh tokens expire, family-access and account recovery end app access, the
issuer is fixed and redirect_uri is required."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from rxportal.connected_apps.bearer import authenticate_bearer
from rxportal.connected_apps.models import AppConsent
from rxportal.members.services import grant_family_access, revoke_family_access
from tests.conftest import Family
from tests.connected_apps.oauth_helpers import (
    Pkce,
    body,
    exchange,
    get_code,
    make_public_app,
    redirect_query,
    refresh,
)
from tests.factories import UserFactory
from tests.oauth_tokens import bearer

pytestmark = pytest.mark.django_db

LAUNCH_OFFLINE = "openid launch/patient patient/*.read offline_access"


@pytest.fixture
def member_client(family: Family) -> Client:
    client = Client()
    client.force_login(family.subscriber.user)
    return client


def _grant_of(token: str):
    return authenticate_bearer(RequestFactory().get("/api/v1/profile", **bearer(token)))


def _tokens(client: Client, app, *, scope: str = LAUNCH_OFFLINE, patient: str = "") -> dict:
    pkce = Pkce.new()
    code = get_code(client, app, scope=scope, pkce=pkce, patient=patient)
    return body(exchange(client, app, code=code, verifier=pkce.verifier))


# --- 1. Tokens are tied to the consent that issued them ----------------------------------------


def test_allowing_an_app_again_ends_the_tokens_of_the_earlier_consent(
    member_client: Client, family: Family
) -> None:
    app = make_public_app()
    old = _tokens(member_client, app, patient=str(family.subscriber.public_id))

    _tokens(member_client, app, patient=str(family.minor_child.public_id))

    assert _grant_of(old["access_token"]) is None
    assert refresh(member_client, app, old["refresh_token"]).status_code == 400


def test_a_denied_or_failed_authorization_records_no_consent_and_keeps_the_old_one(
    member_client: Client,
) -> None:
    app = make_public_app()
    tokens = _tokens(member_client, app)
    granted_at = AppConsent.objects.get().granted_at

    # An allow whose authorization fails (no PKCE challenge): an error redirect, no new consent.
    failed = member_client.post(
        "/oauth/authorize/",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": "https://app.example.test/callback",
            "scope": LAUNCH_OFFLINE,
            "state": "s",
            "allow": "on",
        },
    )

    assert "code" not in redirect_query(failed)
    assert AppConsent.objects.get().granted_at == granted_at
    assert _grant_of(tokens["access_token"]) is not None


def test_tokens_older_than_the_consent_are_refused_by_the_bearer_and_on_refresh(
    member_client: Client,
) -> None:
    app = make_public_app()
    tokens = _tokens(member_client, app)
    # A consent granted after these tokens were issued (a second line behind the revoke).
    AppConsent.objects.update(
        granted_at=AccessToken.objects.get().created + dt.timedelta(seconds=5)
    )
    RefreshToken.objects.update(created=AccessToken.objects.get().created)

    assert _grant_of(tokens["access_token"]) is None
    assert refresh(member_client, app, tokens["refresh_token"]).status_code == 400


# --- 2. No token introspection -----------------------------------------------------------------


def test_there_is_no_introspection_endpoint_and_discovery_does_not_advertise_one(
    member_client: Client,
) -> None:
    app = make_public_app()
    tokens = _tokens(member_client, app)

    response = member_client.post(
        "/oauth/introspect/",
        {"token": tokens["access_token"], "client_id": app.client_id, "grant_type": "device_code"},
    )
    openid = body(member_client.get("/oauth/.well-known/openid-configuration"))
    smart = body(member_client.get("/fhir/R4/.well-known/smart-configuration"))

    assert response.status_code == 404
    assert "introspection_endpoint" not in openid
    assert "introspection_endpoint" not in smart


# --- 3. Refresh tokens expire ------------------------------------------------------------------


def test_a_refresh_token_unused_for_ninety_days_is_refused(member_client: Client) -> None:
    app = make_public_app()
    tokens = _tokens(member_client, app)
    # Issued after a consent from 92 days ago; its access token expired 91 days ago (DOT counts
    # the refresh token's life from there: each refresh slides it).
    AppConsent.objects.update(granted_at=timezone.now() - dt.timedelta(days=92))
    RefreshToken.objects.update(created=timezone.now() - dt.timedelta(days=92))
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(days=91))

    response = refresh(member_client, app, tokens["refresh_token"])

    assert response.status_code == 400
    assert body(response)["error"] == "invalid_grant"


# --- 4. A family-access revoke ends the grantee's app access to the grantor ---------------------


def test_revoking_family_access_ends_the_grantees_app_consent_naming_the_grantor(
    member_client: Client, family: Family
) -> None:
    # The spouse (an adult with her own account) lets the subscriber see her records; he
    # connects an app to them.
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save(update_fields=["user"])
    grant_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)
    app = make_public_app()
    tokens = _tokens(member_client, app, patient=str(family.spouse.public_id))
    assert AppConsent.objects.get().patient == family.spouse
    assert _grant_of(tokens["access_token"]) is not None

    revoke_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)

    assert not AppConsent.objects.exists()
    assert _grant_of(tokens["access_token"]) is None
    assert refresh(member_client, app, tokens["refresh_token"]).status_code == 400


# --- 5. Signing out everywhere (and account recovery) ends app access --------------------------


def test_signing_out_everywhere_else_ends_every_apps_access(
    member_client: Client, family: Family
) -> None:
    first, second = make_public_app(name="One"), make_public_app(name="Two")
    one, two = _tokens(member_client, first), _tokens(member_client, second)

    response = member_client.post(reverse("rx_myaccount_end_other_sessions"))

    assert response.status_code == 302
    assert not AppConsent.objects.exists()
    assert _grant_of(one["access_token"]) is None
    assert _grant_of(two["access_token"]) is None
    assert refresh(member_client, first, one["refresh_token"]).status_code == 400
    assert refresh(member_client, second, two["refresh_token"]).status_code == 400
