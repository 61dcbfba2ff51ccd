"""Mail orders of the caller and the family they may see (an order is its patient's, as
``orders.selectors`` decides): the list, one order with its status timeline (codes) and
tracking, and cancelling while the web allows it (``prescriptions.services.cancel_refill_order``,
which gives back the refills the order used). Scope: MedicationDispense; cancelling:
``refills.write``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ninja import Header, Router, Schema

from rxportal.api import idempotency
from rxportal.api.auth import reader_for
from rxportal.api.guards import (
    domain_problem,
    not_found,
    require_read,
    require_scope,
    visible_member_or_404,
)
from rxportal.api.routers.prescriptions import DrugOut, drug_out
from rxportal.connected_apps.scopes import REFILLS_WRITE
from rxportal.core import clock
from rxportal.orders import selectors
from rxportal.orders.errors import CancelReasonInvalid, OrderCannotBeCancelled
from rxportal.prescriptions.services import cancel_refill_order
from rxportal.records.reads import record_phi_read

if TYPE_CHECKING:
    from rxportal.orders.models import MailOrder

RESOURCE = "MedicationDispense"

router = Router(tags=["orders"])


class OrderLineOut(Schema):
    prescription: uuid.UUID
    patient: uuid.UUID
    drug: DrugOut
    quantity: Decimal
    days_supply: int


class ShipToOut(Schema):
    name: str
    address_line: str
    city: str
    state: str
    zip_code: str


class OrderOut(Schema):
    id: uuid.UUID
    order_number: str
    member: uuid.UUID  # the patient
    status: str  # received, verifying, processing, shipped, delivered, on_hold, cancelled
    status_reason: str  # a reason code (on hold, cancelled) or ""
    attention: str | None  # late, on_hold, or null
    can_cancel: bool
    ordered_at: dt.datetime
    expected_delivery: dt.date | None
    carrier: str
    tracking_number: str
    tracking_url: str | None
    ship_to: ShipToOut
    lines: list[OrderLineOut]


class TimelineStepOut(Schema):
    status: str
    state: str  # done, current, upcoming
    occurred_at: dt.datetime | None
    reason: str  # a reason code or ""


class OrderDetailOut(OrderOut):
    timeline: list[TimelineStepOut]


class OrderListOut(Schema):
    items: list[OrderOut]
    since: dt.date  # the first day of the 18 months listed
    older_count: int  # orders before that day, not listed


def _order_fields(order: MailOrder) -> dict[str, Any]:
    return {
        "id": order.public_id,
        "order_number": order.order_number,
        "member": order.member.public_id,
        "status": order.status,
        "status_reason": order.status_reason,
        "attention": order.attention.value if order.attention else None,
        "can_cancel": order.can_cancel,
        "ordered_at": order.ordered_at,
        "expected_delivery": order.expected_delivery,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": order.tracking_url,
        "ship_to": ShipToOut(
            name=order.ship_to_name,
            address_line=order.ship_to_address_line,
            city=order.ship_to_city,
            state=order.ship_to_state,
            zip_code=order.ship_to_zip,
        ),
        "lines": [
            OrderLineOut(
                prescription=line.prescription.public_id,
                patient=line.prescription.member.public_id,
                drug=drug_out(line.prescription.drug),
                quantity=line.quantity,
                days_supply=line.days_supply,
            )
            for line in order.lines.all()
        ],
    }


def order_detail_out(order: MailOrder) -> OrderDetailOut:
    return OrderDetailOut(
        **_order_fields(order),
        timeline=[
            TimelineStepOut(
                status=entry.step.status.value,
                state=entry.step.state.value,
                occurred_at=entry.step.occurred_at,
                reason=entry.step.reason,
            )
            for entry in selectors.compute_order_timeline(order)
        ],
    )


@router.get("", response=OrderListOut, summary="List mail orders")
def list_orders(request: Any, member: str | None = None, only_open: bool = False) -> OrderListOut:
    """Mail orders of the last 18 months, newest first, of the caller and the family they may
    see, or of one of them (``member``); ``only_open`` leaves out delivered and cancelled ones."""
    require_read(request, RESOURCE, search=True)
    history = selectors.list_mail_orders(
        viewer=request.user, today=clock.today(), only_open=only_open
    )
    orders = history.orders
    subject = None
    if member is not None:
        subject = visible_member_or_404(request, member)
        orders = [order for order in orders if order.member_id == subject.pk]
    record_phi_read(
        reader_for(request),
        action="phi.mail_orders.viewed",
        subject=subject,
        details={"filter": "open" if only_open else "all", "count": len(orders)},
    )
    return OrderListOut(
        items=[OrderOut(**_order_fields(order)) for order in orders],
        since=history.since,
        older_count=history.older_count,
    )


def _order_or_404(request: Any, public_id: str) -> MailOrder:
    order = selectors.find_mail_order(viewer=request.user, public_id=public_id, today=clock.today())
    if order is None:
        raise not_found("mail order")
    return order


@router.get("/{public_id}", response=OrderDetailOut, summary="One mail order")
def get_order(request: Any, public_id: str) -> OrderDetailOut:
    require_read(request, RESOURCE)
    order = _order_or_404(request, public_id)
    record_phi_read(
        reader_for(request),
        action="phi.mail_order.viewed",
        subject=order,
        details={"status": order.status},
    )
    return order_detail_out(order)


class CancelIn(Schema):
    # orders' CancelReason codes: no_longer_needed, ordered_by_mistake, pick_up_at_pharmacy,
    # delivery_too_slow, wrong_address, other.
    reason: str


@router.post(
    "/{public_id}/cancel",
    response={200: OrderDetailOut},
    summary="Cancel a mail order",
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
def cancel_order(
    request: Any,
    public_id: str,
    payload: CancelIn,
    idempotency_key: str | None = Header(None, alias=idempotency.HEADER, include_in_schema=False),
) -> Any:
    """Cancel an order that has not started processing (received, verifying or on hold), as
    the web's cancel page does; the refills it used are given back. 409 ``order.cannot_cancel``
    once it can no longer be cancelled."""
    require_scope(request, REFILLS_WRITE)
    order = _order_or_404(request, public_id)

    def cancel(_request_print: str) -> tuple[int, Any]:
        try:
            cancel_refill_order(
                order=order, actor=request.user, reason=payload.reason, now=clock.now()
            )
        except CancelReasonInvalid as error:
            raise domain_problem(error, 422) from None
        except OrderCannotBeCancelled as error:
            raise domain_problem(error, 409) from None
        cancelled = _order_or_404(request, public_id)
        record_phi_read(
            reader_for(request),
            action="phi.mail_order.viewed",
            subject=cancelled,
            details={"status": cancelled.status, "page": "cancel"},
        )
        return 200, order_detail_out(cancelled).model_dump(mode="json")

    def audit_replay() -> None:  # the replayed answer shows the order again
        record_phi_read(
            reader_for(request),
            action="phi.mail_order.viewed",
            subject=order,
            details={"status": order.status, "page": "cancel", "replayed": True},
        )

    return idempotency.run_once(
        request,
        key=idempotency_key,
        body=payload.model_dump(mode="json"),
        perform=cancel,
        on_replay=audit_replay,
    )
