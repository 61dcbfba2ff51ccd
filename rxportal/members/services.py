"""Member use cases that write."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from functools import partial
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.connected_apps.services import end_app_access_to_patient
from rxportal.core import clock
from rxportal.core.record_versions import bump_family_access
from rxportal.members import domain
from rxportal.members.errors import (
    FamilyAccessAlreadyGranted,
    FamilyAccessError,
    FamilyAccessGrantorIsMinor,
    FamilyAccessNotAllowed,
    FamilyAccessNotGranted,
    FamilyAccessNotInFamily,
)
from rxportal.members.models import FamilyAccessGrant, Member
from rxportal.members.selectors import normalize_member_id, normalize_zip5
from rxportal.notifications.selectors import forget_unread_count

ACTION_FAMILY_ACCESS_GRANTED = "family_access.granted"
ACTION_FAMILY_ACCESS_REVOKED = "family_access.revoked"


def link_member_user(*, member: Member, user: Any, actor: Any = None) -> Member:
    """Give `user` sign-in access to `member` (one member per user: any older link is moved)."""
    with transaction.atomic():
        # Whatever this account saw before (its cached dashboard too) is no longer its to see.
        bump_family_access([user.pk])
        Member.objects.filter(user=user).exclude(pk=member.pk).update(user=None)
        member.user = user
        member.save(update_fields=["user", "updated_at"])
    return member


# --- Self-registration: proving who you are against eligibility ------------------------------


def _fold_name(raw: str) -> str:
    """``" O'Brien-Núñez "`` → ``"obriennunez"``: NFKD without accents, case-folded, only letters
    and digits kept (eligibility files drop accents and punctuation; people type them)."""
    decomposed = unicodedata.normalize("NFKD", raw)
    return "".join(char for char in decomposed if char.isalnum()).casefold()


def match_member_for_registration(
    *,
    member_id: str,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    zip_code: str,
) -> Member | None:
    """The one member whose member id, names, date of birth and ZIP all match, else None.

    Used by self-registration, where the match itself is the proof of identity (the caller is
    anonymous, so there is no ``viewer=``). Case, spacing, punctuation and accents are ignored;
    the member id may carry the person code (``RXP00000001-02``); the ZIP is compared on five
    digits. None also when more than one record matches: the caller never learns which field
    failed, or whether any record came close. Candidates are narrowed by date of birth in the
    database, so the work is the same whatever else was typed.
    """
    wanted_id = normalize_member_id(member_id)
    wanted_zip = normalize_zip5(zip_code)
    wanted_first, wanted_last = _fold_name(first_name), _fold_name(last_name)
    candidates = list(
        Member.objects.select_related("user").filter(date_of_birth=date_of_birth).order_by("pk")
    )
    if not (wanted_id and wanted_zip and wanted_first and wanted_last):
        return None
    matches = [
        member
        for member in candidates
        if normalize_zip5(member.zip_code) == wanted_zip
        and _fold_name(member.first_name) == wanted_first
        and _fold_name(member.last_name) == wanted_last
        and wanted_id
        in {
            normalize_member_id(member.member_id),
            normalize_member_id(member.member_id + member.person_code),
        }
    ]
    return matches[0] if len(matches) == 1 else None


def find_member_by_public_id(public_id: str | uuid.UUID) -> Member | None:
    """The member with this public id (with its account), or None; for registration only, which
    keeps nothing but the public id of the record it matched."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Member.objects.select_related("user").filter(public_id=wanted).first()


def claim_member_for_user(
    *, member_public_id: str | uuid.UUID, user: Any, even_if_taken: bool = False
) -> Member | None:
    """Link a newly registered ``user`` to the member, under a row lock; None when the member is
    gone or already has an account (one account per eligibility record).

    ``even_if_taken`` moves the link anyway: only for registration's rolled-back rehearsal,
    which must write what a real claim writes (``accounts.services.registration``).
    """
    with transaction.atomic():
        member = (
            Member.objects.select_for_update()
            .filter(public_id=uuid.UUID(str(member_public_id)))
            .first()
        )
        if member is None or (member.user_id is not None and not even_if_taken):
            return None
        return link_member_user(member=member, user=user)


def release_members_of_user(*, user: Any) -> int:
    """Unlink every member from ``user`` (an abandoned, never-confirmed registration)."""
    # One transaction, so the commit-time bump comes after the UPDATE a cached page would miss.
    with transaction.atomic():
        bump_family_access([user.pk])
        return Member.objects.filter(user=user).update(user=None, updated_at=clock.now())


# --- Family access: an adult dependent's consent to their subscriber -------------------------


def grant_family_access(
    *,
    grantor: Member,
    grantee: Member,
    actor: AbstractBaseUser | AnonymousUser,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> FamilyAccessGrant:
    """The adult dependent `grantor` lets their subscriber `grantee` see their records.

    Only the grantor's own signed-in account may do this, the grantee must be the subscriber on
    the grantor's card, and the grantor must be 18 or older (minors need no consent). Audited
    (``family_access.granted``; refusals with their error code). A second active grant for the
    pair is refused, also when two requests race (the partial unique index decides).
    """
    now = now or clock.now()
    details = _grant_details(grantor=grantor, grantee=grantee)
    try:
        _check_grantor(grantor=grantor, grantee=grantee, actor=actor)
        if not domain.is_adult(date_of_birth=grantor.date_of_birth, today=timezone.localdate(now)):
            raise FamilyAccessGrantorIsMinor(
                _(
                    "Members under 18 do not need to give consent: the subscriber on their card "
                    "already sees their records."
                )
            )
        try:
            with transaction.atomic():
                if FamilyAccessGrant.objects.filter(
                    grantor=grantor, grantee=grantee, revoked_at__isnull=True
                ).exists():
                    raise FamilyAccessAlreadyGranted(_("You have already given access."))
                grant = FamilyAccessGrant.objects.create(grantor=grantor, grantee=grantee)
                record_event(
                    action=ACTION_FAMILY_ACCESS_GRANTED,
                    outcome=Outcome.SUCCESS,
                    actor=actor,
                    request=request,
                    subject=grant,
                    details=details,
                )
        except IntegrityError as error:  # a concurrent request granted first
            raise FamilyAccessAlreadyGranted(_("You have already given access.")) from error
    except FamilyAccessError as error:
        _record_refusal(
            action=ACTION_FAMILY_ACCESS_GRANTED,
            error=error,
            actor=actor,
            request=request,
            details=details,
        )
        raise
    return grant


def revoke_family_access(
    *,
    grantor: Member,
    grantee: Member,
    actor: AbstractBaseUser | AnonymousUser,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> FamilyAccessGrant:
    """End the grantor's active grant to the grantee (from `now` on). Same checks as granting,
    except age; audited (``family_access.revoked``). No active grant: ``family_access.not_granted``.
    """
    now = now or clock.now()
    details = _grant_details(grantor=grantor, grantee=grantee)
    try:
        _check_grantor(grantor=grantor, grantee=grantee, actor=actor)
        with transaction.atomic():
            grant = (
                FamilyAccessGrant.objects.select_for_update()
                .filter(grantor=grantor, grantee=grantee, revoked_at__isnull=True)
                .first()
            )
            if grant is None:
                raise FamilyAccessNotGranted(_("There is no access to remove."))
            grant.revoked_at = now
            grant.save(update_fields=["revoked_at", "updated_at"])
            # The grantee's unread count no longer counts the grantor's messages: now, and
            # again once the revocation is visible to others.
            if grantee.user is not None:
                # Apps the grantee connected to the grantor's records lose them too.
                end_app_access_to_patient(user=grantee.user, patient=grantor)
                forget_unread_count(grantee.user)
                transaction.on_commit(partial(forget_unread_count, grantee.user))
            record_event(
                action=ACTION_FAMILY_ACCESS_REVOKED,
                outcome=Outcome.SUCCESS,
                actor=actor,
                request=request,
                subject=grant,
                details=details,
            )
    except FamilyAccessError as error:
        _record_refusal(
            action=ACTION_FAMILY_ACCESS_REVOKED,
            error=error,
            actor=actor,
            request=request,
            details=details,
        )
        raise
    return grant


def _check_grantor(
    *, grantor: Member, grantee: Member, actor: AbstractBaseUser | AnonymousUser
) -> None:
    if not actor.is_authenticated or grantor.user_id is None or grantor.user_id != actor.pk:
        raise FamilyAccessNotAllowed(
            _(
                "Only the family member themself, signed in to their own account, can change "
                "who sees their records."
            )
        )
    if grantor.subscriber_id is None or grantor.subscriber_id != grantee.pk:
        raise FamilyAccessNotInFamily(
            _("Access can only be given to the subscriber on your own member ID card.")
        )


def _grant_details(*, grantor: Member, grantee: Member) -> dict[str, Any]:
    return {"grantor": str(grantor.public_id), "grantee": str(grantee.public_id)}


def _record_refusal(
    *,
    action: str,
    error: FamilyAccessError,
    actor: AbstractBaseUser | AnonymousUser,
    request: HttpRequest | None,
    details: dict[str, Any],
) -> None:
    record_event(
        action=action,
        outcome=Outcome.DENIED if isinstance(error, FamilyAccessNotAllowed) else Outcome.FAILURE,
        actor=actor,
        request=request,
        subject_type="members.member",
        subject_id=details["grantor"],
        details={**details, "error_code": error.code},
    )
