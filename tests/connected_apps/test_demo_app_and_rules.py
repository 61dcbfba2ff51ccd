"""The demo mobile app's client, and the redirect URI rule (pure)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from oauth2_provider.models import Application

from rxportal.connected_apps.domain import form_action_source, is_acceptable_redirect_uri
from rxportal.connected_apps.services import DEMO_MOBILE_CLIENT_ID, ensure_demo_mobile_app


@pytest.mark.parametrize(
    ("uri", "acceptable"),
    [
        ("https://app.example.test/callback", True),
        ("rxportal-mobile://oauth/callback", True),
        ("http://127.0.0.1/oauth/callback", True),
        ("http://127.0.0.1:53682/oauth/callback", True),
        ("http://[::1]:8080/callback", True),
        ("http://localhost/callback", False),  # RFC 8252 §8.3: not recommended
        ("http://app.example.test/callback", False),
        ("https://app.example.test/callback#fragment", False),
        ("javascript:alert(1)", False),
        ("ftp://app.example.test/", False),
        ("https:///no-host", False),
    ],
)
def test_redirect_uris_https_the_app_scheme_or_loopback_http(uri: str, acceptable: bool) -> None:
    assert is_acceptable_redirect_uri(uri) is acceptable


@pytest.mark.django_db
def test_the_demo_mobile_app_is_a_public_pkce_client_seeded_once() -> None:
    ensure_demo_mobile_app()
    app = ensure_demo_mobile_app()

    assert Application.objects.filter(client_id=DEMO_MOBILE_CLIENT_ID).count() == 1
    assert app.name == "rxportal mobile (demo)"
    assert app.client_type == Application.CLIENT_PUBLIC
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.redirect_uris.split() == [
        "rxportal-mobile://oauth/callback",
        "http://127.0.0.1/oauth/callback",
    ]
    assert app.skip_authorization is False
    assert app.algorithm == Application.RS256_ALGORITHM


@pytest.mark.django_db
def test_demo_sign_ins_print_the_mobile_apps_client() -> None:
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    text = out.getvalue()

    assert "rxportal mobile (demo)" in text
    assert DEMO_MOBILE_CLIENT_ID in text
    assert "rxportal-mobile://oauth/callback" in text
    assert "/fhir/R4/.well-known/smart-configuration" in text


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        ("https://app.example.test/callback?x=1", "https://app.example.test"),
        ("http://127.0.0.1:53682/oauth/callback", "http://127.0.0.1:53682"),
        ("rxportal-mobile://oauth/callback", "rxportal-mobile:"),
        ("http://app.example.test/callback", ""),
    ],
)
def test_the_consent_forms_csp_source_is_the_redirects_origin(uri: str, source: str) -> None:
    assert form_action_source(uri) == source
