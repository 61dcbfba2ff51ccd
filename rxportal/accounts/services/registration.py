"""Self-registration: who may open an account, and what is saved when they do.

Members (and adult dependents, for themselves) first prove who they are: member id, first and
last name, date of birth and ZIP must match exactly one eligibility record
(``members.services.match_member_for_registration``). Clients and advisors give their name,
organization and role. Either way only a small note is kept in the session
(``REGISTRATION_SESSION_KEY``): for members the matched record's public id and a timestamp, never
the details typed. allauth's signup page (our ``RegistrationSignupForm``) then takes the email,
username, password, SiteKey and challenge answers, and allauth confirms the email with a code.

Never telling whether a member or an email is already registered:

* Step 1 answers a matched record the same way whether or not it has an account; a failed match
  never says which field was wrong, and failures are rate limited (``rx_eligibility``).
* At the final step, an email that already has an account, or a record that already has one,
  leads to allauth's enumeration-safe path: the same "check your email" code page, but no account
  is created, and the owner is told by email instead (``send_existing_account_notices``). The
  typed address gets a code only when an account was really created. Someone who already holds
  a member's card details *and* types an inbox of their own can tell the two apart by the code
  that never comes; the owner's notice is what answers that case.
* A username that belongs to another account takes the same path: the page never says so; the
  typed address is told by email that no account was created and how to start again. So only
  someone who reads that inbox learns that the name exists, one email round trip per name.
* Nor by time: the final step costs the same either way. The password and challenge answers are
  hashed on every path (``hash_account_secrets``), and a taken record, email or username
  rehearses the new account's writes for a throwaway name and address, then rolls them back
  (``stand_in_identity``): row for row the writes a new account makes, its role group and
  member link included (on PostgreSQL each statement costs a round trip). Both paths send
  their email inline, after any transaction.
* A registration abandoned before its email was confirmed (user row created, never signed in,
  no verified address) must not block the record or address for ever: it is retired
  (deactivated and renamed, kept for the audit trail) when the same browser tries again, or
  when anyone registers the same record, email or username after the code has expired.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from rxportal.accounts.crypto import keyed_digest
from rxportal.accounts.domain import normalize_username
from rxportal.accounts.models import Role, User
from rxportal.accounts.services.challenges import (
    HashedChallengeAnswers,
    hash_challenge_answers,
    save_challenge_answers,
)
from rxportal.accounts.services.lockout import clear_throttle_for
from rxportal.accounts.services.sitekey import set_sitekey
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.core.errors import DomainError
from rxportal.members import services as member_services
from rxportal.members.selectors import get_support_contacts, normalize_member_id

logger = logging.getLogger(__name__)

REGISTRATION_SESSION_KEY = "rx_registration"
# Public ids of accounts this browser created and has not confirmed yet (it may start over).
PENDING_SESSION_KEY = "rx_registration_pending"
REGISTRATION_TIMEOUT = dt.timedelta(minutes=30)
AGE_OF_MAJORITY = 18

ELIGIBILITY_RATE_ACTION = "rx_eligibility"
ELIGIBILITY_RATE_KEY_PURPOSE = "registration-member-id"

KIND_MEMBER = "member"
KIND_BUSINESS = "business"
BUSINESS_ROLES = (Role.CLIENT, Role.ADVISOR)

ACTION_REGISTERED = "account.registered"
ACTION_NO_MATCH = "account.registration.no_match"
ACTION_EXISTING_NOTIFIED = "account.registration.existing_account_notified"
ACTION_ABANDONED_RETIRED = "account.registration.abandoned_retired"
ACTION_USERNAME_UNAVAILABLE = "account.registration.username_unavailable"

MEMBER_TAKEN_MAIL = "account/email/rx_member_already_registered"
EMAIL_TAKEN_MAIL = "account/email/account_already_exists"
USERNAME_TAKEN_MAIL = "account/email/rx_username_unavailable"


class MemberAlreadyRegistered(DomainError):
    """The record got an account between the form check and the save (a race)."""

    code = "registration.member_taken"


@dataclass(frozen=True)
class Registration:
    """What step 1 left in the session: which record, or the business details; and when."""

    kind: str
    started_at: float
    member_public_id: str = ""
    first_name: str = ""
    last_name: str = ""
    organization_claim: str = ""
    role: str = ""

    @property
    def is_member(self) -> bool:
        return self.kind == KIND_MEMBER


@dataclass(frozen=True)
class AccountProfile:
    """Who the new account belongs to: set on the user by the account adapter's save_user."""

    role: str
    first_name: str
    last_name: str
    organization_claim: str = ""


# --- Step 1 -------------------------------------------------------------------------------------


def is_adult(date_of_birth: dt.date, *, today: dt.date) -> bool:
    """18 or older on ``today`` (someone born on 29 February turns 18 on 28 February)."""
    year = today.year - AGE_OF_MAJORITY
    try:
        latest = today.replace(year=year)
    except ValueError:
        latest = today.replace(year=year, day=28)
    return date_of_birth <= latest


def eligibility_rate_key(member_id: str) -> str:
    """The rate-limit key for tries on one member id: a keyed digest, never the id itself."""
    return keyed_digest(ELIGIBILITY_RATE_KEY_PURPOSE, normalize_member_id(member_id))


def verify_eligibility(
    *,
    request: HttpRequest,
    member_id: str,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    zip_code: str,
    now: dt.datetime,
) -> bool:
    """Match one eligibility record and remember it for the next step; False when none does.

    A record that already has an account is remembered exactly like a free one: the final step
    tells them apart, out of sight (see the module docstring).
    """
    member = member_services.match_member_for_registration(
        member_id=member_id,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        zip_code=zip_code,
    )
    if member is None:
        record_event(action=ACTION_NO_MATCH, outcome=Outcome.FAILURE, request=request)
        return False
    request.session[REGISTRATION_SESSION_KEY] = {
        "kind": KIND_MEMBER,
        "member": str(member.public_id),
        "at": now.timestamp(),
    }
    return True


def start_business_registration(
    *,
    request: HttpRequest,
    first_name: str,
    last_name: str,
    organization_claim: str,
    role: str,
    now: dt.datetime,
) -> None:
    """Remember a client's or advisor's work details (no PHI) for the next step."""
    if role not in BUSINESS_ROLES:
        raise ValueError(f"not a client or advisor role: {role!r}")
    request.session[REGISTRATION_SESSION_KEY] = {
        "kind": KIND_BUSINESS,
        "first_name": first_name,
        "last_name": last_name,
        "organization_claim": organization_claim,
        "role": str(role),
        "at": now.timestamp(),
    }


def get_registration(request: HttpRequest, *, now: dt.datetime) -> Registration | None:
    """The registration started in this session, or None (none, malformed or expired)."""
    session = getattr(request, "session", None)
    data = session.get(REGISTRATION_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict):
        return None
    at = data.get("at")
    if not isinstance(at, float) or now.timestamp() - at > REGISTRATION_TIMEOUT.total_seconds():
        return None
    kind = data.get("kind")
    if kind == KIND_MEMBER and isinstance(data.get("member"), str):
        return Registration(kind=kind, started_at=at, member_public_id=data["member"])
    if kind == KIND_BUSINESS and data.get("role") in BUSINESS_ROLES:
        fields = ("first_name", "last_name", "organization_claim")
        if all(isinstance(data.get(name), str) for name in fields):
            return Registration(
                kind=kind,
                started_at=at,
                first_name=data["first_name"],
                last_name=data["last_name"],
                organization_claim=data["organization_claim"],
                role=data["role"],
            )
    return None


def end_registration(request: HttpRequest) -> None:
    request.session.pop(REGISTRATION_SESSION_KEY, None)


def note_username_unavailable(request: HttpRequest) -> None:
    """The chosen username belongs to another account: the notices tell the typed address."""
    data = request.session.get(REGISTRATION_SESSION_KEY)
    if isinstance(data, dict):
        request.session[REGISTRATION_SESSION_KEY] = {**data, "username_unavailable": True}


def _is_username_unavailable(request: HttpRequest) -> bool:
    data = request.session.get(REGISTRATION_SESSION_KEY)
    return isinstance(data, dict) and data.get("username_unavailable") is True


def account_profile_for(registration: Registration) -> AccountProfile | None:
    """Role and names for the new account; None if the member record has gone."""
    if not registration.is_member:
        return AccountProfile(
            role=registration.role,
            first_name=registration.first_name,
            last_name=registration.last_name,
            organization_claim=registration.organization_claim,
        )
    member = member_services.find_member_by_public_id(registration.member_public_id)
    if member is None:
        return None
    return AccountProfile(
        role=Role.MEMBER, first_name=member.first_name, last_name=member.last_name
    )


# --- Who already holds the record, the email or the username ----------------------------------


def is_abandoned_registration(user: Any, *, request: HttpRequest, now: dt.datetime) -> bool:
    """A self-registered account whose email was never confirmed and that never signed in, and
    that this browser created or whose code has long expired."""
    if not isinstance(user, User) or not user.is_active or user.last_login is not None:
        return False
    verified = list(EmailAddress.objects.filter(user=user).values_list("verified", flat=True))
    if not verified or any(verified):
        return False
    if str(user.public_id) in request.session.get(PENDING_SESSION_KEY, []):
        return True
    code_lifetime = dt.timedelta(seconds=allauth_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT)
    return user.date_joined <= now - code_lifetime


def member_holder(registration: Registration) -> User | bool | None:
    """The account linked to the registration's record: a User, None (free), or False (the
    record has gone, which is treated like a taken record)."""
    member = member_services.find_member_by_public_id(registration.member_public_id)
    if member is None:
        return False
    return member.user  # type: ignore[return-value]


def email_holders(email: str) -> list[User]:
    return [user for user in filter_users_by_email(email) if isinstance(user, User)]


def username_holders(username: str) -> list[User]:
    return list(User.objects.filter(username__iexact=normalize_username(username)))


def retire_abandoned_registration(*, user: User, request: HttpRequest, now: dt.datetime) -> bool:
    """Deactivate a never-confirmed account and free its record, email and username.

    Kept, not deleted: audit entries point at it. Re-checked under a row lock.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or not is_abandoned_registration(locked, request=request, now=now):
            return False
        member_services.release_members_of_user(user=locked)
        EmailAddress.objects.filter(user=locked).delete()
        locked.username = f"retired-{locked.public_id.hex}"
        locked.email = ""
        locked.is_active = False
        locked.set_unusable_password()
        locked.save()
        record_event(
            action=ACTION_ABANDONED_RETIRED,
            outcome=Outcome.SUCCESS,
            request=request,
            subject=locked,
        )
    return True


# --- The final step ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSecrets:
    """The new account's password and challenge answers, hashed."""

    password_hash: str
    challenge_answers: HashedChallengeAnswers


def stand_in_identity() -> tuple[str, str]:
    """A throwaway username and email address for the taken path's rolled-back rehearsal of
    the account's writes (``RegistrationSignupForm._rehearse_account_creation``)."""
    token = secrets.token_hex(16)
    return f"rehearsal-{token}", f"rehearsal-{token}@example.invalid"


def hash_account_secrets(*, password: str, answers: Mapping[str, str]) -> AccountSecrets:
    """The slow part of the final step: four Argon2id hashes (the password, three answers).

    Done on every path, before the taken/free decision is acted on: a new account stores the
    hashes, a taken record, email or username throws them away. Otherwise the taken path would
    answer four hashes sooner (about 30 ms instead of 200 ms), which tells anyone with a
    stopwatch which records, emails and usernames have accounts. The taken path also rehearses
    the account's writes and rolls them back (``stand_in_identity``). Run outside any
    transaction, so no lock is held while hashing.
    """
    return AccountSecrets(
        password_hash=make_password(password),
        challenge_answers=hash_challenge_answers(answers),
    )


def complete_registration(
    *,
    user: User,
    registration: Registration,
    sitekey_image: str,
    sitekey_phrase: str,
    answers: HashedChallengeAnswers,
    request: HttpRequest,
    rehearsal: bool = False,
) -> None:
    """Everything after the user row exists but the member link: SiteKey, challenge answers, a
    clean lock-out slate for the new username, and the audit entry. Runs inside the signup
    transaction, which ``link_member_record`` ends (see there).

    The taken path's rolled-back ``rehearsal`` writes no ``account.registered`` entry: the
    notice's entry it writes for real afterwards (``send_existing_account_notices``) takes its
    place, so both paths write as many audit entries.
    """
    set_sitekey(user=user, image_slug=sitekey_image, phrase=sitekey_phrase, actor=user)
    save_challenge_answers(user=user, hashed=answers, actor=user)
    # Failed sign-ins on this name before it existed must never block its new owner.
    clear_throttle_for(username=user.get_username(), actor=user, request=request, reason="signup")
    if rehearsal:
        return
    record_event(
        action=ACTION_REGISTERED,
        outcome=Outcome.SUCCESS,
        actor=user,
        subject=user,
        request=request,
        details={"kind": registration.kind, "role": str(user.role)},
    )


def link_member_record(*, user: User, registration: Registration, rehearsal: bool = False) -> None:
    """The new account's last write (members only): link the eligibility record.

    ``MemberAlreadyRegistered`` when the record got an account meanwhile or has gone; it rolls
    back the whole signup transaction. In the taken path's ``rehearsal``, which rolls back
    anyway, a taken record is linked to the stand-in all the same (``stand_in_identity``), so
    that a taken record's rehearsal writes what a free record's does.
    """
    if not registration.is_member:
        return
    member = member_services.claim_member_for_user(
        member_public_id=registration.member_public_id, user=user, even_if_taken=rehearsal
    )
    if member is None:
        raise MemberAlreadyRegistered("This member record already has an account.")


def note_pending_registration(request: HttpRequest, user: User) -> None:
    """This browser created ``user`` and may start over before confirming its email."""
    pending = [*request.session.get(PENDING_SESSION_KEY, [])][-4:]
    request.session[PENDING_SESSION_KEY] = [*pending, str(user.public_id)]


def send_existing_account_notices(*, request: HttpRequest, email: str, now: dt.datetime) -> None:
    """Instead of a second account: tell the owners, never the person registering.

    Called from the account adapter when allauth's enumeration-safe signup path would send its
    "account already exists" mail. The owner of the member record (when the record is taken) is
    told at the address on their account; the owner of the typed email, at that address. Each
    account is told once.
    """
    registration = get_registration(request, now=now)
    adapter = get_adapter()
    notified: set[int] = set()
    context = {
        "login_url": request.build_absolute_uri(reverse("account_login")),
        "password_reset_url": request.build_absolute_uri(reverse("account_reset_password")),
        "forgot_username_url": _forgot_username_url(request),
        "member_phone": settings.RXPORTAL_SUPPORT["member_phone"],
    }
    if registration is not None and registration.is_member:
        owner = member_holder(registration)
        if isinstance(owner, User) and owner.email:
            # The owner is a member: the number on their ID card (rxportal.core.contact).
            owner_phone = get_support_contacts(viewer=owner).member_phone
            owner_context = {**context, "owner": owner, "member_phone": owner_phone}
            adapter.send_mail(MEMBER_TAKEN_MAIL, owner.email, owner_context)
            notified.add(owner.pk)
            _record_notice(owner, reason="member", request=request)
    # Holders of the address, and an account whose username is the address itself.
    holders = {user.pk: user for user in [*email_holders(email), *username_holders(email)]}
    others = [user for pk, user in holders.items() if pk not in notified]
    if others:
        adapter.send_mail(EMAIL_TAKEN_MAIL, email, context)
        _record_notice(others[0], reason="email", request=request)
    elif not notified and _is_username_unavailable(request):
        # Only the username stood in the way: the person at this address may try again.
        register_url = request.build_absolute_uri(reverse("rx_register"))
        adapter.send_mail(USERNAME_TAKEN_MAIL, email, {**context, "register_url": register_url})
        record_event(
            action=ACTION_USERNAME_UNAVAILABLE,
            outcome=Outcome.FAILURE,
            request=request,
            details={"kind": registration.kind if registration else ""},
        )


def _forgot_username_url(request: HttpRequest) -> str:
    try:
        return request.build_absolute_uri(reverse("rx_forgot_username"))
    except NoReverseMatch:  # the recovery pages are not installed in every configuration
        return ""


def _record_notice(owner: User, *, reason: str, request: HttpRequest) -> None:
    record_event(
        action=ACTION_EXISTING_NOTIFIED,
        outcome=Outcome.SUCCESS,
        subject=owner,
        request=request,
        details={"reason": reason},
    )
