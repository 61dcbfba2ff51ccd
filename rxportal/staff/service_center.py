"""The service center's audited reads of a verified caller's records, and its other look-ups.

Every read of a member's orders or claims goes through ``_open_records`` here: it checks that
the agent may read them, that the caller was verified as *this* member within
``CALLER_CHECK_VALID_FOR`` (the caller check is bound to the member and expires), and that a
reason code from ``ReasonCode`` was chosen; then it reads through the orders and claims apps'
staff selectors and writes one audit event (who, whom by public id, why = the reason code, what
= counts and public ids, never a drug or a name; the reason code is the event's ``reason``). Refusals are audited too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rxportal.accounts import permissions as perms
from rxportal.accounts import selectors as account_selectors
from rxportal.accounts.models import User
from rxportal.accounts.permissions import has_permission
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.claims import selectors as claim_selectors
from rxportal.claims.models import Claim
from rxportal.core.errors import DomainError
from rxportal.members import selectors as member_selectors
from rxportal.members.models import Member
from rxportal.orders import selectors as order_selectors
from rxportal.orders.models import MailOrder
from rxportal.orders.selectors import OrderHistory

Actor = AbstractBaseUser | AnonymousUser

CALLER_CHECK_VALID_FOR = dt.timedelta(minutes=15)

ACTION_MEMBER_NAME_LOOKUP = "staff.member.lookup"
ACTION_ORDERS_VIEWED = "staff.member.orders.viewed"
ACTION_ORDER_VIEWED = "staff.member.order.viewed"
ACTION_CLAIMS_VIEWED = "staff.member.claims.viewed"
ACTION_CLAIM_VIEWED = "staff.member.claim.viewed"
ACTION_CLIENT_USER_LOOKUP = "staff.client_user.lookup"
ACTION_CLIENT_USER_VIEWED = "staff.client_user.viewed"


class ReasonCode(models.TextChoices):
    """Why an agent opens a verified caller's orders or claims (the fixed list)."""

    ORDER_QUESTION = "order_question", gettext_lazy("Caller asked about an order")
    DELIVERY_QUESTION = "delivery_question", gettext_lazy("Caller asked about a delivery")
    CLAIM_QUESTION = "claim_question", gettext_lazy("Caller asked about a claim")
    COST_QUESTION = "cost_question", gettext_lazy("Caller asked what they paid")


class CallerNotVerified(DomainError):
    """No caller check for this member in this session, or it is older than 15 minutes."""

    code = "staff.caller.not_verified"


class ReasonCodeRequired(DomainError):
    code = "staff.reason_code.required"


class RecordsForbidden(DomainError):
    code = "staff.records.forbidden"


@dataclass(frozen=True)
class CallerCheck:
    """A caller verified in this staff session: whom (public id) and when."""

    public_id: str
    verified_at: dt.datetime

    def is_current_for(self, public_id: uuid.UUID | str, *, now: dt.datetime) -> bool:
        return self.public_id == str(public_id) and (
            dt.timedelta(0) <= now - self.verified_at <= CALLER_CHECK_VALID_FOR
        )


def can_read_member_records(actor: Actor) -> bool:
    return has_permission(actor, perms.READ_MEMBER_RECORDS)


def is_caller_verified(
    caller: CallerCheck | None, public_id: uuid.UUID | str, *, now: dt.datetime
) -> bool:
    return caller is not None and caller.is_current_for(public_id, now=now)


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
    record_event(
        action=ACTION_MEMBER_NAME_LOOKUP,
        outcome=Outcome.SUCCESS if members else Outcome.FAILURE,
        actor=actor,
        request=request,
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
        record_event(
            action=action,
            outcome=Outcome.DENIED,
            actor=actor,
            request=request,
            subject=member,
            details={"error_code": error.code},
        )
        raise error
    return member


def _audit_read(
    *,
    action: str,
    actor: Actor,
    member: Member,
    reason_code: str,
    request: HttpRequest | None,
    details: dict[str, Any],
) -> None:
    record_event(
        action=action,
        outcome=Outcome.SUCCESS,
        actor=actor,
        request=request,
        subject=member,
        reason=reason_code,
        details=details,
    )


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
    member = _open_records(
        action=ACTION_ORDERS_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
    )
    if member is None:
        return None
    history = order_selectors.list_mail_orders_for_staff(
        viewer=actor, member=member, today=now.date()
    )
    _audit_read(
        action=ACTION_ORDERS_VIEWED,
        actor=actor,
        member=member,
        reason_code=reason_code,
        request=request,
        details={"count": len(history.orders)},
    )
    return MemberOrders(member=member, history=history)


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
    member = _open_records(
        action=ACTION_ORDER_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
    )
    if member is None:
        return None
    order = order_selectors.find_mail_order_for_staff(
        viewer=actor, member=member, public_id=order_public_id
    )
    if order is not None:
        _audit_read(
            action=ACTION_ORDER_VIEWED,
            actor=actor,
            member=member,
            reason_code=reason_code,
            request=request,
            details={"order": str(order.public_id)},
        )
    return order


def list_member_claims(
    *,
    actor: Actor,
    member_public_id: uuid.UUID,
    caller: CallerCheck | None,
    reason_code: str,
    now: dt.datetime,
    request: HttpRequest | None = None,
) -> MemberClaims | None:
    member = _open_records(
        action=ACTION_CLAIMS_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
    )
    if member is None:
        return None
    claims = claim_selectors.list_claims_for_staff(viewer=actor, member=member)
    _audit_read(
        action=ACTION_CLAIMS_VIEWED,
        actor=actor,
        member=member,
        reason_code=reason_code,
        request=request,
        details={"count": len(claims)},
    )
    return MemberClaims(member=member, claims=claims)


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
    member = _open_records(
        action=ACTION_CLAIM_VIEWED,
        actor=actor,
        member_public_id=member_public_id,
        caller=caller,
        reason_code=reason_code,
        now=now,
        request=request,
    )
    if member is None:
        return None
    claim = claim_selectors.find_claim_for_staff(
        viewer=actor, member=member, public_id=claim_public_id
    )
    if claim is not None:
        _audit_read(
            action=ACTION_CLAIM_VIEWED,
            actor=actor,
            member=member,
            reason_code=reason_code,
            request=request,
            details={"claim": str(claim.public_id)},
        )
    return claim
