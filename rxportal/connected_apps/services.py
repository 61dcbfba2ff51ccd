"""Use cases that write: a member allows an app, disconnects it; an operator registers or ends an
app; the demo mobile app's client."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from rxportal.audit.services import Outcome, record_event
from rxportal.connected_apps.domain import (
    MOBILE_APP_SCHEME,
    app_name_key,
    is_acceptable_redirect_uri,
)
from rxportal.connected_apps.errors import (
    AppNameTaken,
    AppNotFound,
    AppRegistrationError,
    RedirectUriRefused,
)
from rxportal.connected_apps.models import AppConsent
from rxportal.core import clock

if TYPE_CHECKING:
    from rxportal.members.models import Member

# The demo mobile app (development only; seeded by rxportal.demo). A public client: it keeps no
# secret, so PKCE is what ties the code to the app that asked for it.
DEMO_MOBILE_CLIENT_ID = "rxportal-mobile-demo"
DEMO_MOBILE_APP_NAME = "rxportal mobile (demo)"
DEMO_MOBILE_REDIRECT_URIS = ("rxportal-mobile://oauth/callback", "http://127.0.0.1/oauth/callback")
# DOT's Application has no public id: audit entries name an app by its client id.
APPLICATION_SUBJECT_TYPE = "oauth2_provider.application"


def grant_consent(
    *,
    user: AbstractBaseUser,
    application: Application,
    patient: Member,
    scopes: list[str],
    signed_in_at: dt.datetime | None = None,
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
                "signed_in_at": signed_in_at,
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


def register_public_app(*, name: str, redirect_uris: list[str]) -> Application:
    """Register a member's chosen third-party app as a public client (no secret; PKCE ties the
    code to the app, as for the demo app), audited ``connected_app.registered``. Refuses a name
    another app has once normalised (``domain.app_name_key``: case, width, spacing) and any redirect URI the authorization endpoint would refuse;
    nothing is saved then."""
    name = name.strip()
    if not name or not redirect_uris:
        raise AppRegistrationError("an app needs a name and at least one redirect URI")
    for uri in redirect_uris:
        # Stored space-separated, so a URI may not contain whitespace.
        if uri.split() != [uri] or not is_acceptable_redirect_uri(uri):
            raise RedirectUriRefused(
                f"redirect URI {uri!r} refused: use https, the {MOBILE_APP_SCHEME}: scheme, "
                "or http to 127.0.0.1 or [::1] only, without a fragment"
            )
    unique_uris = list(dict.fromkeys(redirect_uris))
    with transaction.atomic():
        if is_app_name_taken(name):
            raise AppNameTaken(f"an app named {name!r} is already registered")
        application = Application(
            name=name,
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(unique_uris),
            skip_authorization=False,
            algorithm=Application.RS256_ALGORITHM,
        )
        # DOT's own checks too (ALLOWED_REDIRECT_URI_SCHEMES, URI syntax, the name's length).
        try:
            application.full_clean(exclude=["client_secret", "user"])
        except ValidationError as error:
            raise AppRegistrationError(f"app refused: {'; '.join(error.messages)}") from error
        application.save()
        record_event(
            action="connected_app.registered",
            outcome=Outcome.SUCCESS,
            subject_type=APPLICATION_SUBJECT_TYPE,
            subject_id=application.client_id,
            details={"client_id": application.client_id, "redirect_uri_count": len(unique_uris)},
        )
    return application


def is_app_name_taken(name: str) -> bool:
    """Whether another app's name is the same once normalised. Apps are few (registered by an
    operator), so every name is compared in Python rather than by a database collation."""
    key = app_name_key(name)
    return any(
        app_name_key(other) == key for other in Application.objects.values_list("name", flat=True)
    )


def end_registered_app(*, client_id: str) -> int:
    """End an app for everyone: every member's tokens revoked and codes deleted
    (``revoke_app_tokens``), their consents deleted, then the app itself, so no new code or
    token can be issued to it. Audited ``connected_app.ended``. Returns how many members had
    connected it; ``AppNotFound`` for an unknown client id."""
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        if application is None:
            raise AppNotFound(f"no app with client id {client_id!r}")
        user_ids = (
            set(
                AppConsent.objects.filter(application=application).values_list("user_id", flat=True)
            )
            | set(
                AccessToken.objects.filter(application=application).values_list(
                    "user_id", flat=True
                )
            )
            | set(
                RefreshToken.objects.filter(application=application).values_list(
                    "user_id", flat=True
                )
            )
            | set(Grant.objects.filter(application=application).values_list("user_id", flat=True))
        )
        for user in get_user_model().objects.filter(pk__in=user_ids - {None}):
            revoke_app_tokens(user=user, application=application)
        members_connected, _ = AppConsent.objects.filter(application=application).delete()
        application.delete()
        record_event(
            action="connected_app.ended",
            outcome=Outcome.SUCCESS,
            subject_type=APPLICATION_SUBJECT_TYPE,
            subject_id=client_id,
            details={"client_id": client_id, "consents_ended": members_connected},
        )
    return members_connected
