"""What the staff console shows about a member or an account, built from the apps' selectors."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from rxportal.accounts import selectors as account_selectors
from rxportal.accounts.selectors import SignInStatus
from rxportal.members import selectors as member_selectors
from rxportal.staff.access import is_protected_account

if TYPE_CHECKING:
    from rxportal.accounts.models import User
    from rxportal.members.models import Member


@dataclass(frozen=True)
class MemberCard:
    """A verified caller's member record, as the service center sees it.

    The username and email are masked: the reminder sends the username to the inbox on file.
    """

    member: Member
    card_number: str  # member id and person code, as on the ID card
    has_account: bool
    account_active: bool
    masked_username: str
    masked_email: str
    sign_in: SignInStatus | None


@dataclass(frozen=True)
class AccountCard:
    """An account, as the account team sees it (full username and email: they manage them)."""

    user: User
    member: Member | None
    card_number: str
    sign_in: SignInStatus
    protected: bool  # a staff account: only an admin may change it
    email_verified: bool


def _card_number(member: Member) -> str:
    return f"{member.member_id}-{member.person_code}"


def build_member_card(member: Member, *, now: dt.datetime | None = None) -> MemberCard:
    user: User | None = member.user
    return MemberCard(
        member=member,
        card_number=_card_number(member),
        has_account=user is not None,
        account_active=bool(user is not None and user.is_active),
        masked_username=account_selectors.mask_username(user.username) if user else "",
        masked_email=account_selectors.mask_email(user.email) if user and user.email else "",
        sign_in=(
            account_selectors.get_sign_in_status(username=user.username, now=now) if user else None
        ),
    )


def find_member_card(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    public_id: uuid.UUID,
    now: dt.datetime | None = None,
) -> MemberCard | None:
    member = member_selectors.find_member_for_staff(viewer=viewer, public_id=public_id)
    return build_member_card(member, now=now) if member is not None else None


def find_account_card(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    public_id: uuid.UUID,
    now: dt.datetime | None = None,
) -> AccountCard | None:
    user = account_selectors.find_user_for_staff(viewer=viewer, public_id=public_id)
    if user is None:
        return None
    member = member_selectors.find_member_for_user(user=user)
    return AccountCard(
        user=user,
        member=member,
        card_number=_card_number(member) if member is not None else "",
        sign_in=account_selectors.get_sign_in_status(username=user.username, now=now),
        protected=is_protected_account(user),
        email_verified=account_selectors.is_email_verified(user=user),
    )
