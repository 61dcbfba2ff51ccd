"""An API request's access token, checked by django-oauth-toolkit, as a ``TokenGrant``.

The JSON API (``rxportal.api``) and FHIR (``rxportal.fhir``) both authenticate here, so a token
that is expired, revoked, or held by a deactivated user is refused the same way on every edge.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from oauth2_provider.oauth2_backends import get_oauthlib_core

from rxportal.connected_apps import scopes as scope_rules
from rxportal.connected_apps.selectors import find_consent_for_token


@dataclass(frozen=True)
class TokenGrant:
    """Who a token speaks for, through which app, and what it may do."""

    user: AbstractBaseUser
    scopes: frozenset[str]
    client_id: str
    token_id: int
    # The patient the member chose for this app at consent (SMART ``launch/patient``), as a
    # member public id; None means the member themselves. Each edge still checks the family
    # rule on every read, so a consent revoked later ends the app's view of that patient.
    patient_public_id: str | None = None
    # The one member whose records the token may read or change, when the member allowed
    # ``launch/patient`` (themselves included): the JSON API then limits every read and write
    # to this patient. None: the app sees what the family rule shows its user, as the web does.
    bound_patient_public_id: str | None = None

    def allows_read(self, resource_type: str, *, search: bool = False) -> bool:
        return scope_rules.allows_read(self.scopes, resource_type, search=search)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def authenticate_bearer(request: HttpRequest) -> TokenGrant | None:
    """The grant behind ``Authorization: Bearer …``, or None when there is no valid token."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    if not valid:
        return None
    token = oauth_request.access_token
    user = token.user
    if user is None or not user.is_active:
        return None
    # No consent, no access: a member who disconnected the app (or a token no member ever
    # allowed) reads nothing, even while the token itself has not expired.
    consent = find_consent_for_token(user_id=user.pk, application_id=token.application_id)
    if consent is None or token.created < consent.granted_at:
        # A token issued before the member's latest consent speaks for an answer replaced since.
        return None
    token_scopes = frozenset(token.scope.split())
    # The member's answer on the consent screen decides: a refresh that asked for fewer scopes
    # (no ``launch/patient``) does not widen the token to the whole family.
    bound = scope_rules.LAUNCH_PATIENT in token_scopes or (
        scope_rules.LAUNCH_PATIENT in consent.scope_list
    )
    return TokenGrant(
        user=user,
        scopes=token_scopes,
        client_id=token.application.client_id if token.application_id else "",
        token_id=token.pk,
        patient_public_id=None
        if consent.patient.user_id == user.pk
        else str(consent.patient.public_id),
        bound_patient_public_id=str(consent.patient.public_id) if bound else None,
    )
