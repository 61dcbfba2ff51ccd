"""Access tokens for API tests, made the way django-oauth-toolkit stores them after a code flow.

``issue_access_token(user, scope=...)`` returns the bearer string; ``bearer(token)`` the header
for Django's test client (``client.get(url, **bearer(token))``). As after the consent screen, a
plan member's token comes with their consent to the app (``patient=`` another member they may
see, else themselves); a token without a consent (a user with no member record, or
``consent=False``) is refused by ``connected_apps.bearer`` like a disconnected app's. The end-to-end flow through the
sign-in pages is tested in tests/connected_apps; other API tests start from a stored token.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from rxportal.connected_apps.models import AppConsent
from rxportal.members.models import Member

ALL_READ = "openid fhirUser launch/patient patient/*.read"


def make_application(*, name: str = "Test app", client_id: str = "") -> Application:
    return Application.objects.create(
        name=name,
        client_id=client_id or secrets.token_urlsafe(16),
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example.test/callback",
        skip_authorization=False,
        algorithm=Application.NO_ALGORITHM,
    )


def issue_access_token(
    user: AbstractBaseUser,
    *,
    scope: str = ALL_READ,
    application: Application | None = None,
    expires_in: dt.timedelta = dt.timedelta(hours=1),
    patient: Member | None = None,
    consent: bool = True,
) -> str:
    token = secrets.token_urlsafe(32)
    application = application or make_application()
    patient = patient or Member.objects.filter(user=user).first()
    if consent and patient is not None:
        # The consent first: the bearer refuses a token issued before its consent.
        AppConsent.objects.update_or_create(
            user=user,
            application=application,
            defaults={"patient": patient, "scopes": scope, "granted_at": timezone.now()},
        )
    AccessToken.objects.create(
        user=user,
        application=application,
        token=token,
        scope=scope,
        expires=timezone.now() + expires_in,
    )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
