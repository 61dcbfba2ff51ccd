"""Prescriptions of the caller and the family they may see: refill status (a code), refills
left, the next refill date and automatic refills, as the /prescriptions/ page reads them
(``prescriptions.selectors``). Scope: MedicationRequest."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ninja import Router, Schema

from rxportal.api.auth import reader_for
from rxportal.api.guards import not_found, require_read, visible_member_or_404
from rxportal.core import clock
from rxportal.prescriptions.selectors import (
    PrescriptionRow,
    compute_row,
    find_prescription,
    find_prescriptions_on_order,
    list_prescriptions_by_person,
)
from rxportal.records.reads import record_phi_read

if TYPE_CHECKING:
    from rxportal.formulary.models import Drug

RESOURCE = "MedicationRequest"

router = Router(tags=["prescriptions"])


class DrugOut(Schema):
    id: uuid.UUID
    rxcui: str
    name: str  # the RxNorm name
    display_name: str


def drug_out(drug: Drug) -> DrugOut:
    return DrugOut(
        id=drug.public_id, rxcui=drug.rxcui, name=drug.name, display_name=drug.display_name
    )


class PrescriptionOut(Schema):
    id: uuid.UUID
    member: uuid.UUID
    drug: DrugOut
    rx_number: str
    prescriber_name: str
    status: str  # active, expired, cancelled
    refill_status: str  # prescriptions.domain.RefillStatus: refill_now, too_soon, on_order...
    can_refill: bool
    is_first_fill: bool
    refills_authorized: int
    refills_remaining: int
    quantity: Decimal
    days_supply: int
    written_on: dt.date
    expires_on: dt.date
    last_filled_on: dt.date | None
    next_refill_date: dt.date | None
    refill_deadline: dt.date | None  # the last refill day of a Schedule III-V prescription
    auto_refill: bool
    can_set_auto_refill: bool
    can_request_renewal: bool
    renewal_requested: bool


class PrescriptionListOut(Schema):
    items: list[PrescriptionOut]


def prescription_out(row: PrescriptionRow) -> PrescriptionOut:
    rx = row.prescription
    return PrescriptionOut(
        id=rx.public_id,
        member=rx.member.public_id,
        drug=drug_out(rx.drug),
        rx_number=rx.rx_number,
        prescriber_name=rx.prescriber_name,
        status=rx.status,
        refill_status=row.status.value,
        can_refill=row.can_refill,
        is_first_fill=row.is_first_fill,
        refills_authorized=rx.refills_authorized,
        refills_remaining=rx.refills_remaining,
        quantity=rx.quantity,
        days_supply=rx.days_supply,
        written_on=rx.written_on,
        expires_on=rx.expires_on,
        last_filled_on=rx.last_filled_on,
        next_refill_date=row.next_refill_date,
        refill_deadline=row.refill_deadline,
        auto_refill=rx.auto_refill,
        can_set_auto_refill=row.can_set_auto_refill,
        can_request_renewal=row.can_request_renewal,
        renewal_requested=row.open_renewal is not None,
    )


def _rows(request: Any, *, member_public_id: str | None) -> tuple[Any, list[PrescriptionRow]]:
    """The listed rows of the visible family (or of one visible member) and the audit subject."""
    viewer = request.user
    today = clock.today()
    groups = list_prescriptions_by_person(viewer=viewer, today=today)
    if member_public_id is None:
        subject = groups[0].member if groups else None
        return subject, [row for group in groups for row in group.rows]
    member = visible_member_or_404(request, member_public_id)
    rows = [row for group in groups if group.member.pk == member.pk for row in group.rows]
    return member, rows


@router.get("", response=PrescriptionListOut, summary="List prescriptions")
def list_prescriptions(request: Any, member: str | None = None) -> PrescriptionListOut:
    """Active prescriptions (and those expired in the last 90 days) of the caller and the family
    members they may see, or of one of them (``member``: a member public id)."""
    require_read(request, RESOURCE, search=True)
    subject, rows = _rows(request, member_public_id=member)
    record_phi_read(
        reader_for(request),
        action="phi.prescriptions.viewed",
        subject=subject,
        details={
            "people": len({row.prescription.member_id for row in rows}),
            "prescriptions": len(rows),
        },
    )
    return PrescriptionListOut(items=[prescription_out(row) for row in rows])


def find_row(request: Any, public_id: str) -> PrescriptionRow:
    """One prescription the caller may see, as the list computes it; else a 404 problem."""
    today = clock.today()
    rx = find_prescription(viewer=request.user, public_id=public_id, today=today)
    if rx is None:
        raise not_found("prescription")
    for group in list_prescriptions_by_person(viewer=request.user, today=today):
        for row in group.rows:
            if row.prescription.pk == rx.pk:
                return row
    # Not listed (replaced by a newer prescription, or expired long ago): its status alone.
    on_order = find_prescriptions_on_order(prescription_ids=[rx.pk], today=today)
    return compute_row(rx, today=today, has_open_order=rx.pk in on_order)


@router.get("/{public_id}", response=PrescriptionOut, summary="One prescription")
def get_prescription(request: Any, public_id: str) -> PrescriptionOut:
    require_read(request, RESOURCE)
    row = find_row(request, public_id)
    record_phi_read(
        reader_for(request),
        action="phi.prescription.viewed",
        subject=row.prescription,
        details={"refill_status": row.status.value},
    )
    return prescription_out(row)
