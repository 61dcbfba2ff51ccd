"""The service center's audited reads of a verified caller's records, and its other look-ups.

Every read of a member's orders or claims goes through ``_open_records`` here: it checks that
the agent may read them, that the caller was verified as *this* member within
``verification.CALLER_CHECK_VALID_FOR`` (the caller check is bound to the member and expires), and that a
reason code from ``ReasonCode`` was chosen; then it reads through the orders and claims apps'
staff selectors and writes one audit event (who, whom by public id, why = the reason code, what
= counts and public ids, never a drug or a name; the reason code is the event's ``reason``).
Refusals are audited too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rxportal.accounts import selectors as account_selectors
from rxportal.audit.services import Outcome, record_event
from rxportal.claims import selectors as claim_selectors
from rxportal.core.errors import DomainError
from rxportal.members import selectors as member_selectors
from rxportal.orders import selectors as order_selectors
from rxportal.orders.selectors import OrderHistory
from rxportal.records.reads import record_phi_read
from rxportal.staff.access import Actor, can_read_member_records
from rxportal.staff.errors import CallerNotVerified, ReasonCodeRequired, RecordsForbidden
from rxportal.staff.services.lookups import staff_reader
from rxportal.staff.services.verification import CallerCheck, is_caller_verified

if TYPE_CHECKING:
    from rxportal.accounts.models import User
    from rxportal.claims.models import Claim
    from rxportal.members.models import Member
    from rxportal.orders.models import MailOrder

T = TypeVar("T")

# Reads of member PHI: through the records door (records.reads.record_phi_read, web edge).
ACTION_MEMBER_NAME_LOOKUP = "phi.staff.member.lookup"
ACTION_ORDERS_VIEWED = "phi.staff.member.orders.viewed"
ACTION_ORDER_VIEWED = "phi.staff.member.order.viewed"
ACTION_CLAIMS_VIEWED = "phi.staff.member.claims.viewed"
ACTION_CLAIM_VIEWED = "phi.staff.member.claim.viewed"
ACTION_CLIENT_USER_LOOKUP = "staff.client_user.lookup"
ACTION_CLIENT_USER_VIEWED = "staff.client_user.viewed"


class ReasonCode(models.TextChoices):
    """Why an agent opens a verified caller's orders or claims (the fixed list)."""

    ORDER_QUESTION = "order_question", gettext_lazy("Caller asked about an order")
    DELIVERY_QUESTION = "delivery_question", gettext_lazy("Caller asked about a delivery")
    CLAIM_QUESTION = "claim_question", gettext_lazy("Caller asked about a claim")
    COST_QUESTION = "cost_question", gettext_lazy("Caller asked what they paid")


# --- Finding a caller ------------------------------------------------------------------------


def look_up_members_by_name(
    *,
    actor: Actor,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    zip_code: str,
    request: HttpRequest | None = None,
) -> list[Member]:
    """Verify a caller by name, date of birth and ZIP (audited, match or not, without what
    was typed)."""
    members = member_selectors.list_members_by_name(
        viewer=actor,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        zip_code=zip_code,
    )
    record_phi_read(
        staff_reader(actor, request),
        action=ACTION_MEMBER_NAME_LOOKUP,
        outcome=Outcome.SUCCESS if members else Outcome.FAILURE,
        subject=members[0] if len(members) == 1 else None,
        details={"matches": len(members), "by": "name"},
    )
    return members


def look_up_client_user(
    *,
    actor: Actor,
    email: str,
    organization: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> User | None:
    """Verify a client or advisor who calls: every detail must match one account (audited)."""
    user = account_selectors.find_client_user_for_caller(
        viewer=actor,
        email=email,
        organization=organization,
        username=username,
        first_name=first_name,
        last_name=last_name,
    )
    record_event(
        action=ACTION_CLIENT_USER_LOOKUP,
        outcome=Outcome.SUCCESS if user is not None else Outcome.FAILURE,
        actor=actor,
        request=request,
        subject=user,
        details={"matches": int(user is not None), "by": "username" if username else "name"},
    )
    return user


@dataclass(frozen=True)
class ClientUserCard:
    """A verified client or advisor caller, as the service center sees them (masked)."""

    user: User
    masked_username: str
    masked_email: str
    sign_in: account_selectors.SignInStatus


def find_client_user_card(
    *, actor: Actor, public_id: uuid.UUID, now: dt.datetime | None = None
) -> ClientUserCard | None:
    user = account_selectors.find_client_user_for_staff(viewer=actor, public_id=public_id)
    if user is None:
        return None
    return ClientUserCard(
        user=user,
        masked_username=account_selectors.mask_username(user.username),
        masked_email=account_selectors.mask_email(user.email) if user.email else "",
        sign_in=account_selectors.get_sign_in_status(username=user.username, now=now),
    )


def open_client_user_card(
    *,
    actor: Actor,
    public_id: uuid.UUID,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> ClientUserCard | None:
    card = find_client_user_card(actor=actor, public_id=public_id, now=now)
    if card is not None:
        record_event(
            action=ACTION_CLIENT_USER_VIEWED,
            outcome=Outcome.SUCCESS,
            actor=actor,
            request=request,
            subject=card.user,
        )
    return card


# --- A verified caller's orders and claims ---------------------------------------------------


def _open_records(
    *,
    action: str,
    actor: Actor,
    member_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None,
) -> Member | None:
    """The one gate of every read below: role, caller check (bound, fresh), reason code.

    Refusals are audited and raised; an unknown member is None (the page is a 404).
    """
    error: DomainError | None = None
    if not can_read_member_records(actor):
        error = RecordsForbidden(_("Your role does not allow this."))
    elif not is_caller_verified(caller, member_public_id, now=now):
        error = CallerNotVerified(_("Verify the caller first: look them up again."))
    elif reason_code not in ReasonCode.values:
        error = ReasonCodeRequired(_("Choose why you are opening these records."))
    member = member_selectors.find_member_for_staff(viewer=actor, public_id=member_public_id)
    if error is not None:
        record_phi_read(
            staff_reader(actor, request),
            action=action,
            outcome=Outcome.DENIED,
            subject=member,
            details={"error_code": error.code},
        )
        raise error
    return member


def _read_records(
    *,
    action: str,
    actor: Actor,
    member_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None,
    read: Callable[[Member], T | None],
    describe: Callable[[T], dict[str, Any]],
) -> T | None:
    """Every read below: the gate (``_open_records``), then ``read(member)`` and, when it found
    something, one audit event with the reason code and ``describe(result)`` (counts, public
    ids). An unknown member or record is None (the page is a 404)."""
    member = _open_records(
        action=action,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
    )
    if member is None:
        return None
    result = read(member)
    if result is not None:
        record_phi_read(
            staff_reader(actor, request),
            action=action,
            subject=member,
            reason=reason_code,
            details=describe(result),
        )
    return result


@dataclass(frozen=True)
class MemberOrders:
    member: Member
    history: OrderHistory


@dataclass(frozen=True)
class MemberClaims:
    member: Member
    claims: list[Claim]


def list_member_orders(
    *,
    actor: Actor,
    member_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> MemberOrders | None:
    return _read_records(
        action=ACTION_ORDERS_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
        read=lambda member: MemberOrders(
            member=member,
            history=order_selectors.list_mail_orders_for_staff(
                viewer=actor, member=member, today=now.date()
            ),
        ),
        describe=lambda found: {"count": len(found.history.orders)},
    )


def get_member_order(
    *,
    actor: Actor,
    member_public_id: uuid.UUID,
    order_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> MailOrder | None:
    return _read_records(
        action=ACTION_ORDER_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
        read=lambda member: order_selectors.find_mail_order_for_staff(
            viewer=actor, member=member, public_id=order_public_id
        ),
        describe=lambda order: {"order": str(order.public_id)},
    )


def list_member_claims(
    *,
    actor: Actor,
    member_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> MemberClaims | None:
    return _read_records(
        action=ACTION_CLAIMS_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
        read=lambda member: MemberClaims(
            member=member,
            claims=claim_selectors.list_claims_for_staff(viewer=actor, member=member),
        ),
        describe=lambda found: {"count": len(found.claims)},
    )


def get_member_claim(
    *,
    actor: Actor,
    member_public_id: uuid.UUID,
    claim_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> Claim | None:
    return _read_records(
        action=ACTION_CLAIM_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
        read=lambda member: claim_selectors.find_claim_for_staff(
            viewer=actor, member=member, public_id=claim_public_id
        ),
        describe=lambda claim: {"claim": str(claim.public_id)},
    )
