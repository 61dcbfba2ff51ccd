"""Reads for connected apps: a member's consents, the apps they allowed, whom they may choose."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, OuterRef, Subquery
from oauth2_provider.models import AccessToken, Application

from rxportal.connected_apps.models import AppConsent
from rxportal.members.selectors import find_member_for_user, list_family_members_visible_to

if TYPE_CHECKING:
    from rxportal.members.models import Member


def find_consent(*, user: AbstractBaseUser, application: Application) -> AppConsent | None:
    return (
        AppConsent.objects.select_related("patient")
        .filter(user_id=user.pk, application=application)
        .first()
    )


def find_consent_for_token(*, user_id: int, application_id: int | None) -> AppConsent | None:
    """The consent behind a token, with its patient (one query)."""
    if application_id is None:
        return None
    return (
        AppConsent.objects.select_related("patient")
        .filter(user_id=user_id, application_id=application_id)
        .first()
    )


def may_connect_apps(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only plan members connect apps to their records: clients, advisors and staff have none."""
    return find_member_for_user(user=user) is not None


def list_patient_choices(*, user: AbstractBaseUser | AnonymousUser, today: dt.date) -> list[Member]:
    """Whose records the member may open in an app: themselves first, then the family members
    the family-access rule lets them see today."""
    return list_family_members_visible_to(viewer=user, today=today)


@dataclass(frozen=True)
class ConnectedApp:
    consent_public_id: str
    app_name: str
    scopes: list[str]
    patient_name: str
    patient_is_self: bool
    granted_at: dt.datetime
    last_connected_at: dt.datetime | None


def list_connected_apps(*, user: AbstractBaseUser) -> list[ConnectedApp]:
    """The apps this user allowed, newest consent first; when each last got a token (one query)."""
    latest_token = (
        AccessToken.objects.filter(
            user_id=OuterRef("user_id"), application_id=OuterRef("application_id")
        )
        .values("application_id")
        .annotate(latest=Max("created"))
        .values("latest")
    )
    consents = (
        AppConsent.objects.filter(user_id=user.pk)
        .select_related("application", "patient")
        .annotate(last_connected_at=Subquery(latest_token))
        .order_by("-granted_at", "pk")
    )
    return [
        ConnectedApp(
            consent_public_id=str(consent.public_id),
            app_name=consent.application.name,
            scopes=consent.scope_list,
            patient_name=consent.patient.full_name,
            patient_is_self=consent.patient.user_id == user.pk,
            granted_at=consent.granted_at,
            last_connected_at=consent.last_connected_at,  # type: ignore[attr-defined]
        )
        for consent in consents
    ]
