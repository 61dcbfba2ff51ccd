"""My Account: what the hub shows, and the rules of the pages that change how the account is
protected (challenge questions, SiteKey, recovery codes). Each is one service underneath; what
sits here is what the pages used to decide themselves (what is current, when a new set of codes
may be had, what a password change records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from rxportal.accounts import activity_selectors
from rxportal.accounts.activity_selectors import (
    ActiveSession,
    RememberedDevice,
    SecurityOverview,
    SignInActivity,
)
from rxportal.accounts.errors import SecondFactorNeeded
from rxportal.accounts.models import ChallengeAnswer, SecurityProfile, User
from rxportal.accounts.services import myaccount
from rxportal.accounts.services.challenges import set_challenge_answers
from rxportal.accounts.services.recovery_codes import (
    count_unused_recovery_codes,
    generate_recovery_codes,
)
from rxportal.accounts.services.signin import has_second_factor
from rxportal.accounts.services.sitekey import set_sitekey


@dataclass(frozen=True)
class SecurityHub:
    overview: SecurityOverview
    sessions: list[ActiveSession]
    devices: list[RememberedDevice]
    activity: list[SignInActivity]


def security_hub(*, request: HttpRequest, user: User, now: dt.datetime) -> SecurityHub:
    """Sign-in details, second factors, sessions, remembered browsers and recent activity."""
    return SecurityHub(
        overview=activity_selectors.get_security_overview(viewer=user),
        sessions=activity_selectors.list_active_sessions(viewer=user, request=request),
        devices=activity_selectors.list_remembered_devices(
            viewer=user, cookie_value=request.COOKIES.get(settings.RXPORTAL_DEVICE_COOKIE_NAME)
        ),
        activity=activity_selectors.list_sign_in_activity(viewer=user, now=now),
    )


def record_password_changed(*, request: HttpRequest, user: User) -> int:
    """After allauth's password change succeeded: connected apps disconnected, the audit entry.
    Returns how many apps were disconnected (the page tells the member)."""
    return myaccount.record_password_changed(user=user, request=request)


def current_questions(user: User) -> list[str]:
    """The slugs of the user's questions, to start the form from."""
    return sorted(ChallengeAnswer.objects.filter(user=user).values_list("question", flat=True))


def change_challenge_answers(*, user: User, answers: dict[str, str]) -> None:
    """Raises the service's ``DomainError`` when the answers are refused."""
    set_challenge_answers(user=user, answers=answers, actor=user)


def current_sitekey(user: User) -> dict[str, str]:
    """The picture and phrase to start the SiteKey form from ({} when none chosen yet)."""
    profile = SecurityProfile.objects.filter(user=user).first()
    if profile is None or not profile.sitekey_image:
        return {}
    return {"image": profile.sitekey_image, "phrase": profile.sitekey_phrase}


def change_sitekey(*, user: User, image_slug: str, phrase: str) -> None:
    set_sitekey(user=user, image_slug=image_slug, phrase=phrase, actor=user)


@dataclass(frozen=True)
class RecoveryCodesStatus:
    codes_left: int
    has_second_factor: bool


def recovery_codes_status(user: User) -> RecoveryCodesStatus:
    return RecoveryCodesStatus(
        codes_left=count_unused_recovery_codes(user=user),
        has_second_factor=has_second_factor(user),
    )


def new_recovery_codes(*, user: User, now: dt.datetime) -> list[str]:
    """A new set, replacing the old, shown this once. Raises ``SecondFactorNeeded``."""
    if not has_second_factor(user):
        raise SecondFactorNeeded(_("Add a second sign-in step before getting recovery codes."))
    return generate_recovery_codes(user=user, now=now)
