"""Use cases that write: a member allows an app, disconnects it; the demo mobile app's client."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from rxportal.audit.services import Outcome, record_event
from rxportal.connected_apps.domain import is_acceptable_redirect_uri
from rxportal.connected_apps.models import AppConsent
from rxportal.core import clock

if TYPE_CHECKING:
    from rxportal.members.models import Member

# The demo mobile app (development only; seeded by rxportal.demo). A public client: it keeps no
# secret, so PKCE is what ties the code to the app that asked for it.
DEMO_MOBILE_CLIENT_ID = "rxportal-mobile-demo"
DEMO_MOBILE_APP_NAME = "rxportal mobile (demo)"
DEMO_MOBILE_REDIRECT_URIS = ("rxportal-mobile://oauth/callback", "http://127.0.0.1/oauth/callback")


def grant_consent(
    *,
    user: AbstractBaseUser,
    application: Application,
    patient: Member,
    scopes: list[str],
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> AppConsent:
    """Record what the member allowed this app (replacing any earlier consent), audited as
    ``connected_app.granted``. The caller has checked the patient against the family rule."""
    with transaction.atomic():
        consent, _ = AppConsent.objects.update_or_create(
            user=user,
            application=application,
            defaults={
                "patient": patient,
                "scopes": " ".join(scopes),
                "granted_at": now or clock.now(),
            },
        )
        record_event(
            action="connected_app.granted",
            outcome=Outcome.SUCCESS,
            actor=user,
            request=request,
            subject=consent,
            details={
                "client_id": application.client_id,
                "patient": str(patient.public_id),
                "scopes": sorted(scopes),
            },
        )
    return consent


def disconnect_app(
    *, user: AbstractBaseUser, consent_public_id: str, request: HttpRequest | None = None
) -> bool:
    """Revoke every token and code the app holds for this user and forget the consent, audited
    as ``connected_app.revoked``. False when the user has no such consent (nothing changes)."""
    with transaction.atomic():
        consent = (
            AppConsent.objects.select_for_update()
            .select_related("application")
            .filter(user_id=user.pk, public_id=consent_public_id)
            .first()
        )
        if consent is None:
            return False
        revoke_app_tokens(user=user, application=consent.application)
        consent.delete()
        record_event(
            action="connected_app.revoked",
            outcome=Outcome.SUCCESS,
            actor=user,
            request=request,
            subject_type="connected_apps.appconsent",
            subject_id=str(consent_public_id),
            details={"client_id": consent.application.client_id},
        )
    return True


def revoke_app_tokens(*, user: AbstractBaseUser, application: Application) -> None:
    """End the app's access for this user now: refresh tokens revoked (so a replay is refused),
    access tokens, ID tokens and unused codes deleted."""
    for refresh_token in RefreshToken.objects.filter(
        user=user, application=application, revoked__isnull=True
    ):
        refresh_token.revoke()
    AccessToken.objects.filter(user_id=user.pk, application=application).delete()
    IDToken.objects.filter(user_id=user.pk, application=application).delete()
    Grant.objects.filter(user_id=user.pk, application=application).delete()


def end_app_access_to_patient(*, user: AbstractBaseUser, patient: Member) -> None:
    """End every app's access, for this user, to this patient's records (the family-access
    rule no longer lets the user see them): their consents deleted, those apps' tokens revoked."""
    with transaction.atomic():
        consents = list(
            AppConsent.objects.select_related("application").filter(
                user_id=user.pk, patient=patient
            )
        )
        for consent in consents:
            revoke_app_tokens(user=user, application=consent.application)
            consent.delete()


def revoke_all_app_access(user: AbstractBaseUser) -> int:
    """End every app's access for this user (account recovery, a password change, signing out
    everywhere): all consents deleted, refresh tokens revoked, access tokens, ID tokens and
    codes deleted. Returns how many apps the user had connected."""
    with transaction.atomic():
        for refresh_token in RefreshToken.objects.filter(user_id=user.pk, revoked__isnull=True):
            refresh_token.revoke()
        AccessToken.objects.filter(user_id=user.pk).delete()
        IDToken.objects.filter(user_id=user.pk).delete()
        Grant.objects.filter(user_id=user.pk).delete()
        ended, _ = AppConsent.objects.filter(user_id=user.pk).delete()
    return ended


def ensure_demo_mobile_app() -> Application:
    """The demo mobile app's public client with its fixed client id (idempotent)."""
    assert all(is_acceptable_redirect_uri(uri) for uri in DEMO_MOBILE_REDIRECT_URIS)
    application, _ = Application.objects.update_or_create(
        client_id=DEMO_MOBILE_CLIENT_ID,
        defaults={
            "name": DEMO_MOBILE_APP_NAME,
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": " ".join(DEMO_MOBILE_REDIRECT_URIS),
            "skip_authorization": False,
            "algorithm": Application.RS256_ALGORITHM,
        },
    )
    return application
