"""Reads of member records, scoped to the signed-in viewer.

Row-level access to family members is decided here and only here.
"""

from __future__ import annotations

import datetime as dt

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
