"""Reads of member records, scoped to the signed-in viewer.

Row-level access to family members is decided here and only here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.core import clock
from rxportal.members.models import Member

AGE_OF_MAJORITY = 18


def find_member_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The member record linked to this account, with its plan, or None (client, advisor, staff)."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("plan", "client").filter(user_id=user.pk).first()


def list_family_members_visible_to(
    *, viewer: AbstractBaseUser | AnonymousUser, today: dt.date | None = None
) -> list[Member]:
    """The viewer's own member record first, then the family members whose data they may see.

    For now that is the viewer plus, when the viewer is the subscriber, their dependents who
    are minors (under 18 on `today`). Adult dependents (a spouse, a child of 18 or more) must
    consent before the subscriber can see their claims; that consent arrives with the consent
    work and will widen this query. A spouse signing in sees only their own records until then.
    """
    member = find_member_for_user(user=viewer)
    if member is None:
        return []
    if member.subscriber_id is not None:
        return [member]
    # TODO(consent): include adult dependents who have granted the subscriber access.
    minors = member.dependents.filter(
        date_of_birth__gt=_latest_birth_date_of_an_adult(today or clock.today())
    ).order_by("person_code")
    return [member, *minors]


def _latest_birth_date_of_an_adult(today: dt.date) -> dt.date:
    """Someone born on or before this date is 18 or older on `today` (29 February -> 28th)."""
    year = today.year - AGE_OF_MAJORITY
    try:
        return today.replace(year=year)
    except ValueError:  # today is 29 February and that year has no such day
        return today.replace(year=year, day=28)


# --- The staff console: verifying a caller by member id, date of birth and ZIP ---------------

MEMBER_ID_INPUT_MAX_LENGTH = 40
_NOT_ALNUM_RE = re.compile(r"[^0-9A-Z]")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")


def normalize_member_id(raw: str) -> str:
    """``" rxp-0000 0001 "`` → ``"RXP00000001"``: NFKC, upper case, only ASCII letters and digits
    kept (spacing and punctuation as read over the phone or printed on cards are ignored)."""
    return _NOT_ALNUM_RE.sub("", unicodedata.normalize("NFKC", raw).upper())


def normalize_zip5(raw: str) -> str | None:
    """The 5-digit ZIP of ``"06103"``, ``"06103-1234"`` or ``"061031234"``; None otherwise."""
    digits = _NOT_DIGIT_RE.sub("", unicodedata.normalize("NFKC", raw))
    return digits[:5] if len(digits) in (5, 9) else None


def _is_pbm_staff(viewer: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(
        viewer.is_authenticated and viewer.is_active and getattr(viewer, "is_pbm_staff", False)
    )


def list_members_by_identity(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    member_id: str,
    date_of_birth: dt.date,
    zip_code: str,
) -> list[Member]:
    """Members matching a caller's member id, date of birth and ZIP, for PBM staff only.

    The member id may be typed with any spacing, case or punctuation, and with the person code
    on the end (``RXP00000001-01``); the ZIP is compared on its first five digits (ZIP+4 fine).
    Usually one member; more only for twins on one card or the same card number at two clients.
    Empty for anyone who is not PBM staff. Candidates are narrowed by date of birth in the
    database, then compared in Python, so stored ids and ZIPs need not be normalized.
    """
    if not _is_pbm_staff(viewer):
        return []
    wanted_id = normalize_member_id(member_id)
    wanted_zip = normalize_zip5(zip_code)
    if not wanted_id or wanted_zip is None:
        return []
    candidates = (
        Member.objects.select_related("user", "client", "plan")
        .filter(date_of_birth=date_of_birth)
        .order_by("client_id", "member_id", "person_code")
    )
    return [
        member
        for member in candidates
        if normalize_zip5(member.zip_code) == wanted_zip
        and wanted_id
        in {
            normalize_member_id(member.member_id),
            normalize_member_id(member.member_id + member.person_code),
        }
    ]


def find_member_for_staff(
    *, viewer: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
) -> Member | None:
    """One member by public id for PBM staff (with account, client and plan), or None."""
    if not _is_pbm_staff(viewer):
        return None
    return (
        Member.objects.select_related("user", "client", "plan").filter(public_id=public_id).first()
    )
