"""Refill requests (mail or pick-up) and the automatic-refill switch, through the services the
/prescriptions/ refill flow uses (``prescriptions.services``): the same rules, the same error
codes (each a problem slug), the same audit. Scope: ``refills.write`` (reading a refill request
back: MedicationRequest).

POST /refills takes an optional ``Idempotency-Key`` (see ``rxportal.api.idempotency``); the
refill service's own idempotency key is derived from it and the request, so even a key whose
record was purged never places a second order for the same request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Header, Router, Schema

from rxportal.api import idempotency
from rxportal.api.auth import reader_for
from rxportal.api.guards import (
    domain_problem,
    not_found,
    require_read,
    require_scope,
    visible_member_or_404,
)
from rxportal.api.problems import Problem
from rxportal.connected_apps.scopes import REFILLS_WRITE
from rxportal.core import clock
from rxportal.prescriptions import errors
from rxportal.prescriptions.domain import MAX_LINES_PER_REFILL
from rxportal.prescriptions.selectors import find_refill_request
from rxportal.prescriptions.services import RefillLineInput, request_refill, set_auto_refill
from rxportal.records.reads import record_phi_read

if TYPE_CHECKING:
    from rxportal.prescriptions.models import RefillRequest

router = Router(tags=["refills"])

# Namespace of the refill service's idempotency keys made from an API Idempotency-Key.
API_REFILL_KEY_NAMESPACE = uuid.UUID("0b8f5a52-3c1d-4f0e-9d7a-6e2b1c4a9f13")

# Refusals about the request itself (422), about the caller's view (404); every other refill
# error is the prescription's state today (409: too soon, on order, none left...).
_UNPROCESSABLE = frozenset(
    {
        errors.RefillNothingSelected.code,
        errors.RefillTooMany.code,
        errors.RefillBadQuantity.code,
        errors.RefillPharmacyRequired.code,
        errors.RefillPharmacyNotInNetwork.code,
        errors.RefillAddressNotFound.code,
    }
)
_NOT_FOUND = frozenset({errors.RefillNotFound.code, errors.PrescriptionNotFound.code})


def refill_problem(error: errors.RefillError | errors.PrescriptionNotFound) -> Problem:
    if error.code in _NOT_FOUND:
        return domain_problem(error, 404)
    return domain_problem(error, 422 if error.code in _UNPROCESSABLE else 409)


class RefillLineIn(Schema):
    prescription: uuid.UUID
    # Default: the prescription's own quantity and days supply.
    quantity: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=3)
    days_supply: int | None = Field(None, ge=1, le=365)


class RefillCreateIn(Schema):
    # Whose prescriptions (a member public id); default: the caller's own.
    member: uuid.UUID | None = None
    lines: list[RefillLineIn] = Field(..., min_length=1, max_length=MAX_LINES_PER_REFILL)
    fulfilment: Literal["mail", "pickup"]
    # A network pharmacy (pick-up); a saved shipping address of the caller (mail; default: the
    # address on file).
    pharmacy: uuid.UUID | None = None
    address: uuid.UUID | None = None


class RefillLineOut(Schema):
    prescription: uuid.UUID
    quantity: Decimal
    days_supply: int
    estimated_member_cost: Decimal | None


class RefillOut(Schema):
    id: uuid.UUID
    member: uuid.UUID
    fulfilment: str  # mail, pickup
    status: str  # submitted, sent_to_pharmacy, ready, completed, cancelled
    is_automatic: bool
    created_at: dt.datetime
    pharmacy: uuid.UUID | None
    mail_order: uuid.UUID | None
    lines: list[RefillLineOut]


def refill_out(refill: RefillRequest) -> RefillOut:
    return RefillOut(
        id=refill.public_id,
        member=refill.member.public_id,
        fulfilment=refill.fulfilment,
        status=refill.status,
        is_automatic=refill.is_automatic,
        created_at=refill.created_at,
        pharmacy=refill.pharmacy.public_id if refill.pharmacy else None,
        mail_order=refill.mail_order.public_id if refill.mail_order else None,
        lines=[
            RefillLineOut(
                prescription=line.prescription.public_id,
                quantity=line.quantity,
                days_supply=line.days_supply,
                estimated_member_cost=line.estimated_member_cost,
            )
            for line in refill.lines.all()
        ],
    )


@router.post(
    "/refills",
    response={201: RefillOut},
    summary="Request a refill",
    openapi_extra={
        "parameters": [
            {
                "name": idempotency.HEADER,
                "in": "header",
                "required": False,
                "description": idempotency.HEADER_DESCRIPTION,
                "schema": {"type": "string", "maxLength": idempotency.KEY_MAX_LENGTH},
            }
        ]
    },
)
def create_refill(
    request: Any,
    payload: RefillCreateIn,
    idempotency_key: str | None = Header(None, alias=idempotency.HEADER, include_in_schema=False),
) -> Any:
    """Refill one or more prescriptions of one person (by mail or for pick-up), checked as the
    web's refill flow checks them; 201 with the refill request."""
    require_scope(request, REFILLS_WRITE)
    member = visible_member_or_404(request, str(payload.member) if payload.member else None)

    def place(request_print: str) -> tuple[int, Any]:
        service_key = (
            uuid.uuid5(API_REFILL_KEY_NAMESPACE, f"{idempotency_key}\n{request_print}")
            if idempotency_key is not None
            else uuid.uuid4()
        )
        try:
            refill = request_refill(
                actor=request.user,
                member_id=member.public_id,
                lines=[
                    RefillLineInput(
                        prescription_id=line.prescription,
                        quantity=line.quantity,
                        days_supply=line.days_supply,
                    )
                    for line in payload.lines
                ],
                fulfilment=payload.fulfilment,
                pharmacy_id=payload.pharmacy,
                address_id=payload.address,
                idempotency_key=service_key,
                today=clock.today(),
                now=clock.now(),
            )
        except errors.RefillError as error:
            raise refill_problem(error) from None
        refill.member = member
        return 201, refill_out(refill).model_dump(mode="json")

    def audit_replay() -> None:  # the replayed answer shows the refill request again
        record_phi_read(
            reader_for(request),
            action="phi.refill_request.viewed",
            subject=member,
            details={"lines": len(payload.lines), "replayed": True},
        )

    return idempotency.run_once(
        request,
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        perform=place,
        on_replay=audit_replay,
    )


@router.get("/refills/{public_id}", response=RefillOut, summary="One refill request")
def get_refill(request: Any, public_id: str) -> RefillOut:
    require_read(request, "MedicationRequest")
    refill = find_refill_request(viewer=request.user, public_id=public_id, today=clock.today())
    if refill is None:
        raise not_found("refill request")
    record_phi_read(
        reader_for(request),
        action="phi.refill_request.viewed",
        subject=refill,
        details={"lines": len(refill.lines.all())},
    )
    return refill_out(refill)


class AutoRefillIn(Schema):
    enabled: bool


class AutoRefillOut(Schema):
    prescription: uuid.UUID
    auto_refill: bool


@router.put(
    "/prescriptions/{public_id}/auto-refill",
    response=AutoRefillOut,
    summary="Turn automatic refills on or off",
)
def put_auto_refill(request: Any, public_id: str, payload: AutoRefillIn) -> AutoRefillOut:
    require_scope(request, REFILLS_WRITE)
    try:
        wanted = uuid.UUID(public_id)
    except ValueError:
        raise not_found("prescription") from None
    try:
        rx = set_auto_refill(
            actor=request.user, prescription_id=wanted, enabled=payload.enabled, today=clock.today()
        )
    except (errors.PrescriptionNotFound, errors.RefillError) as error:
        raise refill_problem(error) from None
    return AutoRefillOut(prescription=rx.public_id, auto_refill=rx.auto_refill)
