"""The authorization code flow as an app meets it: PKCE S256, codes, scopes, refresh rotation,
revocation, the consent screen's rules, the ID token and discovery."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from rxportal.audit.models import AuditEvent
from rxportal.connected_apps.bearer import authenticate_bearer
from rxportal.connected_apps.models import AppConsent
from tests.conftest import Family
from tests.connected_apps.oauth_helpers import (
    Pkce,
    allow,
    authorize_url,
    body,
    exchange,
    get_code,
    jwt_claims,
    make_public_app,
    redirect_query,
    refresh,
)
from tests.factories import MemberFactory, UserFactory
from tests.oauth_tokens import bearer

pytestmark = pytest.mark.django_db

READ = "openid fhirUser patient/*.read"
OFFLINE = "openid fhirUser patient/*.read offline_access"


@pytest.fixture
def member_client(family: Family) -> Client:
    client = Client()
    client.force_login(family.subscriber.user)
    return client


def _grant_of(token: str):
    return authenticate_bearer(RequestFactory().get("/api/v1/profile", **bearer(token)))


# --- PKCE ------------------------------------------------------------------------------------


def test_a_request_without_a_code_challenge_is_refused_with_the_standard_error(
    member_client: Client,
) -> None:
    app = make_public_app()
    response = member_client.get(authorize_url(app, scope=READ, pkce=None))

    query = redirect_query(response)
    assert query["error"] == "invalid_request"
    assert query["state"] == "xyz-state"
    assert not Grant.objects.exists()


@pytest.mark.parametrize("method", ["plain", None])
def test_a_plain_challenge_is_refused_only_s256_is_accepted(
    member_client: Client, method: str | None
) -> None:
    app = make_public_app()
    response = member_client.get(authorize_url(app, scope=READ, pkce=Pkce.new(), method=method))

    assert redirect_query(response)["error"] == "invalid_request"


def test_the_right_verifier_gets_tokens_and_a_wrong_one_is_refused(member_client: Client) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    code = get_code(member_client, app, scope=READ, pkce=pkce)

    wrong = exchange(member_client, app, code=code, verifier=Pkce.new().verifier)
    code_again = get_code(member_client, app, scope=READ, pkce=pkce)
    right = exchange(member_client, app, code=code_again, verifier=pkce.verifier)

    assert wrong.status_code == 400
    assert body(wrong)["error"] == "invalid_grant"
    assert right.status_code == 200
    tokens = body(right)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(READ.split())


def test_a_code_works_once(member_client: Client) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    code = get_code(member_client, app, scope=READ, pkce=pkce)

    first = exchange(member_client, app, code=code, verifier=pkce.verifier)
    second = exchange(member_client, app, code=code, verifier=pkce.verifier)

    assert first.status_code == 200
    assert second.status_code == 400
    assert body(second)["error"] == "invalid_grant"


def test_a_code_expires_after_sixty_seconds(member_client: Client) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    code = get_code(member_client, app, scope=READ, pkce=pkce)
    assert Grant.objects.get().expires <= timezone.now() + dt.timedelta(seconds=60)

    later = timezone.now() + dt.timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = exchange(member_client, app, code=code, verifier=pkce.verifier)

    assert response.status_code == 400
    assert body(response)["error"] == "invalid_grant"


# --- Scopes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["openid user/*.read", "openid system/*.read", "openid admin"])
def test_unknown_scopes_are_refused(member_client: Client, scope: str) -> None:
    app = make_public_app()
    response = member_client.get(authorize_url(app, scope=scope, pkce=Pkce.new()))

    assert redirect_query(response)["error"] == "invalid_scope"


def test_no_refresh_token_without_offline_access(member_client: Client) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    code = get_code(member_client, app, scope=READ, pkce=pkce)

    tokens = body(exchange(member_client, app, code=code, verifier=pkce.verifier))

    assert "refresh_token" not in tokens
    assert not RefreshToken.objects.exists()


def _offline_tokens(client: Client, app) -> dict:
    pkce = Pkce.new()
    code = get_code(client, app, scope=OFFLINE, pkce=pkce)
    return body(exchange(client, app, code=code, verifier=pkce.verifier))


def test_a_refresh_token_rotates_and_the_old_one_dies(member_client: Client) -> None:
    app = make_public_app()
    first = _offline_tokens(member_client, app)

    rotated = refresh(member_client, app, first["refresh_token"])
    new = body(rotated)

    assert rotated.status_code == 200
    assert new["refresh_token"] != first["refresh_token"]
    assert new["access_token"] != first["access_token"]
    assert _grant_of(first["access_token"]) is None  # the old access token went with it
    assert _grant_of(new["access_token"]) is not None
    assert set(new["scope"].split()) == set(OFFLINE.split())


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(member_client: Client) -> None:
    app = make_public_app()
    first = _offline_tokens(member_client, app)
    second = body(refresh(member_client, app, first["refresh_token"]))

    replay = refresh(member_client, app, first["refresh_token"])
    after_replay = refresh(member_client, app, second["refresh_token"])

    assert replay.status_code == 400
    assert body(replay)["error"] == "invalid_grant"
    # The thief's or the app's copy: either way the family is gone and the member signs in again.
    assert after_replay.status_code == 400


def test_revocation_ends_an_access_token_and_a_refresh_token(member_client: Client) -> None:
    app = make_public_app()
    tokens = _offline_tokens(member_client, app)
    assert _grant_of(tokens["access_token"]) is not None

    revoked_access = member_client.post(
        "/oauth/revoke_token/", {"token": tokens["access_token"], "client_id": app.client_id}
    )
    revoked_refresh = member_client.post(
        "/oauth/revoke_token/",
        {
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": app.client_id,
        },
    )

    assert revoked_access.status_code == 200
    assert revoked_refresh.status_code == 200
    assert _grant_of(tokens["access_token"]) is None
    assert refresh(member_client, app, tokens["refresh_token"]).status_code == 400


# --- Redirect URIs ---------------------------------------------------------------------------


def test_a_plain_http_redirect_to_a_non_loopback_host_is_refused_without_redirecting(
    member_client: Client,
) -> None:
    app = make_public_app(redirect_uris="http://app.example.test/callback")
    response = member_client.get(
        authorize_url(
            app, scope=READ, pkce=Pkce.new(), redirect_uri="http://app.example.test/callback"
        )
    )

    assert response.status_code == 400
    assert "Location" not in response
    assert "cannot be completed" in response.content.decode()


def test_a_loopback_redirect_may_use_any_port(member_client: Client) -> None:
    app = make_public_app()
    response = member_client.get(
        authorize_url(
            app, scope=READ, pkce=Pkce.new(), redirect_uri="http://127.0.0.1:53682/callback"
        )
    )

    assert response.status_code == 200


# --- Consent ---------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_portal_sign_in_and_back(client: Client) -> None:
    app = make_public_app()
    url = authorize_url(app, scope=READ, pkce=Pkce.new())

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/oauth/authorize/")


def test_the_consent_screen_names_the_app_and_each_scope_and_is_never_skipped(
    member_client: Client,
) -> None:
    app = make_public_app(name="Pill Tracker", skip_authorization=True)
    url = authorize_url(app, scope=READ, pkce=Pkce.new()) + "&approval_prompt=auto"

    response = member_client.get(url)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Allow Pill Tracker to use your plan records?" in page
    assert "Confirm who you are" in page
    assert "Read your plan records: profile, coverage, claims, prescriptions and orders" in page
    assert 'name="allow"' in page and "Deny" in page
    assert "csrfmiddlewaretoken" in page
    assert 'type="radio"' not in page  # no launch/patient: no picker
    assert not Grant.objects.exists()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # Browsers check form-action on the redirect after the POST: the app's origin is allowed.
    assert "form-action 'self' https://app.example.test" in response["Content-Security-Policy"]


def test_the_consent_screen_speaks_spanish(member_client: Client) -> None:
    app = make_public_app(name="Pill Tracker")
    response = member_client.get(
        authorize_url(app, scope=READ, pkce=Pkce.new()), HTTP_ACCEPT_LANGUAGE="es"
    )
    page = response.content.decode()

    assert "¿Permitir que Pill Tracker use sus registros del plan?" in page
    assert "Confirmar quién es usted" in page
    assert "Permitir" in page and "Denegar" in page


def test_deny_sends_the_app_access_denied_and_records_no_consent(member_client: Client) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    member_client.get(authorize_url(app, scope=READ, pkce=pkce))

    response = allow(member_client, app, scope=READ, pkce=pkce, deny=True)

    assert redirect_query(response)["error"] == "access_denied"
    assert not AppConsent.objects.exists()
    assert not Grant.objects.exists()


def test_the_patient_picker_offers_only_members_the_family_rule_shows(
    member_client: Client, family: Family
) -> None:
    app = make_public_app()
    scope = "openid launch/patient patient/*.read"
    page = member_client.get(authorize_url(app, scope=scope, pkce=Pkce.new())).content.decode()

    assert page.count('type="radio"') == 2
    assert str(family.subscriber.public_id) in page
    assert str(family.minor_child.public_id) in page
    # An adult spouse and an adult child who have not consented on the web are not offered.
    assert str(family.spouse.public_id) not in page
    assert str(family.adult_child.public_id) not in page


def test_a_posted_patient_the_member_may_not_see_is_refused(
    member_client: Client, family: Family
) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    scope = "openid launch/patient patient/*.read"
    member_client.get(authorize_url(app, scope=scope, pkce=pkce))

    response = allow(
        member_client, app, scope=scope, pkce=pkce, patient=str(family.adult_child.public_id)
    )

    assert response.status_code == 404
    assert not AppConsent.objects.exists()
    assert not Grant.objects.exists()


def test_the_chosen_patient_is_in_the_token_response_and_the_grant(
    member_client: Client, family: Family
) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    scope = "openid launch/patient patient/*.read offline_access"
    code = get_code(
        member_client, app, scope=scope, pkce=pkce, patient=str(family.minor_child.public_id)
    )

    tokens = body(exchange(member_client, app, code=code, verifier=pkce.verifier))
    refreshed = body(refresh(member_client, app, tokens["refresh_token"]))

    assert tokens["patient"] == str(family.minor_child.public_id)
    assert refreshed["patient"] == str(family.minor_child.public_id)
    grant = _grant_of(refreshed["access_token"])
    assert grant is not None
    assert grant.user == family.subscriber.user
    assert grant.patient_public_id == str(family.minor_child.public_id)
    consent = AppConsent.objects.get()
    assert consent.patient == family.minor_child
    event = AuditEvent.objects.get(action="connected_app.granted")
    assert event.details["client_id"] == app.client_id
    assert event.details["patient"] == str(family.minor_child.public_id)


def test_without_a_choice_the_patient_is_the_member_and_a_new_consent_replaces_the_old(
    member_client: Client, family: Family
) -> None:
    app = make_public_app()
    scope = "openid launch/patient patient/*.read"
    get_code(
        member_client, app, scope=scope, pkce=Pkce.new(), patient=str(family.minor_child.public_id)
    )
    pkce = Pkce.new()
    code = get_code(member_client, app, scope=scope, pkce=pkce)

    tokens = body(exchange(member_client, app, code=code, verifier=pkce.verifier))

    assert tokens["patient"] == str(family.subscriber.public_id)
    assert AppConsent.objects.get().patient == family.subscriber
    grant = _grant_of(tokens["access_token"])
    assert grant is not None and grant.patient_public_id is None  # the member themselves


@pytest.mark.parametrize("role", ["client", "advisor", "service_center", "admin"])
def test_someone_who_is_not_a_plan_member_is_refused_and_gets_no_code(
    client: Client, role: str
) -> None:
    client.force_login(UserFactory(role=role))
    app = make_public_app()
    pkce = Pkce.new()

    page = client.get(authorize_url(app, scope=READ, pkce=pkce))
    posted = allow(client, app, scope=READ, pkce=pkce)

    assert page.status_code == 403
    assert "Apps connect to plan members' records only" in page.content.decode()
    assert posted.status_code == 403
    assert not Grant.objects.exists()


def test_a_sign_in_stopped_at_the_second_factor_never_reaches_consent(client: Client) -> None:
    from tests.accounts.test_signin_support import enter_password, enter_username, make_user

    user = make_user(username="dana", totp=True)
    MemberFactory(user=user)
    app = make_public_app()
    enter_username(client, "dana")
    at_second_step = enter_password(client)

    response = client.get(authorize_url(app, scope=READ, pkce=Pkce.new()))

    assert at_second_step["Location"] == "/accounts/2fa/authenticate/"
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not Grant.objects.exists()


# --- Consent withdrawn -----------------------------------------------------------------------


def test_disconnecting_an_app_revokes_its_tokens_and_the_bearer_refuses_them(
    member_client: Client, family: Family
) -> None:
    app = make_public_app(name="Pill Tracker")
    tokens = _offline_tokens(member_client, app)
    consent = AppConsent.objects.get()
    listing = member_client.get("/my-account/connected-apps/").content.decode()

    response = member_client.post(f"/my-account/connected-apps/{consent.public_id}/disconnect/")

    assert "Pill Tracker" in listing
    assert response.status_code == 302
    assert _grant_of(tokens["access_token"]) is None
    assert refresh(member_client, app, tokens["refresh_token"]).status_code == 400
    assert not AppConsent.objects.exists()
    assert not AccessToken.objects.exists()
    event = AuditEvent.objects.get(action="connected_app.revoked")
    assert event.details == {"client_id": app.client_id}
    assert "Pill Tracker" not in member_client.get("/my-account/connected-apps/").content.decode()


def test_a_token_whose_consent_is_gone_reads_nothing(member_client: Client) -> None:
    app = make_public_app()
    tokens = _offline_tokens(member_client, app)

    AppConsent.objects.all().delete()

    assert _grant_of(tokens["access_token"]) is None
    assert refresh(member_client, app, tokens["refresh_token"]).status_code == 400


def test_another_persons_app_cannot_be_disconnected(member_client: Client) -> None:
    stranger = MemberFactory(user=UserFactory())
    app = make_public_app()
    other = Client()
    other.force_login(stranger.user)
    _offline_tokens(other, app)
    consent = AppConsent.objects.get()

    response = member_client.post(f"/my-account/connected-apps/{consent.public_id}/disconnect/")

    assert response.status_code == 404
    assert AppConsent.objects.filter(pk=consent.pk).exists()


# --- OpenID Connect and discovery ------------------------------------------------------------


def test_the_id_token_and_userinfo_name_the_member_by_public_ids(
    member_client: Client, family: Family, settings
) -> None:
    app = make_public_app()
    pkce = Pkce.new()
    code = get_code(member_client, app, scope=READ, pkce=pkce)

    tokens = body(exchange(member_client, app, code=code, verifier=pkce.verifier))
    claims = jwt_claims(tokens["id_token"])
    userinfo = member_client.get("/oauth/userinfo/", **bearer(tokens["access_token"]))

    user = family.subscriber.user
    expected_fhir_user = (
        f"{settings.RXPORTAL_BASE_URL}/fhir/R4/Patient/{family.subscriber.public_id}"
    )
    assert claims["sub"] == str(user.public_id) != user.username
    assert claims["fhirUser"] == expected_fhir_user
    assert claims["aud"] == app.client_id
    assert userinfo.status_code == 200
    assert body(userinfo)["sub"] == str(user.public_id)
    assert body(userinfo)["fhirUser"] == expected_fhir_user


def test_openid_discovery_and_jwks(client: Client, settings) -> None:
    under_oauth = client.get("/oauth/.well-known/openid-configuration")
    at_root = client.get("/.well-known/openid-configuration")
    jwks = client.get("/oauth/.well-known/jwks.json")

    assert under_oauth.status_code == at_root.status_code == 200
    document = body(under_oauth)
    assert document == body(at_root)
    assert document["issuer"] == f"{settings.RXPORTAL_BASE_URL}/oauth"
    assert document["authorization_endpoint"] == f"{settings.RXPORTAL_BASE_URL}/oauth/authorize/"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert "fhirUser" in document["claims_supported"]
    assert body(jwks)["keys"][0]["kty"] == "RSA"


def test_smart_configuration(client: Client, settings) -> None:
    response = client.get("/fhir/R4/.well-known/smart-configuration")

    document = body(response)
    site = settings.RXPORTAL_BASE_URL
    assert response.status_code == 200
    assert document["issuer"] == f"{site}/oauth"
    assert document["authorization_endpoint"] == f"{site}/oauth/authorize/"
    assert document["token_endpoint"] == f"{site}/oauth/token/"
    assert document["revocation_endpoint"] == f"{site}/oauth/revoke_token/"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert {"patient/*.read", "patient/*.rs", "launch/patient", "offline_access"} <= set(
        document["scopes_supported"]
    )
    assert {
        "launch-standalone",
        "client-public",
        "context-standalone-patient",
        "permission-offline",
        "permission-patient",
        "permission-v1",
        "permission-v2",
        "sso-openid-connect",
    } <= set(document["capabilities"])
