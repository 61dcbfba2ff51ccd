"""Mail-order use cases that write: placing and cancelling orders, managing shipping addresses.

Each service owns its transaction and records one audit event. Callers pass ``now`` (read from
``core.clock`` at the edge) and the acting user.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rxportal.audit.services import Outcome, record_event
from rxportal.members.models import Member
from rxportal.members.notices import notify_people_who_may_see
from rxportal.orders import domain
from rxportal.orders.domain import MailOrderLineInput
from rxportal.orders.errors import (
    CancelReasonInvalid,
    OrderCannotBeCancelled,
    OrderHasNoLines,
    OrderLineInvalid,
    OrderMixesPatients,
    PrescriptionNotInFamily,
    ShippingAddressInvalid,
    ShippingAddressLimitReached,
    ShippingAddressNotOwned,
    ShipToMissing,
)
from rxportal.orders.models import (
    CancelReason,
    MailOrder,
    MailOrderEvent,
    MailOrderLine,
    OrderStatus,
    PharmacyReason,
    ShippingAddress,
)
from rxportal.pharmacies.selectors import find_zip_centroid

Actor = AbstractBaseUser | AnonymousUser | None

__all__ = [
    "GiveBack",
    "MailOrderLineInput",
    "add_shipping_address",
    "cancel_mail_order",
    "place_mail_order",
    "record_order_status",
    "remove_shipping_address",
    "send_late_order_notices",
    "set_default_shipping_address",
]

_ORDER_NUMBER_ATTEMPTS = 5


# --- Placing an order --------------------------------------------------------------------------


def place_mail_order(
    *,
    member: Member,
    lines: Sequence[MailOrderLineInput],
    address: ShippingAddress | None,
    actor: Actor,
    now: dt.datetime,
    placed_by: Member | None = None,
) -> MailOrder:
    """Create a mail order in status RECEIVED with its first timeline event.

    ``member`` is the order's **patient**: every line must be one of their prescriptions. An
    order is that one person's PHI, so who may see it follows from them and the family-access
    rule, never from who placed it; a refill for two people is two orders. ``placed_by`` is who
    places it (the signed-in member: a parent for a child, a subscriber for a consenting adult;
    by default the patient, as the automatic-refill job does); it must be in the patient's
    family, and the caller has already checked they may act for the patient. ``address`` is one
    of ``placed_by``'s saved shipping addresses, or None for ``placed_by``'s address on file. The
    order number is random (not sequential). Expected delivery is
    ``domain.compute_expected_delivery`` business days after ``now``.

    This service does not touch the prescriptions' refill counts: the caller (the refill
    service) uses a refill per line in the same transaction; ``cancel_refill_order`` there gives them
    back. Raises ``OrderHasNoLines``, ``OrderLineInvalid``, ``PrescriptionNotInFamily``,
    ``OrderMixesPatients``, ``ShippingAddressNotOwned`` or ``ShipToMissing``; nothing is
    written then.
    """
    placed_by = placed_by or member
    if not lines:
        raise OrderHasNoLines(_("Choose at least one prescription to order."))
    for line in lines:
        if not domain.is_valid_line(quantity=line.quantity, days_supply=line.days_supply):
            raise OrderLineInvalid(
                _("Each prescription needs a quantity above 0 and a days supply of 1 to 365."),
                prescription=str(line.prescription.public_id),
            )
    family_ids = set(
        Member.objects.filter(
            Q(pk=member.family_head_id) | Q(subscriber_id=member.family_head_id)
        ).values_list("pk", flat=True)
    )
    if placed_by.pk not in family_ids:
        raise PrescriptionNotInFamily(
            _("One of these prescriptions is not for you or your family.")
        )
    for line in lines:
        if line.prescription.member_id not in family_ids:
            raise PrescriptionNotInFamily(
                _("One of these prescriptions is not for you or your family."),
                prescription=str(line.prescription.public_id),
            )
        if line.prescription.member_id != member.pk:
            raise OrderMixesPatients(
                _("One order can carry the prescriptions of one person only."),
                prescription=str(line.prescription.public_id),
            )
    ship_to = _ship_to(member=placed_by, address=address)

    with transaction.atomic():
        order = MailOrder.objects.create(
            order_number=_new_order_number(),
            member=member,
            status=OrderStatus.RECEIVED,
            ship_to_name=ship_to[0],
            ship_to_address_line=ship_to[1],
            ship_to_city=ship_to[2],
            ship_to_state=ship_to[3],
            ship_to_zip=ship_to[4],
            ordered_at=now,
            expected_delivery=domain.compute_expected_delivery(
                ordered_on=timezone.localtime(now).date()
            ),
        )
        MailOrderLine.objects.bulk_create(
            MailOrderLine(
                order=order,
                prescription_id=line.prescription.pk,
                quantity=line.quantity,
                days_supply=line.days_supply,
            )
            for line in lines
        )
        MailOrderEvent.objects.create(order=order, status=OrderStatus.RECEIVED, occurred_at=now)
        record_event(
            action="order.placed",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=order,
            details={
                "lines": len(lines),
                "ship_to": "saved" if address is not None else "on_file",
                "member": str(member.public_id),
                "placed_by": str(placed_by.public_id),
            },
        )
    return order


def _ship_to(*, member: Member, address: ShippingAddress | None) -> tuple[str, str, str, str, str]:
    if address is not None:
        if address.member_id != member.pk:
            raise ShippingAddressNotOwned(_("That shipping address was not found."))
        return (address.name, address.address_line, address.city, address.state, address.zip_code)
    if not (member.address_line and member.city and member.state and member.zip_code):
        raise ShipToMissing(_("Add a shipping address before ordering by mail."))
    return (member.full_name, member.address_line, member.city, member.state, member.zip_code)


def _new_order_number() -> str:
    """A random order number not yet used (the unique constraint stays the last word)."""
    for _attempt in range(_ORDER_NUMBER_ATTEMPTS):
        number = domain.compute_order_number(secrets.randbits(domain.ORDER_NUMBER_BITS))
        if not MailOrder.objects.filter(order_number=number).exists():
            return number
    raise RuntimeError("could not find an unused order number")  # pragma: no cover


# --- Cancelling an order -----------------------------------------------------------------------


GiveBack = Callable[[MailOrder, list[int]], int]


def cancel_mail_order(
    *, order: MailOrder, actor: Actor, reason: str, now: dt.datetime, give_back: GiveBack
) -> MailOrder:
    """Cancel an order that has not started processing (received, verifying or on hold).

    Locks the order row, writes a CANCELLED event with the reason and clears the expected
    delivery. ``give_back(order, prescription_ids)`` then runs in the same transaction with the
    order's lines' prescriptions (one id per line) and returns how many refills it gave back:
    an order knows nothing of refill counts, so the prescriptions app, which placed the order
    for a refill, passes what undoes it (``prescriptions.services.cancel_refill_order``). Raises
    ``CancelReasonInvalid`` or ``OrderCannotBeCancelled`` (audited as denied); nothing changes
    then.
    """
    if reason not in CancelReason.values:
        raise CancelReasonInvalid(_("Choose why you are cancelling this order."))
    refused_status: str | None = None
    with transaction.atomic():
        locked = MailOrder.objects.select_for_update().get(pk=order.pk)
        if not domain.can_cancel(locked.status):
            refused_status = locked.status
        else:
            locked.status = OrderStatus.CANCELLED
            locked.status_reason = reason
            locked.expected_delivery = None
            locked.save(
                update_fields=["status", "status_reason", "expected_delivery", "updated_at"]
            )
            MailOrderEvent.objects.create(
                order=locked, status=OrderStatus.CANCELLED, reason=reason, occurred_at=now
            )
            restored = give_back(
                locked, list(locked.lines.order_by("pk").values_list("prescription_id", flat=True))
            )
            record_event(
                action="order.cancelled",
                outcome=Outcome.SUCCESS,
                actor=actor,
                subject=locked,
                details={"reason": reason, "refills_restored": restored},
            )
    if refused_status is not None:
        record_event(
            action="order.cancelled",
            outcome=Outcome.DENIED,
            actor=actor,
            subject=order,
            details={"error_code": OrderCannotBeCancelled.code, "status": refused_status},
        )
        raise OrderCannotBeCancelled(_cannot_cancel_message(refused_status), status=refused_status)
    order.refresh_from_db()
    return order


# --- Status changes from the pharmacy, and late orders -----------------------------------------

# The statuses whose change the people who may see the order are told about, by kind.
STATUS_NOTICE_KINDS = {
    OrderStatus.SHIPPED: "orders.shipped",
    OrderStatus.DELIVERED: "orders.delivered",
    OrderStatus.ON_HOLD: "orders.on_hold",
}


def record_order_status(
    *,
    order: MailOrder,
    status: OrderStatus | str,
    now: dt.datetime,
    reason: PharmacyReason | str = "",
    carrier: str = "",
    tracking_number: str = "",
    actor: Actor = None,
) -> MailOrder:
    """The pharmacy moved an order on (verifying, processing, shipped, delivered, on hold).

    Locks the order, sets its status (and carrier and tracking number when shipped), appends
    the timeline event and, for shipped, delivered and on hold, tells the patient and whoever
    may see their records, all in one transaction. The same status again changes nothing and
    tells nobody twice. Cancelling is ``cancel_mail_order``'s (it gives refills back).
    ``reason`` (a ``PharmacyReason``) says why an order is put on hold; it is stored as its code
    and said in the reader's language.
    """
    wanted = OrderStatus(status)
    if wanted == OrderStatus.CANCELLED:
        raise ValueError("Cancel an order with cancel_mail_order (it gives the refills back).")
    if reason and (wanted != OrderStatus.ON_HOLD or reason not in PharmacyReason.values):
        raise ValueError("Only an order put on hold takes a reason, one of PharmacyReason.")
    with transaction.atomic():
        locked = MailOrder.objects.select_for_update().select_related("member").get(pk=order.pk)
        if locked.status == wanted:
            return locked
        locked.status = wanted
        locked.status_reason = str(reason)
        fields = ["status", "status_reason", "updated_at"]
        if carrier or tracking_number:
            locked.carrier, locked.tracking_number = carrier, tracking_number
            fields += ["carrier", "tracking_number"]
        locked.save(update_fields=fields)
        event = MailOrderEvent.objects.create(
            order=locked, status=wanted, reason=str(reason), occurred_at=now
        )
        record_event(
            action="order.status_changed",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=locked,
            details={"status": wanted.value},
        )
        kind = STATUS_NOTICE_KINDS.get(wanted)
        if kind is not None:
            _tell_about_order(
                locked,
                kind=kind,
                key=f"{locked.public_id}:{wanted.value}:{event.pk}",
                today=timezone.localdate(now),
            )
    return locked


# An order later than this is old news (the job was down, or old data): not told about.
LATE_ORDER_LOOKBACK_DAYS = 14


def send_late_order_notices(*, today: dt.date) -> int:
    """Daily: tell the people concerned about each order past its expected delivery date (by
    up to ``LATE_ORDER_LOOKBACK_DAYS`` days) and neither delivered nor cancelled, once per order
    (safe to run every day, and twice). Only orders of a patient or subscriber with an account
    are looked at (nobody else could be told). Each order is told in its own transaction.
    Returns how many orders were looked at and have someone to tell."""
    late = (
        MailOrder.objects.filter(
            expected_delivery__lt=today,
            expected_delivery__gte=today - dt.timedelta(days=LATE_ORDER_LOOKBACK_DAYS),
        )
        .filter(Q(member__user__isnull=False) | Q(member__subscriber__user__isnull=False))
        .exclude(status__in=(OrderStatus.DELIVERED, OrderStatus.CANCELLED))
        .select_related("member")
        .order_by("pk")
    )
    told = 0
    for order in late.iterator(chunk_size=500):
        with transaction.atomic():
            rows = _tell_about_order(
                order, kind="orders.late", key=f"{order.public_id}", today=today
            )
        told += bool(rows)
    return told


def _tell_about_order(order: MailOrder, *, kind: str, key: str, today: dt.date) -> int:
    drug_names = sorted(
        {
            line.prescription.drug.display_name
            for line in MailOrderLine.objects.filter(order=order).select_related(
                "prescription__drug"
            )
        }
    )
    return notify_people_who_may_see(
        member=order.member,
        kind=kind,
        context={
            "order_number": order.order_number,
            "drug_names": ", ".join(drug_names),
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "expected_delivery": order.expected_delivery,
        },
        idempotency_key=key,
        link_path=f"/orders/{order.public_id}/",
        today=today,
    )


def _cannot_cancel_message(status: str) -> str:
    if status == OrderStatus.CANCELLED:
        return _("This order is already cancelled.")
    if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return _("This order has already shipped, so it can no longer be cancelled.")
    return _(
        "The pharmacy has started filling this order, so it can no longer be cancelled. "
        "Call member services if you need help."
    )


# --- Shipping addresses ------------------------------------------------------------------------


def add_shipping_address(
    *,
    member: Member,
    label: str,
    name: str,
    line1: str,
    line2: str,
    city: str,
    state: str,
    zip_code: str,
    make_default: bool,
    actor: Actor,
) -> ShippingAddress:
    """Save a shipping address for the member. The state must be two letters, the ZIP five
    digits or ZIP+4, a ZIP code that exists and lies in that state. The first address becomes
    the default. Raises ``ShippingAddressInvalid`` (``details['field']`` names the field) or
    ``ShippingAddressLimitReached``."""
    clean_state = domain.normalize_state(state)
    if clean_state is None:
        raise ShippingAddressInvalid(
            _("Enter the state as its two-letter code, for example CT."), field="state"
        )
    clean_zip = domain.normalize_zip(zip_code)
    if clean_zip is None:
        raise ShippingAddressInvalid(
            _("Enter a 5-digit ZIP code, or ZIP+4 like 06103-1234."), field="zip_code"
        )
    centroid = find_zip_centroid(clean_zip[:5])
    if centroid is None:
        raise ShippingAddressInvalid(
            _("ZIP code %(zip)s does not exist. Check it and try again.") % {"zip": clean_zip[:5]},
            field="zip_code",
        )
    if centroid.state != clean_state:
        raise ShippingAddressInvalid(
            _("ZIP code %(zip)s is in %(zip_state)s, not %(state)s.")
            % {"zip": clean_zip[:5], "zip_state": centroid.state, "state": clean_state},
            field="zip_code",
        )
    with transaction.atomic():
        existing = list(
            ShippingAddress.objects.select_for_update()
            .filter(member=member)
            .values_list("pk", "is_default")
        )
        if len(existing) >= domain.MAX_SHIPPING_ADDRESSES:
            raise ShippingAddressLimitReached(
                _("You can save up to %(count)d addresses. Remove one to add another.")
                % {"count": domain.MAX_SHIPPING_ADDRESSES}
            )
        is_default = make_default or not any(default for _pk, default in existing)
        if is_default:
            ShippingAddress.objects.filter(member=member, is_default=True).update(is_default=False)
        address = ShippingAddress(
            member=member,
            label=label.strip(),
            name=name.strip(),
            line1=line1.strip(),
            line2=line2.strip(),
            city=city.strip(),
            state=clean_state,
            zip_code=clean_zip,
            is_default=is_default,
        )
        address.full_clean(exclude=["member"], validate_constraints=False)
        address.save(force_insert=True)
        record_event(
            action="order.address.added",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=address,
            details={"is_default": is_default},
        )
    return address


def set_default_shipping_address(*, address: ShippingAddress, actor: Actor) -> ShippingAddress:
    """Make this the member's default shipping address (and no other)."""
    with transaction.atomic():
        list(
            ShippingAddress.objects.select_for_update()
            .filter(member_id=address.member_id)
            .values_list("pk")
        )
        ShippingAddress.objects.filter(member_id=address.member_id, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
        ShippingAddress.objects.filter(pk=address.pk).update(is_default=True)
        record_event(
            action="order.address.default_set",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=address,
        )
    address.is_default = True
    return address


def remove_shipping_address(*, address: ShippingAddress, actor: Actor) -> None:
    """Delete a saved address. When it was the default, the newest remaining one becomes the
    default. Orders keep their own copy of the ship-to, so past orders are unaffected."""
    with transaction.atomic():
        list(
            ShippingAddress.objects.select_for_update()
            .filter(member_id=address.member_id)
            .values_list("pk")
        )
        record_event(
            action="order.address.removed",
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=address,
            details={"was_default": address.is_default},
        )
        ShippingAddress.objects.filter(pk=address.pk).delete()
        if address.is_default:
            successor = (
                ShippingAddress.objects.filter(member_id=address.member_id)
                .order_by("-created_at", "-id")
                .first()
            )
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default", "updated_at"])
