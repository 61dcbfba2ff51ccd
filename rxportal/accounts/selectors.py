"""Reads of account data: sign-in lock status and the staff console's user search.

Display helpers that hide most of a username or address (``mask_username``, ``mask_email``)
live here too: the staff console shows a caller's username only masked.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from rxportal.accounts import domain
from rxportal.accounts import permissions as perms
from rxportal.accounts.crypto import decrypt_text, keyed_digest
from rxportal.accounts.gateways import is_sms_enabled
from rxportal.accounts.models import LoginThrottle, Role, SecurityProfile, User
from rxportal.accounts.permissions import has_permission
from rxportal.accounts.services.lockout import USERNAME_DIGEST_PURPOSE
from rxportal.core import clock

MASK = "•••••"
USER_SEARCH_LIMIT = 25
USER_SEARCH_MIN_LENGTH = 2
USER_SEARCH_MAX_LENGTH = 254


@dataclass(frozen=True)
class SignInStatus:
    """The lock-out record of one username, as the service center sees it."""

    consecutive_failures: int = 0
    failures_since_success: int = 0
    locked_until: dt.datetime | None = None
    hard_locked: bool = False
    captcha_required: bool = False

    @property
    def locked(self) -> bool:
        return self.hard_locked or self.locked_until is not None

    @property
    def has_failures(self) -> bool:
        return self.consecutive_failures > 0 or self.failures_since_success > 0


def get_sign_in_status(*, username: str, now: dt.datetime | None = None) -> SignInStatus:
    """Failures, timed lock and hard lock for ``username`` (any spelling of it) at ``now``.

    Reads only the per-username row: the per-IP throttle and the site-wide CAPTCHA breaker are
    about the caller's network, not the account, and an unlock does not touch them.
    """
    digest = keyed_digest(USERNAME_DIGEST_PURPOSE, domain.normalize_username(username))
    row = LoginThrottle.objects.filter(username_digest=digest).first()
    if row is None:
        return SignInStatus()
    now = now or clock.now()
    state = domain.current_state(
        domain.ThrottleState(
            consecutive_failures=row.consecutive_failures,
            failures_since_success=row.failures_since_success,
            first_failure_at=row.first_failure_at,
            locked_until=row.locked_until,
            owner_notified=row.owner_notified_at is not None,
        ),
        now,
    )
    decision = domain.compute_gate_decision(state, now)
    return SignInStatus(
        consecutive_failures=state.consecutive_failures,
        failures_since_success=state.failures_since_success,
        locked_until=decision.locked_until,
        hard_locked=decision.hard_locked,
        captcha_required=decision.captcha_required,
    )


def find_verified_sms_phone(*, user_id: int | None) -> str | None:
    """The user's confirmed mobile number in clear, for sending a text now; else None."""
    if user_id is None or not is_sms_enabled():
        return None
    profile = SecurityProfile.objects.filter(user_id=user_id, sms_phone_verified=True).first()
    if profile is None or not profile.sms_phone_encrypted:
        return None
    return decrypt_text(profile.sms_phone_encrypted)


def mask_username(username: str) -> str:
    """``"jsmith"`` → ``"j•••••h"``: first and last character only, with a fixed-width middle
    so the mask does not give away the length. Names of one or two characters keep only the first.
    """
    if not username:
        return ""
    if len(username) <= 2:
        return username[0] + MASK
    return f"{username[0]}{MASK}{username[-1]}"


def mask_email(email: str) -> str:
    """``"jsmith@example.org"`` → ``"j•••••h@e•••••.org"``: enough to recognise one's own."""
    local, sep, domain_part = email.rpartition("@")
    if not sep:
        return mask_username(email)
    host, dot, tld = domain_part.rpartition(".")
    masked_domain = f"{mask_username(host)}{dot}{tld}" if dot else mask_username(domain_part)
    return f"{mask_username(local)}@{masked_domain}"


def _may_search_users(viewer: AbstractBaseUser | AnonymousUser) -> bool:
    return has_permission(viewer, perms.MANAGE_ACCOUNTS)


def list_users_for_staff(
    *, viewer: AbstractBaseUser | AnonymousUser, query: str, limit: int = USER_SEARCH_LIMIT
) -> list[User]:
    """Accounts whose username or email starts with ``query`` (case-insensitive), by username.

    Empty for viewers outside the account team (and admins), and for queries shorter than two
    characters (a search is for finding one caller, not for listing everyone).
    """
    if not _may_search_users(viewer):
        return []
    query = query.strip()
    if not (USER_SEARCH_MIN_LENGTH <= len(query) <= USER_SEARCH_MAX_LENGTH):
        return []
    return list(
        User.objects.filter(Q(username__istartswith=query) | Q(email__istartswith=query)).order_by(
            "username"
        )[:limit]
    )


def find_user_for_staff(
    *, viewer: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
) -> User | None:
    """One account by public id for the account team's page, or None (also for other viewers)."""
    if not _may_search_users(viewer):
        return None
    return User.objects.filter(public_id=public_id).first()


def is_email_verified(*, user: User) -> bool:
    """Whether the account's current email is confirmed (allauth's ``EmailAddress``)."""
    if not user.email:
        return False
    return EmailAddress.objects.filter(
        user_id=user.pk, email__iexact=user.email, verified=True
    ).exists()


# Who the service center may look up when a client or advisor calls.
_CALLER_USER_ROLES = frozenset({Role.CLIENT, Role.ADVISOR})


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def find_client_user_for_caller(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    email: str,
    organization: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User | None:
    """The one active client or advisor account matching what a caller states, or None.

    The caller gives their username, or their first and last name, and in both cases the email
    address on file and their organization: one of the clients the account team linked them to
    (verified links), or, for a user without a live link, the organization they claimed at
    sign-up. Every detail must match exactly (case and spacing ignored), never a prefix. None
    for a miss, for more than one match, for members and staff accounts, and for viewers
    without the permission to help client callers.
    """
    if not has_permission(viewer, perms.HELP_CLIENT_CALLERS):
        return None
    wanted_email = email.strip()
    wanted_org = _fold(organization)
    if not wanted_email or not wanted_org:
        return None
    users = User.objects.filter(
        is_active=True, role__in=_CALLER_USER_ROLES, email__iexact=wanted_email
    )
    if username.strip():
        users = users.filter(username__iexact=domain.normalize_username(username))
    elif first_name.strip() and last_name.strip():
        users = users.filter(
            first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip()
        )
    else:
        return None
    candidates = list(users[:5])
    linked = _live_client_names([user.pk for user in candidates])
    matches = [
        user
        for user in candidates
        if wanted_org in linked.get(user.pk, {_fold(user.organization_claim)})
    ]
    return matches[0] if len(matches) == 1 else None


def _live_client_names(user_ids: list[int]) -> dict[int, set[str]]:
    """Each user's live verified links (the clients' names, folded); users without any are left
    out, so their claimed organization is what counts."""
    names: dict[int, set[str]] = {}
    rows = User.objects.filter(pk__in=user_ids).values_list(
        "pk", "client_links__client__name", "client_links__ended_at"
    )
    for user_id, client_name, ended_at in rows:
        if client_name is not None and ended_at is None:
            names.setdefault(user_id, set()).add(_fold(client_name))
    return names


def find_client_user_for_staff(
    *, viewer: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
) -> User | None:
    """One client or advisor account by public id for the service center, the account team and
    admins (a caller they verified); None for other accounts and other viewers."""
    if not has_permission(viewer, perms.HELP_CLIENT_CALLERS):
        return None
    return User.objects.filter(public_id=public_id, role__in=_CALLER_USER_ROLES).first()
