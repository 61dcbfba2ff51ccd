"""Reads of prescriptions, refills and renewals, scoped to the signed-in viewer.

Which people a viewer may act for comes only from
``members.selectors.list_family_members_visible_to``; every prescription, refill request and
renewal read here is restricted to those people, so another family's public id finds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from rxportal.members.models import Member
from rxportal.members.selectors import list_family_members_visible_to
from rxportal.orders.selectors import (
    find_shipping_address,
    list_open_order_lines,
    list_prescriptions_with_open_orders,
    list_shipping_addresses,
)
from rxportal.pharmacies.domain import PharmacyKind
from rxportal.pharmacies.models import Pharmacy
from rxportal.pharmacies.selectors import (
    NearbyPharmacy,
    find_zip_centroid,
    list_nearby_pharmacies,
)
from rxportal.prescriptions import domain, errors
from rxportal.prescriptions.domain import Fulfilment, RefillStatus
from rxportal.prescriptions.models import (
    Prescription,
    PrescriptionStatus,
    RefillRequest,
    RenewalRequest,
    RenewalStatus,
)
from rxportal.pricing.errors import PricingError
from rxportal.pricing.selectors import FillEstimate, estimate_fill

if TYPE_CHECKING:  # addresses are the orders app's; they are read through its selectors
    from rxportal.orders.models import ShippingAddress

Viewer = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class PrescriptionRow:
    """A prescription with what the member can do with it today."""

    prescription: Prescription
    next_refill_date: dt.date | None
    status: RefillStatus
    open_renewal: RenewalRequest | None

    @property
    def public_id(self) -> uuid.UUID:
        return self.prescription.public_id

    @property
    def can_refill(self) -> bool:
        return self.status is RefillStatus.REFILL_NOW

    @property
    def is_first_fill(self) -> bool:
        """Never filled: the next fill is the first, not a refill."""
        return self.prescription.last_filled_on is None

    @property
    def needs_new_prescription(self) -> bool:
        return domain.needs_new_prescription(self.status)

    @property
    def can_refill_automatically(self) -> bool:
        return domain.can_refill_automatically(self.prescription.drug.dea_schedule)

    @property
    def refill_deadline(self) -> dt.date | None:
        """The last day a Schedule III-V prescription may be refilled; None for others."""
        return domain.compute_controlled_refill_deadline(
            dea_schedule=self.prescription.drug.dea_schedule,
            written_on=self.prescription.written_on,
        )

    @property
    def can_request_renewal(self) -> bool:
        return domain.can_request_renewal(self.status) and self.open_renewal is None

    @property
    def can_set_auto_refill(self) -> bool:
        """Offered while refills can happen; turning it off is always offered. A Schedule I or
        II drug (which the automatic-refill job never refills) offers only turning it off, if
        it is on."""
        if not self.can_refill_automatically:
            return bool(self.prescription.auto_refill)
        return self.prescription.auto_refill or self.status in _LIVE


@dataclass(frozen=True)
class PersonPrescriptions:
    member: Member
    is_viewer: bool
    rows: list[PrescriptionRow]

    @property
    def has_refillable(self) -> bool:
        return any(row.can_refill for row in self.rows)


def compute_row(
    prescription: Prescription,
    *,
    today: dt.date,
    has_open_order: bool,
    open_renewal: RenewalRequest | None = None,
) -> PrescriptionRow:
    """What the member can do with a prescription today: the one rule of the refill service,
    the prescriptions page, the dashboard's refills due, the refill reminders and the
    automatic-refill job. ``has_open_order``: the prescription is in an open mail order
    (``annotate_open_orders`` or ``find_prescriptions_on_order``), which puts it on order."""
    next_date = domain.compute_next_refill_date(
        last_filled_on=prescription.last_filled_on, days_supply=prescription.days_supply
    )
    status = domain.compute_refill_status(
        is_active=prescription.status == PrescriptionStatus.ACTIVE,
        expires_on=prescription.expires_on,
        refills_remaining=prescription.refills_remaining,
        next_refill_date=next_date,
        today=today,
        dea_schedule=prescription.drug.dea_schedule,
        written_on=prescription.written_on,
        refills_authorized=prescription.refills_authorized,
    )
    status = domain.apply_open_order(status, has_open_order=has_open_order)
    return PrescriptionRow(prescription, next_date, status, open_renewal)


def annotate_open_orders(
    prescriptions: QuerySet[Prescription], *, today: dt.date
) -> QuerySet[Prescription]:
    """Each prescription with ``has_open_order`` (an ``Exists`` in the same query, through
    ``orders.selectors``): read it with ``in_open_order(rx)``."""
    return prescriptions.annotate(
        has_open_order=Exists(list_open_order_lines(prescription=OuterRef("pk"), today=today))
    )


def in_open_order(prescription: Prescription) -> bool:
    """The ``annotate_open_orders`` flag of a prescription read with it."""
    return bool(prescription.has_open_order)  # type: ignore[attr-defined]


def find_prescriptions_on_order(*, prescription_ids: list[int], today: dt.date) -> set[int]:
    """Which of these prescriptions are in an open mail order, in a statement of its own (the
    refill service asks after locking the prescriptions, so an order committed meanwhile
    counts)."""
    return list_prescriptions_with_open_orders(prescription_ids=prescription_ids, today=today)


def _listed_prescriptions(members: Sequence[Member], *, today: dt.date) -> list[Prescription]:
    """Active prescriptions of these people, and those that expired in the last 90 days (so
    they can be renewed); ordered by person, drug, newest first."""
    if not members:
        return []
    recently = today - dt.timedelta(days=domain.RECENTLY_EXPIRED_DAYS)
    return list(
        annotate_open_orders(
            Prescription.objects.select_related("drug")
            .filter(member__in=members)
            .filter(
                Q(status=PrescriptionStatus.ACTIVE)
                | Q(status=PrescriptionStatus.EXPIRED, expires_on__gte=recently)
            ),
            today=today,
        ).order_by("member_id", "drug__name", "-written_on", "pk")
    )


_LIVE = (RefillStatus.REFILL_NOW, RefillStatus.ON_ORDER, RefillStatus.TOO_SOON)
# A current prescription: live, or a Schedule II one that has not expired (it is never
# refilled, so each fill has a new prescription that replaces the last one).
_CURRENT = (*_LIVE, RefillStatus.SCHEDULE_II)


def _without_replaced(rows: list[PrescriptionRow]) -> list[PrescriptionRow]:
    """Drop an expired or used-up prescription when the same person has a current one (refills
    left, not expired; or a Schedule II one not expired) for the same drug: the new
    prescription replaced it. Of a Schedule I or II drug only the newest current prescription
    stays (each fill has its own prescription). ``rows`` come newest first per drug."""
    current = {
        (row.prescription.member_id, row.prescription.drug_id)
        for row in rows
        if row.status in _CURRENT
    }
    kept = []
    newest_no_refill: set[tuple[int, int]] = set()
    for row in rows:
        key = (row.prescription.member_id, row.prescription.drug_id)
        if row.status not in _CURRENT:
            if key not in current:
                kept.append(row)
            continue
        if row.prescription.drug.dea_schedule in domain.NO_REFILL_SCHEDULES:
            if key in newest_no_refill:
                continue
            newest_no_refill.add(key)
        kept.append(row)
    return kept


def _open_renewals(prescriptions: Iterable[Prescription]) -> dict[int, RenewalRequest]:
    ids = [rx.pk for rx in prescriptions]
    if not ids:
        return {}
    return {
        renewal.prescription_id: renewal
        for renewal in RenewalRequest.objects.filter(
            prescription_id__in=ids, status=RenewalStatus.PENDING
        )
    }


def _rows_for(members: Sequence[Member], *, today: dt.date) -> list[PrescriptionRow]:
    """Rows of the listed prescriptions, each with its member set from ``members`` (no query)."""
    by_pk = {member.pk: member for member in members}
    prescriptions = _listed_prescriptions(members, today=today)
    renewals = _open_renewals(prescriptions)
    rows = []
    for rx in prescriptions:
        rx.member = by_pk[rx.member_id]
        rows.append(
            compute_row(
                rx,
                today=today,
                has_open_order=in_open_order(rx),
                open_renewal=renewals.get(rx.pk),
            )
        )
    return _without_replaced(rows)


def list_prescriptions_by_person(*, viewer: Viewer, today: dt.date) -> list[PersonPrescriptions]:
    """The prescriptions page: one group per person the viewer may act for (viewer first), each
    prescription with its next refill date, status and open renewal. Four queries."""
    members = list_family_members_visible_to(viewer=viewer, today=today)
    rows = _rows_for(members, today=today)
    return [
        PersonPrescriptions(
            member=member,
            is_viewer=index == 0,
            rows=[row for row in rows if row.prescription.member_id == member.pk],
        )
        for index, member in enumerate(members)
    ]


# --- The dashboard ------------------------------------------------------------------------------

# What the dashboard's "what needs attention" reads and shows of a prescription (and what
# ``compute_row`` and ``PrescriptionRow`` need): loading only these keeps the page cheap.
_ATTENTION_FIELDS = (
    "public_id",
    "member",
    "drug__name",
    "drug__dea_schedule",
    "status",
    "written_on",
    "expires_on",
    "days_supply",
    "refills_authorized",
    "refills_remaining",
    "last_filled_on",
    "auto_refill",
)


class AlertKind(StrEnum):
    EXPIRING_SOON = "expiring_soon"
    NO_REFILLS_LEFT = "no_refills_left"
    # A controlled substance that cannot be refilled (Schedule II, or III-V at its limit).
    NEW_PRESCRIPTION_NEEDED = "new_prescription_needed"


@dataclass(frozen=True)
class PrescriptionAlert:
    kind: AlertKind
    row: PrescriptionRow

    @property
    def prescription(self) -> Prescription:
        return self.row.prescription


@dataclass(frozen=True)
class PrescriptionAttention:
    """The dashboard's prescription items: refills due (soonest first) and alerts."""

    refills_due: list[PrescriptionRow]
    alerts: list[PrescriptionAlert]


def get_prescription_attention(*, viewer: Viewer, today: dt.date) -> PrescriptionAttention:
    """Refills due and prescription alerts of the people the viewer may act for, from one read
    of their prescriptions (one query, plus one for the open renewals of the listed ones when
    any has one).

    * refills due: a refill allowed now or within 7 days (refills left, not expired, not in an
      open mail order), soonest first, then by drug name;
    * alerts: no refills left (or a controlled substance that cannot be refilled: a new
      prescription is needed) and no renewal requested, or expiring within 30 days.

    Each prescription has its ``member`` (from the visible family) and ``drug`` (name only)
    set, and only the fields the dashboard shows loaded (``_ATTENTION_FIELDS``); other fields
    would cost a query each.
    """
    members = list_family_members_visible_to(viewer=viewer, today=today)
    if not members:
        return PrescriptionAttention(refills_due=[], alerts=[])
    _pending_renewals = RenewalRequest.objects.filter(
        prescription=OuterRef("pk"), status=RenewalStatus.PENDING
    )
    by_pk = {member.pk: member for member in members}
    recently = today - dt.timedelta(days=domain.RECENTLY_EXPIRED_DAYS)
    prescriptions = (
        Prescription.objects.select_related("drug")
        .only(*_ATTENTION_FIELDS)
        .filter(member__in=list(by_pk))
        .filter(
            Q(status=PrescriptionStatus.ACTIVE)
            | Q(status=PrescriptionStatus.EXPIRED, expires_on__gte=recently)
        )
        .annotate(has_open_renewal=Exists(_pending_renewals))
        .order_by("member_id", "drug__name", "-written_on", "pk")
    )
    rows = []
    for rx in annotate_open_orders(prescriptions, today=today):
        rx.member = by_pk[rx.member_id]
        rows.append(compute_row(rx, today=today, has_open_order=in_open_order(rx)))
    due: list[PrescriptionRow] = []
    flagged: list[tuple[PrescriptionRow, AlertKind]] = []
    for row in _without_replaced(rows):
        if domain.is_refill_due_within(
            status=row.status,
            next_refill_date=row.next_refill_date,
            today=today,
            days=domain.REFILL_DUE_SOON_DAYS,
        ):
            due.append(row)
        if row.status is RefillStatus.NO_REFILLS_LEFT:
            flagged.append((row, AlertKind.NO_REFILLS_LEFT))
        elif row.needs_new_prescription:
            # A Schedule II prescription is told about when its supply runs out (as a refill
            # is when due), not every day from the day it was filled.
            if row.status is not RefillStatus.SCHEDULE_II or domain.supply_runs_out_within(
                last_filled_on=row.prescription.last_filled_on,
                days_supply=row.prescription.days_supply,
                today=today,
                days=domain.REFILL_DUE_SOON_DAYS,
            ):
                flagged.append((row, AlertKind.NEW_PRESCRIPTION_NEEDED))
        elif row.status is not RefillStatus.EXPIRED and domain.is_expiring_soon(
            expires_on=row.prescription.expires_on, today=today
        ):
            flagged.append((row, AlertKind.EXPIRING_SOON))
    # The open renewals themselves only of the rows returned that have one (rarely any): a
    # used-up prescription with one is no alert.
    renewals = _open_renewals(
        row.prescription
        for row in [*due, *(row for row, _ in flagged)]
        if getattr(row.prescription, "has_open_renewal", False)
    )
    due = [_with_renewal(row, renewals) for row in due]
    due.sort(key=lambda row: (row.next_refill_date or today, row.prescription.drug.name))
    alerts = [
        PrescriptionAlert(kind, _with_renewal(row, renewals))
        for row, kind in flagged
        if kind is AlertKind.EXPIRING_SOON or row.prescription.pk not in renewals
    ]
    return PrescriptionAttention(refills_due=due, alerts=alerts)


def _with_renewal(row: PrescriptionRow, renewals: dict[int, RenewalRequest]) -> PrescriptionRow:
    renewal = renewals.get(row.prescription.pk)
    if renewal is None:
        return row
    return PrescriptionRow(row.prescription, row.next_refill_date, row.status, renewal)


def list_refills_due(*, viewer: Viewer, today: dt.date) -> list[PrescriptionRow]:
    """The refills due of ``get_prescription_attention`` (soonest first)."""
    return get_prescription_attention(viewer=viewer, today=today).refills_due


def list_prescription_alerts(*, viewer: Viewer, today: dt.date) -> list[PrescriptionAlert]:
    """The alerts of ``get_prescription_attention``."""
    return get_prescription_attention(viewer=viewer, today=today).alerts


# --- One prescription, a refill selection, a refill request -------------------------------------


def find_prescription(
    *, viewer: Viewer, public_id: uuid.UUID | str, today: dt.date
) -> Prescription | None:
    """A prescription of someone the viewer may act for, or None (never another family's)."""
    members = list_family_members_visible_to(viewer=viewer, today=today)
    if not members:
        return None
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    found = (
        Prescription.objects.select_related("drug")
        .filter(public_id=key, member__in=members)
        .first()
    )
    if found is not None:
        found.member = next(m for m in members if m.pk == found.member_id)
    return found


@dataclass(frozen=True)
class RefillSelection:
    member: Member
    rows: list[PrescriptionRow]


def check_refillable(row: PrescriptionRow) -> None:
    """Raise the refill error of a prescription that cannot be refilled today (its code and
    details; the error words the message: ``prescriptions.errors``)."""
    ref = {"prescription": str(row.public_id)}
    if row.status is RefillStatus.EXPIRED:
        raise errors.RefillExpired(**ref)
    if row.status is RefillStatus.SCHEDULE_II:
        if row.prescription.drug.dea_schedule == domain.DeaSchedule.CII:
            raise errors.RefillScheduleIIByLaw(**ref)
        raise errors.RefillScheduleII(**ref)
    if row.status is RefillStatus.NO_REFILLS_LEFT:
        raise errors.RefillNoneLeft(**ref)
    if row.status is RefillStatus.ON_ORDER:
        raise errors.RefillOnOrder(**ref)
    if row.status is RefillStatus.CONTROLLED_LIMIT:
        deadline = row.refill_deadline
        assert deadline is not None
        raise errors.RefillControlledLimit(refill_deadline=deadline.isoformat(), **ref)
    if row.status is RefillStatus.TOO_SOON:
        assert row.next_refill_date is not None
        raise errors.RefillTooSoon(next_refill_date=row.next_refill_date.isoformat(), **ref)


def get_refill_selection(
    *,
    viewer: Viewer,
    member_public_id: uuid.UUID | str | None,
    prescription_public_ids: Sequence[uuid.UUID],
    today: dt.date,
) -> RefillSelection:
    """The chosen person and prescriptions (in list order), each refillable today.

    Raises ``RefillNothingSelected``, ``RefillTooMany``, ``RefillNotFound`` (someone the viewer
    may not act for, or a prescription that is not that person's), or the first chosen
    prescription's ``RefillExpired`` / ``RefillNoneLeft`` / ``RefillTooSoon``. The refill
    service checks all of this again when the refill is placed.
    """
    wanted = list(dict.fromkeys(prescription_public_ids))
    if not wanted:
        raise errors.RefillNothingSelected()
    if len(wanted) > domain.MAX_LINES_PER_REFILL:
        raise errors.RefillTooMany()
    members = list_family_members_visible_to(viewer=viewer, today=today)
    member = next((m for m in members if str(m.public_id) == str(member_public_id)), None)
    if member is None:
        raise errors.RefillNotFound()
    rows = [row for row in _rows_for([member], today=today) if row.public_id in set(wanted)]
    found = {row.public_id for row in rows}
    missing = next((key for key in wanted if key not in found), None)
    if missing is not None:
        raise errors.RefillNotFound(prescription=str(missing))
    for row in rows:
        check_refillable(row)
    return RefillSelection(member=member, rows=rows)


def find_refill_request(
    *, viewer: Viewer, public_id: uuid.UUID | str, today: dt.date
) -> RefillRequest | None:
    """A refill request for someone the viewer may act for, with its lines, drugs and pharmacy."""
    members = list_family_members_visible_to(viewer=viewer, today=today)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    if not members:
        return None
    request = (
        RefillRequest.objects.select_related("pharmacy", "mail_order")
        .prefetch_related("lines__prescription__drug")
        .filter(public_id=key, member__in=members)
        .first()
    )
    if request is not None:
        request.member = next(m for m in members if m.pk == request.member_id)
    return request


def compute_total(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """Sum of estimates (already engine results); None when any line has no estimate."""
    total = Decimal("0.00")
    for amount in amounts:
        if amount is None:
            return None
        total += amount
    return total


# --- Fulfilment: where a refill goes, and what it costs -----------------------------------------

PICKUP_RADIUS_MILES = 25.0
PICKUP_PHARMACY_LIMIT = 10


def list_delivery_addresses(*, member: Member) -> list[ShippingAddress]:
    """The member's saved shipping addresses (default first); the address on file is the
    other choice."""
    return list(list_shipping_addresses(member=member))


def find_delivery_address(*, member: Member, public_id: uuid.UUID) -> ShippingAddress | None:
    return find_shipping_address(member=member, public_id=public_id)


def list_pickup_pharmacies(*, member: Member) -> list[NearbyPharmacy]:
    """The retail pharmacies in the member's plan network nearest their ZIP code (up to 10
    within 25 miles), nearest first. Empty when the ZIP code is unknown."""
    centroid = find_zip_centroid((member.zip_code or "")[:5])
    network = member.plan.network
    if centroid is None or network is None:
        return []
    nearby = list_nearby_pharmacies(
        latitude=centroid.latitude,
        longitude=centroid.longitude,
        radius_miles=PICKUP_RADIUS_MILES,
        network=network,
        kinds=[PharmacyKind.RETAIL],
        limit=PICKUP_PHARMACY_LIMIT * 3,
    )
    return [p for p in nearby if p.in_network][:PICKUP_PHARMACY_LIMIT]


def find_network_pharmacy(*, member: Member, public_id: uuid.UUID | str) -> Pharmacy | None:
    """A pharmacy by public id if it is in the member's plan network, else None."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Pharmacy.objects.filter(
        public_id=wanted, network_memberships__network_id=member.plan.network_id
    ).first()


def estimate_refill_line(
    *,
    prescription: Prescription,
    fulfilment: Fulfilment | str,
    quantity: Decimal,
    days_supply: int,
    pharmacy: Pharmacy | None,
) -> FillEstimate | None:
    """The benefit engine's estimate for one refill (``prescription.member`` pays); None when
    the pricing rules cannot estimate it (a days supply the channel does not fill)."""
    channel = domain.compute_fill_channel(fulfilment=fulfilment, days_supply=days_supply)
    try:
        return estimate_fill(
            member=prescription.member,
            drug=prescription.drug,
            channel=channel.value,
            days_supply=days_supply,
            quantity=quantity,
            pharmacy=pharmacy if Fulfilment(fulfilment) is Fulfilment.PICKUP else None,
        )
    except PricingError:
        return None


@dataclass(frozen=True)
class ReviewLine:
    row: PrescriptionRow
    quantity: Decimal
    days_supply: int
    estimate: FillEstimate | None

    @property
    def member_pays(self) -> Decimal | None:
        return self.estimate.member_pays if self.estimate is not None else None

    @property
    def is_covered(self) -> bool:
        return self.estimate is None or self.estimate.covered


@dataclass(frozen=True)
class RefillReview:
    """The review step: each line's estimated cost (engine results) and the total."""

    member: Member
    fulfilment: Fulfilment
    pharmacy: Pharmacy | None
    address: ShippingAddress | None
    lines: list[ReviewLine]

    @property
    def total(self) -> Decimal | None:
        return compute_total(line.member_pays for line in self.lines)

    @property
    def can_confirm(self) -> bool:
        return all(line.is_covered for line in self.lines)


def get_refill_review(
    *,
    selection: RefillSelection,
    fulfilment: Fulfilment,
    pharmacy: Pharmacy | None,
    address: ShippingAddress | None,
) -> RefillReview:
    """Price each selected prescription for this fulfilment (full quantity and days supply)."""
    lines = []
    for row in selection.rows:
        rx = row.prescription
        estimate = estimate_refill_line(
            prescription=rx,
            fulfilment=fulfilment,
            quantity=rx.quantity,
            days_supply=rx.days_supply,
            pharmacy=pharmacy,
        )
        lines.append(ReviewLine(row, rx.quantity, rx.days_supply, estimate))
    return RefillReview(selection.member, fulfilment, pharmacy, address, lines)


def list_members_with_active_prescriptions(
    *, drug_ids: Iterable[int], formulary_id: int, today: dt.date
) -> dict[int, set[int]]:
    """Member pk -> the drugs (of `drug_ids`) they hold an active, unexpired prescription for,
    among members covered today by a plan on this formulary. For system jobs (formulary-change
    alerts), never a page: it is not scoped to a viewer."""
    found: dict[int, set[int]] = {}
    rows = (
        Prescription.objects.filter(
            drug_id__in=list(drug_ids),
            status=PrescriptionStatus.ACTIVE,
            expires_on__gte=today,
            member__plan__formulary_id=formulary_id,
            member__coverage_start__lte=today,
        )
        .filter(Q(member__coverage_end__isnull=True) | Q(member__coverage_end__gte=today))
        .values_list("member_id", "drug_id")
    )
    for member_id, drug_id in rows.iterator():
        found.setdefault(member_id, set()).add(drug_id)
    return found
