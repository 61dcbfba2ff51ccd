"""django-oauth-toolkit's validator with the portal's rules (``OAUTH2_VALIDATOR_CLASS``).

* PKCE with S256 only: ``plain`` is refused at the authorization request with the standard
  ``invalid_request`` error (a missing challenge is refused by ``PKCE_REQUIRED``).
* Redirect URIs: https, the mobile app's scheme, or http to a loopback IP (``domain``), also
  for the registered URI used when a request names none.
* ``prompt=none`` (an OpenID Connect request: scope ``openid``; plain OAuth has no prompt): ``consent_required`` (consent is asked every time), never the screen.
* A code or refresh token is honoured only while the member's consent to that app stands.
* A refresh token only when ``offline_access`` was granted (SMART); the token response names
  the chosen patient when ``launch/patient`` was granted.
* OpenID Connect: ``sub`` is the account's public id (stable, never the username);
  ``fhirUser`` the member's FHIR Patient URL; ``auth_time`` when the member signed in, in the
  browser session that allowed the app (DOT would say the account's latest sign-in anywhere).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from rxportal.connected_apps import scopes as scope_rules
from rxportal.connected_apps.domain import is_acceptable_redirect_uri
from rxportal.connected_apps.selectors import find_consent_for_token
from rxportal.members.selectors import find_member_for_user

PKCE_METHOD = "S256"
# Set in request.META by the consent view (DOT hands oauthlib a copy of META as the headers).
# Not an HTTP_ key, so no client header can set it.
SIGNED_IN_MARK = "rxportal.signed_in"


def fhir_user_url(member_public_id: object) -> str:
    return f"{settings.RXPORTAL_BASE_URL.rstrip('/')}/fhir/R4/Patient/{member_public_id}"


class PortalOAuth2Validator(OAuth2Validator):
    # Which scope releases each claim (ID token and userinfo).
    oidc_claim_scope = {"sub": scope_rules.OPENID, "fhirUser": scope_rules.FHIR_USER}

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # oauthlib would accept "plain" (and take a missing method for it): S256 only here.
        # Raised as the standard error, redirected to the app like every other.
        if request.code_challenge is not None and request.code_challenge_method != PKCE_METHOD:
            raise errors.UnsupportedCodeChallengeMethodError(request=request)
        return bool(
            super().validate_response_type(
                client_id, response_type, client, request, *args, **kwargs
            )
        )

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        return is_acceptable_redirect_uri(redirect_uri) and bool(
            super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)
        )

    def get_default_redirect_uri(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> str | None:
        # A request without redirect_uri gets the app's only registered URI (DOT refuses when
        # there are several) under the same rules as a given one; None is oauthlib's
        # invalid_request, answered on our page and never redirected.
        default = super().get_default_redirect_uri(client_id, request, *args, **kwargs)
        return default if default and is_acceptable_redirect_uri(default) else None

    # prompt=none (OpenID Connect Core §3.1.2.6): no page may be shown. No one signed in:
    # login_required; a signed-in member is always asked to consent: consent_required.
    def validate_silent_login(self, request: Request) -> bool:
        return request.headers.get(SIGNED_IN_MARK) == "1"

    def validate_silent_authorization(self, request: Request) -> bool:
        return False

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        return _consent_stands(request)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        # A refresh token issued before the member's latest consent speaks for an old answer.
        return _consent_stands(request, issued_at=request.refresh_token_instance.created)

    def save_bearer_token(
        self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> Any:
        granted = str(token.get("scope", "")).split()
        if scope_rules.OFFLINE_ACCESS not in granted:
            # Mutating the response body oauthlib is about to send: no refresh token issued.
            token.pop("refresh_token", None)
        if scope_rules.LAUNCH_PATIENT in granted:
            consent = find_consent_for_token(
                user_id=request.user.pk, application_id=request.client.pk
            )
            if consent is not None:
                token["patient"] = str(consent.patient.public_id)
        return super().save_bearer_token(token, request, *args, **kwargs)

    def get_claim_dict(self, request: Request) -> dict[str, Any]:
        user = request.user
        claims: dict[str, Any] = {"sub": str(user.public_id)}
        member = find_member_for_user(user=user)
        if member is not None:
            claims["fhirUser"] = fhir_user_url(member.public_id)
        return claims

    def get_id_token_dictionary(
        self, token: Any, token_handler: Any, request: Request
    ) -> tuple[dict[str, Any], dt.datetime]:
        claims, expires = super().get_id_token_dictionary(token, token_handler, request)
        consent = find_consent_for_token(user_id=request.user.pk, application_id=request.client.pk)
        if consent is not None and consent.signed_in_at is not None:
            claims["auth_time"] = int(consent.signed_in_at.timestamp())
        return claims, expires

    def get_discovery_claims(self, request: Request) -> list[str]:
        return ["sub", "fhirUser"]


def _consent_stands(request: Request, *, issued_at: dt.datetime | None = None) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_active:
        return False
    consent = find_consent_for_token(user_id=user.pk, application_id=request.client.pk)
    return consent is not None and (issued_at is None or issued_at >= consent.granted_at)
