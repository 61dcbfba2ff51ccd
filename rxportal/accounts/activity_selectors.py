"""Reads for My Account: recent sign-in activity, active sessions, remembered devices, factors.

Every selector takes ``viewer=`` and returns only the viewer's own rows, as display-ready
dataclasses. Places are never invented: there is no GeoIP database, so an address is shown
only as its network (IPv4 /24, IPv6 /48) with "approximate place unavailable", or as a private
or local network. Browsers are summarized from the user agent ("Firefox on Windows").
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext, pgettext

from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS_BY_SLUG
from rxportal.accounts.models import ChallengeAnswer, RecognizedDevice, SecurityProfile
from rxportal.accounts.services.devices import ACTION_CHECK_FAILED as NEW_DEVICE_CHECK_FAILED
from rxportal.accounts.services.devices import read_device_cookie
from rxportal.accounts.services.lockout import ACTION_LOCKOUT_STARTED
from rxportal.accounts.services.recovery_codes import count_unused_recovery_codes
from rxportal.accounts.services.sms_factor import (
    ACTION_SECOND_FACTOR_FAILED,
    SmsFactorStatus,
    get_sms_factor_status,
)
from rxportal.accounts.sitekeys import SITEKEY_IMAGES_BY_SLUG
from rxportal.audit import domain as audit_domain
from rxportal.audit.models import AuditEvent, Outcome
from rxportal.audit.services import username_digest
from rxportal.core import clock

ACTIVITY_LIMIT = 20
ACTIVITY_WINDOW = dt.timedelta(days=90)
USER_SUBJECT_TYPE = "accounts.user"

# --- Pure display helpers ----------------------------------------------------------------------

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def compute_device_summary(user_agent: str) -> str:
    """``"Mozilla/5.0 (Windows NT 10.0…) … Firefox/128.0"`` → ``"Firefox on Windows"``."""
    text = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), "")
    system = next((name for marker, name in _SYSTEMS if marker in text), "")
    if browser and system:
        return pgettext("browser on operating system", "%(browser)s on %(system)s") % {
            "browser": browser,
            "system": system,
        }
    if browser or system:
        return browser or system
    return gettext("Unknown browser")


@dataclass(frozen=True)
class NetworkHint:
    """Where a request came from, as far as we honestly know."""

    network: str  # "203.0.113.0/24", "2001:db8:1234::/48"; "" when unknown or private
    private: bool

    @property
    def label(self) -> str:
        if self.private:
            return gettext("A private or local network")
        if not self.network:
            return gettext("Unknown network")
        return gettext("Network %(network)s") % {"network": self.network}

    @property
    def note(self) -> str:
        return "" if self.private or not self.network else gettext("Approximate place unavailable")


# Home, office and VPN ranges (RFC 1918, IPv6 unique local). Not ``ipaddress.is_private``, which
# also covers documentation and other reserved ranges that are not "your own network".
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def compute_network_hint(ip: str | None) -> NetworkHint:
    """The address cut to its network: IPv4 /24, IPv6 /48; private ranges named as such."""
    if not ip:
        return NetworkHint(network="", private=False)
    try:
        address = ipaddress.ip_address(ip.strip().split("%", 1)[0])
    except ValueError:
        return NetworkHint(network="", private=False)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        address.is_loopback
        or address.is_link_local
        or any(address in network for network in _PRIVATE_NETWORKS)
    ):
        return NetworkHint(network="", private=True)
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return NetworkHint(network=str(network), private=False)


# --- Sign-in activity --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInActivity:
    occurred_at: dt.datetime
    succeeded: bool
    description: str
    device: str
    place: NetworkHint


def _describe(action: str) -> str:
    if action == audit_domain.AUTH_LOGIN_SUCCEEDED:
        return gettext("Signed in")
    if action == audit_domain.AUTH_LOGIN_FAILED:
        return gettext("Wrong username or password")
    if action == NEW_DEVICE_CHECK_FAILED:
        return gettext("New-device check not passed")
    if action == ACTION_SECOND_FACTOR_FAILED:
        return gettext("Wrong second-step code")
    if action == ACTION_LOCKOUT_STARTED:
        return gettext("Sign-in paused after repeated failures")
    return action


def list_sign_in_activity(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    now: dt.datetime | None = None,
    limit: int = ACTIVITY_LIMIT,
) -> list[SignInActivity]:
    """The viewer's own recent sign-ins and failed attempts, newest first (last 90 days).

    Successful sign-ins are found by actor; failed passwords by the keyed digest of the
    viewer's username (the only thing a failed attempt stores); failed later steps and locks by
    the viewer's public id as subject.
    """
    if not viewer.is_authenticated:
        return []
    since = (now or clock.now()) - ACTIVITY_WINDOW
    subject = Q(subject_type=USER_SUBJECT_TYPE, subject_id=str(getattr(viewer, "public_id", "")))
    events = (
        AuditEvent.objects.filter(occurred_at__gte=since)
        .filter(
            Q(action=audit_domain.AUTH_LOGIN_SUCCEEDED, actor_id=viewer.pk)
            | Q(
                action=audit_domain.AUTH_LOGIN_FAILED,
                details__username_digest=username_digest(viewer.get_username()),
            )
            | (
                Q(
                    action__in=[
                        NEW_DEVICE_CHECK_FAILED,
                        ACTION_SECOND_FACTOR_FAILED,
                        ACTION_LOCKOUT_STARTED,
                    ]
                )
                & subject
            )
        )
        .order_by("-sequence")
        .only("occurred_at", "action", "outcome", "user_agent", "ip_address")[:limit]
    )
    return [
        SignInActivity(
            occurred_at=event.occurred_at,
            succeeded=event.outcome == Outcome.SUCCESS,
            description=_describe(event.action),
            device=compute_device_summary(event.user_agent),
            place=compute_network_hint(event.ip_address),
        )
        for event in events
    ]


# --- Sessions and devices ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveSession:
    started_at: dt.datetime
    last_seen_at: dt.datetime
    device: str
    place: NetworkHint
    is_current: bool


def list_active_sessions(
    *, viewer: AbstractBaseUser | AnonymousUser, request: HttpRequest
) -> list[ActiveSession]:
    """The viewer's signed-in sessions (ended ones are purged first, as allauth does)."""
    if not viewer.is_authenticated:
        return []
    current_key = request.session.session_key
    sessions = sorted(
        UserSession.objects.purge_and_list(viewer),  # type: ignore[arg-type]
        key=lambda row: row.last_seen_at,
        reverse=True,
    )
    return [
        ActiveSession(
            started_at=row.created_at,
            last_seen_at=row.last_seen_at,
            device=compute_device_summary(row.user_agent),
            place=compute_network_hint(row.ip),
            is_current=row.session_key == current_key,
        )
        for row in sessions
    ]


@dataclass(frozen=True)
class RememberedDevice:
    public_id: uuid.UUID
    device: str
    remembered_at: dt.datetime
    last_used_at: dt.datetime
    place: NetworkHint
    is_this_browser: bool


def list_remembered_devices(
    *, viewer: AbstractBaseUser | AnonymousUser, cookie_value: str | None
) -> list[RememberedDevice]:
    """Browsers that skip the viewer's new-device check (not revoked), most recent first."""
    if not viewer.is_authenticated:
        return []
    own_entries = {
        device_id
        for user_id, device_id in read_device_cookie(cookie_value)
        if user_id == str(getattr(viewer, "public_id", ""))
    }
    rows = RecognizedDevice.objects.filter(user_id=viewer.pk, revoked_at__isnull=True).order_by(
        "-last_seen_at"
    )
    return [
        RememberedDevice(
            public_id=row.public_id,
            device=compute_device_summary(row.label),
            remembered_at=row.created_at,
            last_used_at=row.last_seen_at,
            place=compute_network_hint(row.ip_address),
            is_this_browser=str(row.public_id) in own_entries,
        )
        for row in rows
    ]


# --- Security overview -------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityOverview:
    sitekey_image_path: str  # static path, "" when none chosen
    sitekey_image_alt: str
    sitekey_phrase: str
    challenge_questions: list[str]
    has_totp: bool
    passkey_count: int
    sms: SmsFactorStatus
    recovery_codes_left: int

    @property
    def has_second_factor(self) -> bool:
        return self.has_totp or self.passkey_count > 0 or self.sms.verified


def get_security_overview(*, viewer: AbstractBaseUser) -> SecurityOverview:
    """The viewer's SiteKey, questions (text only), factors and recovery codes left."""
    profile = SecurityProfile.objects.filter(user_id=viewer.pk).first()
    image = SITEKEY_IMAGES_BY_SLUG.get(profile.sitekey_image) if profile else None
    types = list(Authenticator.objects.filter(user_id=viewer.pk).values_list("type", flat=True))
    slugs = ChallengeAnswer.objects.filter(user_id=viewer.pk).values_list("question", flat=True)
    return SecurityOverview(
        sitekey_image_path=image.static_path if image else "",
        sitekey_image_alt=str(image.alt_text) if image else "",
        sitekey_phrase=profile.sitekey_phrase if profile and image else "",
        challenge_questions=[
            str(CHALLENGE_QUESTIONS_BY_SLUG[slug].text)
            for slug in sorted(slugs)
            if slug in CHALLENGE_QUESTIONS_BY_SLUG
        ],
        has_totp=Authenticator.Type.TOTP in types,
        passkey_count=types.count(Authenticator.Type.WEBAUTHN),
        sms=get_sms_factor_status(user=viewer),
        recovery_codes_left=count_unused_recovery_codes(user=viewer),  # type: ignore[arg-type]
    )
