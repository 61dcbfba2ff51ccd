"""Use cases that write: refills (by the member or automatic), the auto-refill switch, renewals.

Every service owns its transaction, re-checks every rule on locked rows, and records an audit
event. Refills are idempotent: the same requester and idempotency key always give back the
first request, even when two requests race (the unique constraint decides).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rxportal.audit.services import Outcome, record_event
from rxportal.core.errors import DomainError
from rxportal.core.record_versions import bump_member_records
from rxportal.members.models import Member
from rxportal.members.notices import notify_people_who_may_see
from rxportal.members.selectors import list_family_members_visible_to
from rxportal.orders.domain import (
    MailOrderLineInput,
    compute_restored_refills,
    count_refills_to_restore,
)
from rxportal.orders.services import cancel_mail_order, place_mail_order
from rxportal.prescriptions import domain, errors
from rxportal.prescriptions.domain import Fulfilment, RefillStatus
from rxportal.prescriptions.models import (
    Prescription,
    PrescriptionStatus,
    RefillRequest,
    RefillRequestLine,
    RefillRequestStatus,
    RenewalRequest,
    RenewalStatus,
)
from rxportal.prescriptions.selectors import (
    annotate_open_orders,
    check_refillable,
    compute_row,
    estimate_refill_line,
    find_delivery_address,
    find_network_pharmacy,
    find_prescriptions_on_order,
    in_open_order,
    list_delivery_addresses,
)

if TYPE_CHECKING:
    from rxportal.orders.models import MailOrder
    from rxportal.pharmacies.models import Pharmacy

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class RefillLineInput:
    """One prescription to refill; quantity and days supply default to the prescription's."""

    prescription_id: uuid.UUID
    quantity: Decimal | None = None
    days_supply: int | None = None


# --- Refills -------------------------------------------------------------------------------------


def request_refill(
    *,
    actor: Actor,
    member_id: uuid.UUID,
    lines: Sequence[RefillLineInput],
    fulfilment: Fulfilment | str,
    idempotency_key: uuid.UUID,
    pharmacy_id: uuid.UUID | None = None,
    address_id: uuid.UUID | None = None,
    today: dt.date,
    now: dt.datetime,
) -> RefillRequest:
    """Refill prescriptions of one person the actor may act for, by mail or for pick-up.

    The same actor and ``idempotency_key`` return the first request (a double submit, or two
    concurrent ones, place one order). Re-checks on locked prescriptions: visible to the actor,
    the person's, active, not expired, refills left, not too soon, quantity and days supply
    within the prescription; a pick-up pharmacy in the plan's network; a mail address of the
    actor's. Uses one refill per line and records the fill date (the refill-too-soon clock).
    Raises ``RefillError`` subclasses (codes ``refill.*``); nothing is written then, and the
    refusal is audited.
    """
    if not actor.is_authenticated:
        raise errors.RefillNotFound(_("Sign in to refill prescriptions."))
    existing = _find_existing(requested_by=actor, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    members = list_family_members_visible_to(viewer=actor, today=today)
    member = next((m for m in members if m.public_id == member_id), None)
    try:
        if member is None:
            raise errors.RefillNotFound(
                _("We could not find that prescription. Choose from your list."),
            )
        return _place_refill(
            actor=actor,
            orderer=members[0],
            member=member,
            lines=lines,
            fulfilment=Fulfilment(fulfilment),
            pharmacy_id=pharmacy_id,
            address_id=address_id,
            idempotency_key=idempotency_key,
            is_automatic=False,
            today=today,
            now=now,
        )
    except errors.RefillError as error:
        record_event(
            action="prescription.refill.requested",
            outcome=Outcome.DENIED,
            actor=actor,
            subject=member,
            details={"error_code": error.code, "lines": len(lines), "fulfilment": str(fulfilment)},
        )
        raise


def _find_existing(
    *, requested_by: Actor | None, idempotency_key: uuid.UUID
) -> RefillRequest | None:
    if requested_by is None:
        rows = RefillRequest.objects.filter(requested_by__isnull=True)
    else:
        rows = RefillRequest.objects.filter(requested_by_id=requested_by.pk)
    return rows.filter(idempotency_key=idempotency_key).first()


def _place_refill(
    *,
    actor: Actor | None,
    orderer: Member,
    member: Member,
    lines: Sequence[RefillLineInput],
    fulfilment: Fulfilment,
    pharmacy_id: uuid.UUID | None,
    address_id: uuid.UUID | None,
    idempotency_key: uuid.UUID,
    is_automatic: bool,
    today: dt.date,
    now: dt.datetime,
    auto_refill_due_on: dt.date | None = None,
) -> RefillRequest:
    """The shared body of member and automatic refills: ``member`` is who the prescriptions are
    for, and so the mail order's patient (who may see the order follows from them); ``orderer``
    places it and owns the shipping address (the signed-in member, or the patient for the
    automatic-refill job). An automatic refill tells the people who may see the patient's
    records in its transaction (``auto_refill_due_on`` makes the message's key)."""
    if not lines:
        raise errors.RefillNothingSelected(_("Choose at least one prescription to refill."))
    if len(lines) > domain.MAX_LINES_PER_REFILL:
        raise errors.RefillTooMany(
            _("Choose at most %(count)d prescriptions at a time.")
            % {"count": domain.MAX_LINES_PER_REFILL}
        )
    wanted = {line.prescription_id for line in lines}
    if len(wanted) != len(lines):
        raise errors.RefillNothingSelected(_("Each prescription can be chosen only once."))
    pharmacy = _pharmacy_for(member=member, fulfilment=fulfilment, pharmacy_id=pharmacy_id)
    address = None
    if fulfilment is Fulfilment.MAIL and address_id is not None:
        address = find_delivery_address(member=orderer, public_id=address_id)
        if address is None:
            raise errors.RefillAddressNotFound(
                _("That shipping address was not found. Choose one from the list.")
            )
    requested_by = actor if actor is not None and actor.is_authenticated else None
    try:
        with transaction.atomic():
            locked = {
                rx.public_id: rx
                for rx in Prescription.objects.select_for_update()
                .filter(member=member, public_id__in=wanted)
                .order_by("pk")
            }
            # A request that committed while we waited for the locks wins: return it.
            existing = _find_existing(requested_by=requested_by, idempotency_key=idempotency_key)
            if existing is not None:
                return existing
            # Asked after the locks, in a statement of its own: an order another request
            # placed while we waited counts.
            on_order = find_prescriptions_on_order(
                prescription_ids=[rx.pk for rx in locked.values()], today=today
            )
            request = RefillRequest.objects.create(
                member=member,
                requested_by_id=requested_by.pk if requested_by is not None else None,
                idempotency_key=idempotency_key,
                fulfilment=fulfilment.value,
                pharmacy=pharmacy,
                is_automatic=is_automatic,
                status=(
                    RefillRequestStatus.SENT_TO_PHARMACY
                    if fulfilment is Fulfilment.PICKUP
                    else RefillRequestStatus.SUBMITTED
                ),
            )
            request_lines = []
            for line in lines:
                rx = locked.get(line.prescription_id)
                if rx is None:
                    raise errors.RefillNotFound(
                        _("We could not find that prescription. Choose from your list."),
                        prescription=str(line.prescription_id),
                    )
                rx.member = member
                quantity, days_supply = _check_refillable(
                    rx, line, today=today, has_open_order=rx.pk in on_order
                )
                estimate = estimate_refill_line(
                    prescription=rx,
                    fulfilment=fulfilment,
                    quantity=quantity,
                    days_supply=days_supply,
                    pharmacy=pharmacy,
                )
                if estimate is not None and not estimate.covered:
                    raise errors.RefillNotCovered(
                        _(
                            "Your plan does not cover this prescription this way. "
                            "Call member services for your options."
                        ),
                        prescription=str(rx.public_id),
                    )
                request_lines.append(
                    RefillRequestLine(
                        request=request,
                        prescription=rx,
                        quantity=quantity,
                        days_supply=days_supply,
                        estimated_member_cost=estimate.member_pays if estimate else None,
                        previous_last_filled_on=rx.last_filled_on,
                    )
                )
                if domain.fill_counts_as_refill(
                    dea_schedule=rx.drug.dea_schedule, last_filled_on=rx.last_filled_on
                ):
                    rx.refills_remaining -= 1
                rx.last_filled_on = today
                rx.save(update_fields=["refills_remaining", "last_filled_on", "updated_at"])
            RefillRequestLine.objects.bulk_create(request_lines)
            if fulfilment is Fulfilment.MAIL:
                request.mail_order = place_mail_order(
                    member=member,
                    placed_by=orderer,
                    lines=[
                        MailOrderLineInput(
                            prescription=line.prescription,
                            quantity=line.quantity,
                            days_supply=line.days_supply,
                        )
                        for line in request_lines
                    ],
                    address=address,
                    actor=requested_by,
                    now=now,
                )
                request.save(update_fields=["mail_order", "updated_at"])
            record_event(
                action=(
                    "prescription.auto_refill.placed"
                    if is_automatic
                    else "prescription.refill.requested"
                ),
                outcome=Outcome.SUCCESS,
                actor=requested_by,
                subject=request,
                details={
                    "lines": len(request_lines),
                    "fulfilment": fulfilment.value,
                    "member": str(member.public_id),
                    "mail_order": str(request.mail_order.public_id) if request.mail_order else "",
                },
            )
            if is_automatic:
                _tell_auto_refill_placed(request, request_lines, key_date=auto_refill_due_on)
    except IntegrityError:
        # Two requests with one key raced past the look-up: the loser's insert hit the unique
        # constraint. Return the winner's request; anything else is a real integrity error.
        existing = _find_existing(requested_by=requested_by, idempotency_key=idempotency_key)
        if existing is None:
            raise
        return existing
    return request


def _check_refillable(
    rx: Prescription, line: RefillLineInput, *, today: dt.date, has_open_order: bool
) -> tuple[Decimal, int]:
    """The rules of a refill on a locked prescription; returns the line's quantity and days."""
    check_refillable(compute_row(rx, today=today, has_open_order=has_open_order))
    ref = {"prescription": str(rx.public_id)}
    quantity = rx.quantity if line.quantity is None else line.quantity
    days_supply = rx.days_supply if line.days_supply is None else line.days_supply
    if not (Decimal(0) < quantity <= rx.quantity and 1 <= days_supply <= rx.days_supply):
        raise errors.RefillBadQuantity(
            _(
                "The quantity must be more than 0 and no more than the prescription allows, "
                "and the days supply no more than the prescription's."
            ),
            **ref,
        )
    return quantity, days_supply


def _pharmacy_for(
    *, member: Member, fulfilment: Fulfilment, pharmacy_id: uuid.UUID | None
) -> Pharmacy | None:
    if fulfilment is Fulfilment.MAIL:
        return None
    if pharmacy_id is None:
        raise errors.RefillPharmacyRequired(_("Choose a pharmacy to pick up your refill."))
    pharmacy = find_network_pharmacy(member=member, public_id=pharmacy_id)
    if pharmacy is None:
        raise errors.RefillPharmacyNotInNetwork(
            _("That pharmacy is not in your plan's network. Choose one from the list.")
        )
    return pharmacy


def cancel_refill_order(
    *, order: MailOrder, actor: Actor | None, reason: str, now: dt.datetime
) -> MailOrder:
    """Cancel a mail order (``orders.services.cancel_mail_order``) and, in its transaction, give
    back what placing it for a refill took: one refill per line (never above the refills
    authorized) and the prescriptions' last fill dates. Raises what ``cancel_mail_order``
    raises; nothing changes then."""
    return cancel_mail_order(
        order=order, actor=actor, reason=reason, now=now, give_back=_give_back_refills
    )


def _give_back_refills(order: MailOrder, prescription_ids: list[int]) -> int:
    """The refills an order's lines used (one a line) and the fill dates its refill recorded;
    returns how many refills were actually restored."""
    counts = count_refills_to_restore(prescription_ids)
    restored = 0
    prescriptions = (
        Prescription.objects.select_for_update()
        .filter(pk__in=counts)
        .order_by("pk")
        .only("pk", "member_id", "refills_remaining", "refills_authorized")
    )
    for prescription in prescriptions:
        # A queryset update sends no signal: the patient's cached pages are told here.
        bump_member_records([prescription.member_id])
        new_remaining = compute_restored_refills(
            remaining=prescription.refills_remaining,
            authorized=prescription.refills_authorized,
            restore=counts[prescription.pk],
        )
        if new_remaining != prescription.refills_remaining:
            restored += new_remaining - prescription.refills_remaining
            Prescription.objects.filter(pk=prescription.pk).update(
                refills_remaining=new_remaining, updated_at=timezone.now()
            )
    restore_fill_dates_of_mail_order(mail_order_id=order.pk)
    return restored


def restore_fill_dates_of_mail_order(*, mail_order_id: int) -> int:
    """For a cancelled mail order placed by a refill: put back each prescription's last fill
    date as it was before the refill (so the refill-too-soon clock does not block a new
    request). Called by ``cancel_refill_order`` inside the cancelling transaction, after the
    refill counts. Returns how many prescriptions changed."""
    # One transaction, so the commit-time bump comes after the UPDATEs a cached page would miss.
    with transaction.atomic():
        changed = 0
        lines = RefillRequestLine.objects.filter(
            request__mail_order_id=mail_order_id
        ).select_related("request")
        bump_member_records(
            Prescription.objects.filter(
                pk__in=[line.prescription_id for line in lines]
            ).values_list("member_id", flat=True)
        )
        for line in lines:
            changed += Prescription.objects.filter(
                pk=line.prescription_id, last_filled_on=timezone.localdate(line.request.created_at)
            ).update(last_filled_on=line.previous_last_filled_on)
        RefillRequest.objects.filter(mail_order_id=mail_order_id).update(
            status=RefillRequestStatus.CANCELLED
        )
        return changed


# --- Automatic refills ---------------------------------------------------------------------------


def set_auto_refill(
    *, actor: Actor, prescription_id: uuid.UUID, enabled: bool, today: dt.date
) -> Prescription:
    """Switch automatic mail refills on or off for a prescription the actor may act for."""
    members = list_family_members_visible_to(viewer=actor, today=today)
    with transaction.atomic():
        rx = (
            Prescription.objects.select_for_update()
            .filter(public_id=prescription_id, member__in=members)
            .first()
        )
        if rx is None:
            raise errors.PrescriptionNotFound(_("We could not find that prescription."))
        if enabled:
            _check_auto_refill_allowed(rx, today=today)
        if rx.auto_refill != enabled:
            rx.auto_refill = enabled
            rx.save(update_fields=["auto_refill", "updated_at"])
        record_event(
            action="prescription.auto_refill.changed",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=rx,
            details={"enabled": enabled},
        )
    return rx


def _check_auto_refill_allowed(rx: Prescription, *, today: dt.date) -> None:
    """Why automatic refills cannot be turned on for this prescription, if they cannot."""
    ref = {"prescription": str(rx.public_id)}
    # An open order does not stop the switch: the job orders the refill after that one.
    row = compute_row(rx, today=today, has_open_order=False)
    status = row.status
    if status is RefillStatus.EXPIRED:
        raise errors.RefillExpired(
            _("This prescription has expired, so it cannot be refilled automatically."), **ref
        )
    # By schedule, not status: the first fill of a Schedule II prescription is allowed, but
    # never automatically.
    if not row.can_refill_automatically:
        if rx.drug.dea_schedule == domain.DeaSchedule.CII:
            raise errors.RefillScheduleII(
                _(
                    "Automatic refills are not allowed for a Schedule II controlled substance: "
                    "federal law does not allow refills, so each fill needs a new prescription."
                ),
                **ref,
            )
        raise errors.RefillScheduleII(
            _(
                "Automatic refills are not allowed for this controlled substance: it cannot be "
                "refilled."
            ),
            **ref,
        )
    if status is RefillStatus.CONTROLLED_LIMIT:
        raise errors.RefillControlledLimit(
            _(
                "This controlled substance has reached its refill limit (five refills within six "
                "months of the date it was written), so it cannot be refilled automatically."
            ),
            **ref,
        )


# Why a due automatic refill was not placed, by the prescription's status.
_BLOCKED_CODES = {
    RefillStatus.EXPIRED: errors.RefillExpired.code,
    RefillStatus.SCHEDULE_II: errors.RefillScheduleII.code,
    RefillStatus.NO_REFILLS_LEFT: errors.RefillNoneLeft.code,
    RefillStatus.CONTROLLED_LIMIT: errors.RefillControlledLimit.code,
}


@dataclass
class AutoRefillRun:
    """What one run of the daily automatic-refill job did (counts and public ids)."""

    placed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # prescription public id -> error code
    # Due, but out of refills or expired: nothing ordered, the people concerned told once.
    blocked: dict[str, str] = field(default_factory=dict)


def run_due_auto_refills(
    *, today: dt.date, now: dt.datetime, member_ids: Collection[int] | None = None
) -> AutoRefillRun:
    """Place a mail refill for each automatic-refill prescription whose next refill date is
    today or past and that has refills left, has not expired and is in no open mail order
    (``selectors.compute_row``, the rule of the dashboard and the refill service). Each order is placed as the
    prescription's patient (never as their subscriber), shipped to the patient's default
    address or address on file.

    Safe to run twice, or in two workers at once: each refill's idempotency key is derived from
    the prescription and its due date. A prescription that fails (not covered, no address on
    file...) is reported in the result and audited; the others still go ahead. One that came
    due in the last ``AUTO_REFILL_BLOCKED_NOTICE_DAYS`` days and that cannot be refilled (no
    refills left, expired, a Schedule II drug, a Schedule III-V one at its refill limit: the
    status of ``compute_row``) is reported as blocked. Whoever may see the patient's records is told, in the order's (or the
    refusal's) transaction and once per prescription and due date: the order placed with its
    estimated cost, or why it was not and what to do. ``member_ids`` limits the run to these
    patients (the demo seed runs it for its family).
    """
    run = AutoRefillRun()
    candidates = annotate_open_orders(
        Prescription.objects.select_related("member", "drug").filter(
            auto_refill=True,
            status__in=(PrescriptionStatus.ACTIVE, PrescriptionStatus.EXPIRED),
            expires_on__gte=today - dt.timedelta(days=domain.RECENTLY_EXPIRED_DAYS),
        ),
        today=today,
    ).order_by("pk")
    if member_ids is not None:
        candidates = candidates.filter(member_id__in=member_ids)
    for rx in candidates.iterator(chunk_size=500):
        # On order (an order still open) is not due: the job leaves it, as the dashboard does.
        row = compute_row(rx, today=today, has_open_order=in_open_order(rx))
        due_on = row.next_refill_date or today
        code = _BLOCKED_CODES.get(row.status)
        if code is not None:
            if due_on <= today and (today - due_on).days <= AUTO_REFILL_BLOCKED_NOTICE_DAYS:
                _record_auto_refill_blocked(
                    rx, action=ACTION_AUTO_REFILL_BLOCKED, code=code, due_on=due_on, today=today
                )
                run.blocked[str(rx.public_id)] = code
            continue
        # The first fill of a Schedule II prescription is the member's to order, never the job's.
        if row.status is not RefillStatus.REFILL_NOW or not row.can_refill_automatically:
            continue
        key = domain.compute_auto_refill_key(prescription_public_id=rx.public_id, due_on=due_on)
        if _find_existing(requested_by=None, idempotency_key=key) is not None:
            continue
        try:
            # The job orders as the prescription's patient, to the patient's own default
            # address (or address on file): an adult dependent's refill is hers, and the
            # subscriber sees it only while she grants access (a minor's: always).
            request = _place_refill(
                actor=None,
                orderer=rx.member,
                member=rx.member,
                lines=[RefillLineInput(prescription_id=rx.public_id)],
                fulfilment=Fulfilment.MAIL,
                pharmacy_id=None,
                address_id=_default_address_id(rx.member),
                idempotency_key=key,
                is_automatic=True,
                today=today,
                now=now,
                auto_refill_due_on=due_on,
            )
        except DomainError as error:  # one prescription's problem must not stop the others
            run.failed[str(rx.public_id)] = error.code
            _record_auto_refill_blocked(
                rx, action=ACTION_AUTO_REFILL_PLACED, code=error.code, due_on=due_on, today=today
            )
            logger.warning("auto refill of %s failed: %s", rx.public_id, error.code)
            continue
        run.placed.append(str(request.public_id))
    return run


# A refill that came due while its prescription had no refills left or had expired is told
# about for this many days after its due date (so a job that missed a day still tells).
AUTO_REFILL_BLOCKED_NOTICE_DAYS = 7
ACTION_AUTO_REFILL_PLACED = "prescription.auto_refill.placed"  # a failure: the order was refused
ACTION_AUTO_REFILL_BLOCKED = "prescription.auto_refill.blocked"  # due with no refills, or expired


def _record_auto_refill_blocked(
    rx: Prescription, *, action: str, code: str, due_on: dt.date, today: dt.date
) -> None:
    """Audit the refused automatic refill and tell the people concerned, in one transaction."""
    with transaction.atomic():
        record_event(
            action=action,
            outcome=Outcome.FAILURE,
            subject=rx,
            details={"error_code": code},
        )
        notify_people_who_may_see(
            member=rx.member,
            kind="prescriptions.auto_refill_blocked",
            context={
                "drug_name": rx.drug.display_name,
                "reason": code,
                "renewal_requested": RenewalRequest.objects.filter(
                    prescription=rx, status=RenewalStatus.PENDING
                ).exists(),
            },
            idempotency_key=f"{rx.public_id}:{due_on}",
            link_path="/prescriptions/",
            today=today,
        )


def _tell_auto_refill_placed(
    request: RefillRequest, lines: Sequence[RefillRequestLine], *, key_date: dt.date | None
) -> None:
    """Inside the order's transaction: the order, with its cost from the engine's estimate
    stored on the lines."""
    costs = [line.estimated_member_cost for line in lines]
    order = request.mail_order
    first = lines[0].prescription
    notify_people_who_may_see(
        member=request.member,
        kind="prescriptions.auto_refill_placed",
        context={
            "drug_name": ", ".join(line.prescription.drug.display_name for line in lines),
            "order_number": order.order_number if order else "",
            "member_cost": (
                sum((cost for cost in costs if cost is not None), Decimal(0))
                if costs and None not in costs
                else None
            ),
            "expected_delivery": order.expected_delivery if order else None,
        },
        idempotency_key=f"{first.public_id}:{key_date or timezone.localdate(request.created_at)}",
        link_path=f"/orders/{order.public_id}/" if order else "/prescriptions/",
        today=timezone.localdate(request.created_at),
    )


def _default_address_id(member: Member) -> uuid.UUID | None:
    default = next((a for a in list_delivery_addresses(member=member) if a.is_default), None)
    return default.public_id if default is not None else None


# --- Renewals ------------------------------------------------------------------------------------


def request_renewal(*, actor: Actor, prescription_id: uuid.UUID, today: dt.date) -> RenewalRequest:
    """Ask the prescriber to renew a prescription with no refills left, or expired.

    One open request per prescription: asking again returns the pending request (also when
    two requests race: the conditional unique constraint decides). Raises
    ``PrescriptionNotFound`` or ``RenewalNotNeeded``.
    """
    if not actor.is_authenticated:
        raise errors.PrescriptionNotFound(_("We could not find that prescription."))
    members = list_family_members_visible_to(viewer=actor, today=today)
    try:
        with transaction.atomic():
            rx = (
                Prescription.objects.select_for_update()
                .filter(public_id=prescription_id, member__in=members)
                .first()
            )
            if rx is None:
                raise errors.PrescriptionNotFound(_("We could not find that prescription."))
            pending = RenewalRequest.objects.filter(
                prescription=rx, status=RenewalStatus.PENDING
            ).first()
            if pending is not None:
                return pending
            on_order = rx.pk in find_prescriptions_on_order(prescription_ids=[rx.pk], today=today)
            row = compute_row(rx, today=today, has_open_order=on_order)
            if not domain.can_request_renewal(row.status):
                raise errors.RenewalNotNeeded(
                    _("This prescription still has refills. Refill it instead of renewing it."),
                    prescription=str(rx.public_id),
                )
            renewal = RenewalRequest(prescription=rx)
            renewal.requested_by_id = actor.pk
            renewal.save(force_insert=True)
            record_event(
                action="prescription.renewal.requested",
                outcome=Outcome.SUCCESS,
                actor=actor,
                subject=renewal,
                details={"prescription": str(rx.public_id)},
            )
    except IntegrityError:
        pending = RenewalRequest.objects.filter(
            prescription__public_id=prescription_id, status=RenewalStatus.PENDING
        ).first()
        if pending is None:
            raise
        return pending
    return renewal
