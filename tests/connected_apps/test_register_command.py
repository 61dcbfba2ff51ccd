"""An operator registers a member's chosen app (and ends one) with a management command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from rxportal.audit.models import AuditEvent
from rxportal.connected_apps.bearer import authenticate_bearer
from rxportal.connected_apps.models import AppConsent
from tests.conftest import Family
from tests.connected_apps.oauth_helpers import (
    LOOPBACK_REDIRECT_URI,
    REDIRECT_URI,
    Pkce,
    body,
    exchange,
    get_code,
    refresh,
)
from tests.oauth_tokens import bearer

pytestmark = pytest.mark.django_db

SCOPE = "openid fhirUser patient/*.read offline_access"


def register(*args: str) -> str:
    out = StringIO()
    call_command("register_connected_app", *args, stdout=out)
    return out.getvalue()


def register_health_app(name: str = "Pill Tracker") -> Application:
    output = register(
        "--name", name, "--redirect-uri", REDIRECT_URI, "--redirect-uri", LOOPBACK_REDIRECT_URI
    )
    application = Application.objects.get(name=name)
    assert f"client_id: {application.client_id}" in output
    return application


@pytest.fixture
def member_client(family: Family) -> Client:
    client = Client()
    client.force_login(family.subscriber.user)
    return client


def test_a_registered_app_is_a_public_client_and_the_registration_is_audited() -> None:
    application = register_health_app()

    assert application.client_type == Application.CLIENT_PUBLIC
    assert application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert application.redirect_uris.split() == [REDIRECT_URI, LOOPBACK_REDIRECT_URI]
    assert not application.skip_authorization
    event = AuditEvent.objects.get(action="connected_app.registered")
    assert event.subject_type == "oauth2_provider.application"
    assert event.subject_id == application.client_id
    assert event.details == {"client_id": application.client_id, "redirect_uri_count": 2}


def test_the_command_prints_the_client_id_and_no_secret() -> None:
    output = register("--name", "Pill Tracker", "--redirect-uri", REDIRECT_URI)

    assert "client_id:" in output
    assert "secret" not in output.lower()


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example.test/callback",  # plain http off loopback
        "http://localhost/callback",  # loopback only by IP (RFC 8252 §8.3)
        "https://app.example.test/callback#fragment",
        "com.example.app:/callback",  # a scheme that is not the portal's app
        "javascript:alert(1)",
        "https:///no-host",
        "https://app.example.test/a https://evil.example.test/b",  # two in one
    ],
)
def test_a_redirect_uri_the_authorization_endpoint_refuses_is_refused_and_nothing_saved(
    uri: str,
) -> None:
    with pytest.raises(CommandError, match=r"connected_app\.redirect_uri_refused"):
        register("--name", "Pill Tracker", "--redirect-uri", REDIRECT_URI, "--redirect-uri", uri)

    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(action="connected_app.registered").exists()


def test_a_name_already_registered_is_refused_in_any_case_and_nothing_saved() -> None:
    register_health_app("Pill Tracker")

    with pytest.raises(CommandError, match=r"connected_app\.name_taken"):
        register("--name", "  pill tracker ", "--redirect-uri", REDIRECT_URI)

    assert Application.objects.count() == 1
    assert AuditEvent.objects.filter(action="connected_app.registered").count() == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "Pill Tracker"],
        ["--redirect-uri", REDIRECT_URI],
        ["--name", "   ", "--redirect-uri", REDIRECT_URI],
        ["--name", "x" * 256, "--redirect-uri", REDIRECT_URI],  # longer than DOT's field
        ["--disable", "some-client", "--name", "Pill Tracker"],
    ],
)
def test_missing_or_mixed_arguments_are_refused_and_nothing_saved(args: list[str]) -> None:
    with pytest.raises(CommandError):
        register(*args)

    assert not Application.objects.exists()


def test_a_registered_app_runs_the_code_flow_with_pkce_to_a_token(member_client: Client) -> None:
    application = register_health_app()
    pkce = Pkce.new()

    code = get_code(member_client, application, scope=SCOPE, pkce=pkce)
    tokens = body(exchange(member_client, application, code=code, verifier=pkce.verifier))

    assert tokens["token_type"] == "Bearer"
    grant = authenticate_bearer(
        RequestFactory().get("/api/v1/profile", **bearer(tokens["access_token"]))
    )
    assert grant is not None


def test_disabling_an_app_ends_its_tokens_consents_and_the_app(
    member_client: Client, family: Family
) -> None:
    application = register_health_app()
    other = register_health_app("Step Counter")
    pkce = Pkce.new()
    tokens = body(
        exchange(
            member_client,
            application,
            code=get_code(member_client, application, scope=SCOPE, pkce=pkce),
            verifier=pkce.verifier,
        )
    )
    other_pkce = Pkce.new()
    other_tokens = body(
        exchange(
            member_client,
            other,
            code=get_code(member_client, other, scope=SCOPE, pkce=other_pkce),
            verifier=other_pkce.verifier,
        )
    )
    unused_code_pkce = Pkce.new()
    get_code(member_client, application, scope=SCOPE, pkce=unused_code_pkce)

    output = register("--disable", application.client_id)

    assert "1 member consent(s) ended" in output
    assert not Application.objects.filter(pk=application.pk).exists()
    assert not AccessToken.objects.filter(application_id=application.pk).exists()
    assert not RefreshToken.objects.filter(application_id=application.pk).exists()
    assert not Grant.objects.filter(application_id=application.pk).exists()
    assert not AppConsent.objects.filter(application_id=application.pk).exists()
    request = RequestFactory().get("/api/v1/profile", **bearer(tokens["access_token"]))
    assert authenticate_bearer(request) is None
    assert refresh(member_client, application, tokens["refresh_token"]).status_code in (400, 401)
    # The member's other app is untouched.
    assert AppConsent.objects.filter(application=other, user=family.subscriber.user).exists()
    other_request = RequestFactory().get("/api/v1/profile", **bearer(other_tokens["access_token"]))
    assert authenticate_bearer(other_request) is not None
    event = AuditEvent.objects.get(action="connected_app.ended")
    assert event.subject_id == application.client_id
    assert event.details == {"client_id": application.client_id, "consents_ended": 1}


def test_disabling_an_unknown_app_is_refused() -> None:
    with pytest.raises(CommandError, match=r"connected_app\.not_found"):
        register("--disable", "no-such-client")

    assert not AuditEvent.objects.filter(action="connected_app.ended").exists()
