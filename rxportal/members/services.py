"""Member use cases that write."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from typing import Any

from django.db import transaction

from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.members.selectors import normalize_member_id, normalize_zip5


def link_member_user(*, member: Member, user: Any, actor: Any = None) -> Member:
    """Give `user` sign-in access to `member` (one member per user: any older link is moved)."""
    with transaction.atomic():
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


def claim_member_for_user(*, member_public_id: str | uuid.UUID, user: Any) -> Member | None:
    """Link a newly registered ``user`` to the member, under a row lock; None when the member is
    gone or already has an account (one account per eligibility record)."""
    with transaction.atomic():
        member = (
            Member.objects.select_for_update()
            .filter(public_id=uuid.UUID(str(member_public_id)))
            .first()
        )
        if member is None or member.user_id is not None:
            return None
        return link_member_user(member=member, user=user)


def release_members_of_user(*, user: Any) -> int:
    """Unlink every member from ``user`` (an abandoned, never-confirmed registration)."""
    return Member.objects.filter(user=user).update(user=None, updated_at=clock.now())
