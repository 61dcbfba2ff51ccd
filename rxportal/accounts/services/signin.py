"""Sign-in rules that sit on top of allauth: who needs a second factor, TOTP replay, sessions.

* Members (PHI) and staff must hold a second factor (authenticator app or passkey). The
  ``SecondFactorPolicyStage`` flags a sign-in without one; ``MfaEnrolmentGateMiddleware`` then
  keeps that session on the enrolment pages until a factor exists.
* allauth marks a used TOTP code in the cache for one period (30 s) only, while with a tolerance
  of one step a code stays valid ~90 s. ``accept_totp_step`` closes that gap durably: each
  authenticator remembers the last accepted time step and only a later one is accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse

from rxportal.accounts import permissions as perms
from rxportal.accounts.gateways import is_sms_enabled
from rxportal.accounts.models import SecurityProfile, User
from rxportal.accounts.permissions import has_permission
from rxportal.members.selectors import is_plan_member

SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
# Session keys (values are plain JSON).
IDENTIFIED_USERNAME_SESSION_KEY = "rx_login_username"
ENROLMENT_REQUIRED_SESSION_KEY = "rx_mfa_enrolment_required"
SIGNED_IN_AT_SESSION_KEY = "rx_auth_at"
LAST_TOTP_STEP_KEY = "rx_last_step"


# --- The sign-in attempt's session state (rules in accounts/flows/signin.py) ------------------


def forget_identified_username(request: HttpRequest) -> None:
    request.session.pop(IDENTIFIED_USERNAME_SESSION_KEY, None)


def spend_password_hash_time(password: str) -> None:
    """Hash once with the current hasher, as a real password check would (timing parity)."""
    make_password(password or "")


def is_second_factor_required(user: AbstractBaseUser) -> bool:
    """Members see PHI and staff can reach everyone's: their groups hold the permission that
    requires a second factor. Back-office accounts (``is_staff``) and superusers too."""
    return bool(
        has_permission(user, perms.MUST_USE_SECOND_FACTOR)
        or getattr(user, "is_staff", False)
        or getattr(user, "is_superuser", False)
    )


def has_second_factor(user: AbstractBaseUser) -> bool:
    if Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists():
        return True
    # A confirmed phone for text-message codes counts while SMS is on (services/sms_factor.py).
    return (
        is_sms_enabled()
        and SecurityProfile.objects.filter(user_id=user.pk, sms_phone_verified=True)
        .exclude(sms_phone_encrypted="")
        .exists()
    )


@dataclass(frozen=True)
class SecondFactors:
    """The second factors an account holds, as the sign-in stages need them."""

    authenticator: bool  # an authenticator app or a passkey
    confirmed_phone: bool  # text-message codes: usable only while SMS is switched on

    @property
    def usable(self) -> bool:
        """The same answer as ``has_second_factor``."""
        return self.authenticator or (self.confirmed_phone and is_sms_enabled())

    @property
    def stranded_phone(self) -> bool:
        """The same answer as ``has_stranded_sms_factor``."""
        return self.confirmed_phone and not is_sms_enabled()

    @property
    def sms_step_needed(self) -> bool:
        """The same answer as ``sms_factor.is_sms_step_needed``: the phone is the only factor."""
        return self.confirmed_phone and is_sms_enabled() and not self.authenticator


_SECOND_FACTORS_ATTRIBUTE = "_rx_second_factors"


def second_factors_at_sign_in(request: HttpRequest, user: AbstractBaseUser) -> SecondFactors:
    """One query for the stages of one sign-in request (the text-message stage and the policy
    stage both ask), kept on the request: nothing in those stages adds or removes a factor."""
    cached = getattr(request, _SECOND_FACTORS_ATTRIBUTE, None)
    if isinstance(cached, tuple) and cached[0] == user.pk:
        facts: SecondFactors = cached[1]
        return facts
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_authenticator=Exists(
                Authenticator.objects.filter(user_id=OuterRef("pk"), type__in=SECOND_FACTOR_TYPES)
            ),
            has_confirmed_phone=Exists(
                SecurityProfile.objects.filter(
                    user_id=OuterRef("pk"), sms_phone_verified=True
                ).exclude(sms_phone_encrypted="")
            ),
        )
        .values_list("has_authenticator", "has_confirmed_phone")
        .first()
    )
    facts = SecondFactors(authenticator=bool(row and row[0]), confirmed_phone=bool(row and row[1]))
    setattr(request, _SECOND_FACTORS_ATTRIBUTE, (user.pk, facts))
    return facts


def has_stranded_sms_factor(user: AbstractBaseUser) -> bool:
    """A confirmed phone while text messages are switched off: the account HAS a factor it
    cannot use now. Treating it as "no factor" would let a password alone enrol a new one."""
    return (
        not is_sms_enabled()
        and SecurityProfile.objects.filter(user_id=user.pk, sms_phone_verified=True)
        .exclude(sms_phone_encrypted="")
        .exists()
    )


def needs_second_factor_enrolment(user: AbstractBaseUser) -> bool:
    return is_second_factor_required(user) and not has_second_factor(user)


def can_remove_second_factor(*, authenticator: Authenticator) -> bool:
    """False when it is the last factor of an account that must keep one."""
    user = authenticator.user
    if authenticator.type not in SECOND_FACTOR_TYPES or not is_second_factor_required(user):
        return True
    others = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exclude(
        pk=authenticator.pk
    )
    return others.exists()


def _matched_totp_step(secret: str, code: str) -> int | None:
    for counter in yield_hotp_counters_from_time():
        if compare_user_code(actual=code, expected=format_hotp_value(hotp_value(secret, counter))):
            return counter
    return None


def accept_totp_step(*, authenticator: Authenticator, code: str) -> bool:
    """Accept a TOTP code (already checked by allauth) only if its time step is new.

    Stores the step in ``Authenticator.data`` under a row lock, so a code (or an older one)
    is never accepted twice, whichever process or cache served the first attempt.
    """
    if authenticator.type != Authenticator.Type.TOTP:
        return True
    secret = decrypt(authenticator.data["secret"])
    step = _matched_totp_step(secret, code)
    if step is None:
        return False
    with transaction.atomic():
        locked = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
        last = locked.data.get(LAST_TOTP_STEP_KEY)
        if isinstance(last, int) and step <= last:
            return False
        locked.data = {**locked.data, LAST_TOTP_STEP_KEY: step}
        locked.save(update_fields=["data"])
    authenticator.data = locked.data
    return True


def first_page_after_sign_in(user: AbstractBaseUser) -> str:
    """Where a sign-in without a ``next`` lands: the dashboard, except for a client or advisor
    who is not also a plan member, whom /dashboard/ would only send on to the client portal
    (the same rule as ``web.views.dashboard``; one request less for them). The permission is
    already cached on the user by the second-factor rule; only they pay the member check (one
    EXISTS: the record itself, with its plan and client, is not needed here)."""
    if has_permission(user, perms.USE_CLIENT_PORTAL) and not is_plan_member(user=user):
        return reverse("clients:home")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def mark_signed_in(*, request: HttpRequest, now: dt.datetime) -> None:
    """Called once every stage passed (after Django's login())."""
    request.session[SIGNED_IN_AT_SESSION_KEY] = now.timestamp()
    forget_identified_username(request)


def session_signed_in_at(request: HttpRequest) -> dt.datetime | None:
    """When this browser session's user passed every sign-in stage (``mark_signed_in``), or None
    when the session holds no such time (a session not made by the full sign-in)."""
    value = request.session.get(SIGNED_IN_AT_SESSION_KEY)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def flag_enrolment(*, request: HttpRequest, required: bool) -> None:
    """Set by the policy stage; the enrolment gate middleware reads it."""
    if required:
        request.session[ENROLMENT_REQUIRED_SESSION_KEY] = True
    else:
        request.session.pop(ENROLMENT_REQUIRED_SESSION_KEY, None)


def is_enrolment_flagged(request: HttpRequest) -> bool:
    return bool(request.session.get(ENROLMENT_REQUIRED_SESSION_KEY))


def rotate_session_key(request: HttpRequest) -> None:
    """New session id after each factor passed before sign-in completes (data kept).

    Not after sign-in: Django's login() rotates it then, and allauth's UserSession row is keyed
    by the session id from that moment on. So the password step calls this after the stages ran
    (a second rotation in the same request would only cost a session write and delete).
    """
    if not request.user.is_authenticated:
        request.session.cycle_key()
