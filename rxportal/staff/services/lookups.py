"""Audited reads of the staff console: caller lookup, account search, opening a record.

Writes to accounts (username, email, unlock, reminder) are in the modules beside this one;
this module records that a staff member looked something
up or opened it, and refusals of the console's pages. Audit details carry counts and view names
only, never what was typed (member ids, dates of birth, ZIPs, names and addresses are PHI).
A page that lists records (a lookup matching several members, an account search) also records
each record it lists, by public id, one ``*.listed`` event each: the trail then answers "who
was shown this member or account" by subject.

Looking up, listing or opening a member is a read of member PHI: those events are
``phi.staff.member.*`` and pass the records door (``records.reads.record_phi_read``, web edge)
like every member page; the account searches are not member records and stay ``staff.user.*``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Model
from django.http import HttpRequest

from rxportal.accounts import selectors as account_selectors
from rxportal.audit.services import Outcome, record_event
from rxportal.members import selectors as member_selectors
from rxportal.records.reads import Edge, Reader, record_phi_read
from rxportal.staff.access import Actor
from rxportal.staff.selectors import AccountCard, MemberCard, find_account_card, find_member_card

if TYPE_CHECKING:
    from rxportal.accounts.models import User
    from rxportal.members.models import Member

ACTION_ACCESS_DENIED = "staff.access.denied"
ACTION_MEMBER_LOOKUP = "phi.staff.member.lookup"
ACTION_MEMBER_LISTED = "phi.staff.member.listed"
ACTION_MEMBER_VIEWED = "phi.staff.member.viewed"
ACTION_USER_LISTED = "staff.user.listed"
ACTION_USER_SEARCHED = "staff.user.searched"
ACTION_USER_VIEWED = "staff.user.viewed"


def record_access_denied(*, actor: Actor, request: HttpRequest, view_name: str) -> None:
    """A signed-in user opened a console page their role does not allow."""
    record_event(
        action=ACTION_ACCESS_DENIED,
        outcome=Outcome.DENIED,
        actor=actor,
        request=request,
        details={"view": view_name[:200]},
    )


def look_up_members(
    *,
    actor: Actor,
    member_id: str,
    date_of_birth: dt.date,
    zip_code: str,
    request: HttpRequest | None = None,
) -> list[Member]:
    """Verify a caller: the members matching all three details (audited, match or not)."""
    members = member_selectors.list_members_by_identity(
        viewer=actor, member_id=member_id, date_of_birth=date_of_birth, zip_code=zip_code
    )
    record_phi_read(
        staff_reader(actor, request),
        action=ACTION_MEMBER_LOOKUP,
        outcome=Outcome.SUCCESS if members else Outcome.FAILURE,
        subject=members[0] if len(members) == 1 else None,
        details={"matches": len(members)},
    )
    if len(members) > 1:  # one match goes straight to its page, recorded as its subject above
        for member in members:
            record_phi_read(
                staff_reader(actor, request), action=ACTION_MEMBER_LISTED, subject=member
            )
    return members


def open_member_card(
    *, actor: Actor, public_id: uuid.UUID, request: HttpRequest | None = None
) -> MemberCard | None:
    """A verified caller's record for the service center (audited as a view of member data)."""
    card = find_member_card(viewer=actor, public_id=public_id)
    if card is not None:
        record_member_card_viewed(actor=actor, card=card, request=request)
    return card


def record_member_card_viewed(
    *, actor: Actor, card: MemberCard, request: HttpRequest | None = None
) -> None:
    """The member page was shown (also when it is shown again after a refused action)."""
    record_phi_read(staff_reader(actor, request), action=ACTION_MEMBER_VIEWED, subject=card.member)


def search_users(*, actor: Actor, query: str, request: HttpRequest | None = None) -> list[User]:
    """Accounts by username or email prefix (audited with the number of results, not the query)."""
    users = account_selectors.list_users_for_staff(viewer=actor, query=query)
    record_event(
        action=ACTION_USER_SEARCHED,
        outcome=Outcome.SUCCESS,
        actor=actor,
        request=request,
        details={"results": len(users)},
    )
    _record_users_listed(actor=actor, request=request, users=users)
    return users


def open_account_card(
    *, actor: Actor, public_id: uuid.UUID, request: HttpRequest | None = None
) -> AccountCard | None:
    card = find_account_card(viewer=actor, public_id=public_id)
    if card is not None:
        record_account_card_viewed(actor=actor, card=card, request=request)
    return card


def record_account_card_viewed(
    *, actor: Actor, card: AccountCard, request: HttpRequest | None = None
) -> None:
    """The account page was shown (also when it is shown again after a refused action)."""
    record_event(
        action=ACTION_USER_VIEWED,
        outcome=Outcome.SUCCESS,
        actor=actor,
        request=request,
        subject=card.user,
    )


def staff_reader(actor: Actor, request: HttpRequest | None) -> Reader:
    """A staff member reading member records through the console (the web edge)."""
    return Reader(user=actor, edge=Edge.WEB, request=request)  # type: ignore[arg-type]


def _record_users_listed(
    *, actor: Actor, request: HttpRequest | None, users: Sequence[Model]
) -> None:
    """Each account a search lists (its public id as the subject; nothing else about it)."""
    for user in users:
        record_event(
            action=ACTION_USER_LISTED,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=user,
        )
