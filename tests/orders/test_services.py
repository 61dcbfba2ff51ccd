"""Mail-order services: placing, cancelling, shipping addresses; every error code and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
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
    OrderStatus,
    ShippingAddress,
)
from rxportal.orders.services import (
    add_shipping_address,
    place_mail_order,
    remove_shipping_address,
    set_default_shipping_address,
)
from rxportal.prescriptions.services import cancel_refill_order
from tests.factories import MemberFactory, PrescriptionFactory
from tests.orders.factories import ShippingAddressFactory, make_centroid, make_order

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC)  # a Friday


def _line(prescription: object, quantity: str = "90", days: int = 90) -> MailOrderLineInput:
    return MailOrderLineInput(
        prescription=prescription, quantity=Decimal(quantity), days_supply=days
    )  # type: ignore[arg-type]


# --- place_mail_order --------------------------------------------------------------------------


def test_place_mail_order_creates_a_received_order_with_lines_event_and_audit(family):
    rx_own = PrescriptionFactory(member=family.subscriber)
    rx_other = PrescriptionFactory(member=family.subscriber)
    address = ShippingAddressFactory(
        member=family.subscriber, line1="9 Oak Road", line2="Apt 2", city="Hartford"
    )

    order = place_mail_order(
        member=family.subscriber,
        lines=[_line(rx_own), _line(rx_other, "30", 30)],
        address=address,
        actor=family.subscriber.user,
        now=NOW,
    )

    order.refresh_from_db()
    assert order.member == family.subscriber
    assert order.status == OrderStatus.RECEIVED
    assert order.ordered_at == NOW
    assert order.ship_to_address_line == "9 Oak Road, Apt 2"
    assert order.ship_to_name == address.name
    assert order.expected_delivery == domain.compute_expected_delivery(ordered_on=NOW.date())
    assert [(line.prescription_id, line.days_supply) for line in order.lines.order_by("id")] == [
        (rx_own.pk, 90),
        (rx_other.pk, 30),
    ]
    events = list(order.events.values_list("status", "occurred_at"))
    assert events == [(OrderStatus.RECEIVED, NOW)]
    audit = AuditEvent.objects.get(action="order.placed")
    assert audit.subject_id == str(order.public_id)
    assert audit.actor_id == family.subscriber.user.pk
    assert audit.details == {
        "lines": 2,
        "ship_to": "saved",
        "member": str(family.subscriber.public_id),
        "placed_by": str(family.subscriber.public_id),
    }


def test_a_parents_order_for_a_child_is_the_childs_shipped_to_the_parent(family):
    """``member`` is the order's patient; ``placed_by`` owns the address it ships to."""
    rx = PrescriptionFactory(member=family.minor_child)
    address = ShippingAddressFactory(member=family.subscriber, line1="9 Oak Road")

    order = place_mail_order(
        member=family.minor_child,
        placed_by=family.subscriber,
        lines=[_line(rx)],
        address=address,
        actor=family.subscriber.user,
        now=NOW,
    )

    assert order.member == family.minor_child
    assert order.ship_to_address_line == "9 Oak Road"
    audit = AuditEvent.objects.get(action="order.placed")
    assert audit.details["member"] == str(family.minor_child.public_id)
    assert audit.details["placed_by"] == str(family.subscriber.public_id)


def test_one_order_carries_one_patients_prescriptions(family):
    """Mixing people would make the order visible to nobody or leak one person's drugs."""
    rx_own = PrescriptionFactory(member=family.subscriber)
    rx_child = PrescriptionFactory(member=family.minor_child)

    with pytest.raises(OrderMixesPatients) as caught:
        place_mail_order(
            member=family.subscriber,
            lines=[_line(rx_own), _line(rx_child)],
            address=None,
            actor=family.subscriber.user,
            now=NOW,
        )

    assert caught.value.code == "order.mixed_patients"
    assert caught.value.details == {"prescription": str(rx_child.public_id)}
    assert not MailOrder.objects.exists()


def test_an_order_placed_by_someone_outside_the_family_is_refused(family):
    rx = PrescriptionFactory(member=family.minor_child)
    with pytest.raises(PrescriptionNotInFamily):
        place_mail_order(
            member=family.minor_child,
            placed_by=MemberFactory(),
            lines=[_line(rx)],
            address=None,
            actor=None,
            now=NOW,
        )
    assert not MailOrder.objects.exists()


def test_place_mail_order_ships_to_the_address_on_file_without_a_saved_address(family):
    rx = PrescriptionFactory(member=family.subscriber)

    order = place_mail_order(
        member=family.subscriber, lines=[_line(rx)], address=None, actor=None, now=NOW
    )

    assert order.ship_to_address_line == family.subscriber.address_line
    assert order.ship_to_zip == family.subscriber.zip_code
    assert order.ship_to_name == family.subscriber.full_name


def test_order_numbers_are_unique_and_not_sequential(family):
    rx = PrescriptionFactory(member=family.subscriber)
    numbers = [
        place_mail_order(
            member=family.subscriber, lines=[_line(rx)], address=None, actor=None, now=NOW
        ).order_number
        for _ in range(5)
    ]
    assert len(set(numbers)) == 5
    assert all(number.startswith("MO-") and len(number) == 14 for number in numbers)
    assert numbers != sorted(numbers) or numbers != sorted(numbers, reverse=True)


@pytest.mark.parametrize(
    ("quantity", "days"), [("0", 30), ("-1", 30), ("90", 0), ("90", 400), ("100000", 30)]
)
def test_place_mail_order_refuses_a_bad_line(family, quantity, days):
    rx = PrescriptionFactory(member=family.subscriber)
    with pytest.raises(OrderLineInvalid) as caught:
        place_mail_order(
            member=family.subscriber,
            lines=[_line(rx, quantity, days)],
            address=None,
            actor=None,
            now=NOW,
        )
    assert caught.value.code == "order.invalid_line"
    assert not MailOrder.objects.exists()


def test_place_mail_order_refuses_no_lines(family):
    with pytest.raises(OrderHasNoLines) as caught:
        place_mail_order(member=family.subscriber, lines=[], address=None, actor=None, now=NOW)
    assert caught.value.code == "order.no_lines"


def test_place_mail_order_refuses_another_familys_prescription(family):
    stranger_rx = PrescriptionFactory(member=MemberFactory())
    with pytest.raises(PrescriptionNotInFamily) as caught:
        place_mail_order(
            member=family.subscriber, lines=[_line(stranger_rx)], address=None, actor=None, now=NOW
        )
    assert caught.value.code == "order.prescription_not_in_family"
    assert not MailOrder.objects.exists()


def test_place_mail_order_refuses_someone_elses_address(family):
    rx = PrescriptionFactory(member=family.subscriber)
    foreign = ShippingAddressFactory(member=MemberFactory())
    with pytest.raises(ShippingAddressNotOwned) as caught:
        place_mail_order(
            member=family.subscriber, lines=[_line(rx)], address=foreign, actor=None, now=NOW
        )
    assert caught.value.code == "order.address_not_owned"


def test_place_mail_order_needs_somewhere_to_ship(family):
    member = family.subscriber
    member.address_line = ""
    member.save()
    rx = PrescriptionFactory(member=member)
    with pytest.raises(ShipToMissing) as caught:
        place_mail_order(member=member, lines=[_line(rx)], address=None, actor=None, now=NOW)
    assert caught.value.code == "order.no_ship_to"


# --- cancelling (cancel_refill_order over orders.services.cancel_mail_order) --------------


@pytest.mark.parametrize(
    "status", [OrderStatus.RECEIVED, OrderStatus.VERIFYING, OrderStatus.ON_HOLD]
)
def test_cancel_mail_order_cancels_an_order_not_yet_processing(family, status):
    order = make_order(member=family.subscriber, status=status)

    cancelled = cancel_refill_order(
        order=order,
        actor=family.subscriber.user,
        reason=CancelReason.NO_LONGER_NEEDED,
        now=clock.now(),
    )

    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.status_reason == "no_longer_needed"
    assert cancelled.expected_delivery is None
    last = MailOrderEvent.objects.filter(order=order).order_by("-occurred_at", "-id").first()
    assert last.status == OrderStatus.CANCELLED
    assert last.reason == "no_longer_needed"
    audit = AuditEvent.objects.get(action="order.cancelled")
    assert audit.outcome == "success"
    assert audit.subject_id == str(order.public_id)
    assert audit.details["reason"] == "no_longer_needed"


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED],
)
def test_cancel_mail_order_refuses_once_processing_started(family, status):
    order = make_order(member=family.subscriber, status=status)
    events_before = order.events.count()

    with pytest.raises(OrderCannotBeCancelled) as caught:
        cancel_refill_order(
            order=order, actor=family.subscriber.user, reason=CancelReason.OTHER, now=clock.now()
        )

    assert caught.value.code == "order.cannot_cancel"
    assert caught.value.message
    order.refresh_from_db()
    assert order.status == status
    assert order.events.count() == events_before
    audit = AuditEvent.objects.get(action="order.cancelled")
    assert audit.outcome == "denied"
    assert audit.details["error_code"] == "order.cannot_cancel"


def test_cancel_mail_order_checks_the_status_under_lock_not_the_stale_object(family):
    order = make_order(member=family.subscriber, status=OrderStatus.VERIFYING)
    MailOrder.objects.filter(pk=order.pk).update(status=OrderStatus.PROCESSING)

    with pytest.raises(OrderCannotBeCancelled):
        cancel_refill_order(order=order, actor=None, reason=CancelReason.OTHER, now=clock.now())


def test_cancel_mail_order_refuses_an_unknown_reason(family):
    order = make_order(member=family.subscriber)
    with pytest.raises(CancelReasonInvalid) as caught:
        cancel_refill_order(order=order, actor=None, reason="because", now=clock.now())
    assert caught.value.code == "order.invalid_cancel_reason"
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


def test_cancel_mail_order_gives_back_one_refill_per_line_never_above_authorized(family):
    order = make_order(member=family.subscriber, lines=2)
    first, second = (line.prescription for line in order.lines.order_by("id"))
    first.refills_authorized, first.refills_remaining = 5, 2
    first.save()
    second.refills_authorized, second.refills_remaining = 3, 3
    second.save()

    cancel_refill_order(order=order, actor=None, reason=CancelReason.OTHER, now=clock.now())

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.refills_remaining == 3
    assert second.refills_remaining == 3  # already at the authorized number
    assert AuditEvent.objects.get(action="order.cancelled").details["refills_restored"] == 1


# --- Shipping addresses ------------------------------------------------------------------------


def _add(member, **overrides):
    fields = {
        "label": "Work",
        "name": "Dana Rivera",
        "line1": "55 Farmington Ave",
        "line2": "",
        "city": "Hartford",
        "state": "ct",
        "zip_code": "06103-1234",
        "make_default": False,
        "actor": member.user,
    }
    fields.update(overrides)
    return add_shipping_address(member=member, **fields)


def test_add_shipping_address_normalizes_and_makes_the_first_one_default(family):
    make_centroid("06103", "CT")

    address = _add(family.subscriber)

    assert address.state == "CT"
    assert address.zip_code == "06103-1234"
    assert address.is_default
    audit = AuditEvent.objects.get(action="order.address.added")
    assert audit.subject_id == str(address.public_id)


def test_add_shipping_address_as_default_replaces_the_old_default(family):
    make_centroid("06103", "CT")
    old = ShippingAddressFactory(member=family.subscriber, is_default=True)

    new = _add(family.subscriber, make_default=True)

    old.refresh_from_db()
    assert new.is_default
    assert not old.is_default


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": "Connecticut"}, "state"),
        ({"state": "C1"}, "state"),
        ({"zip_code": "0610"}, "zip_code"),
        ({"zip_code": "06103-12"}, "zip_code"),
        ({"zip_code": "99999"}, "zip_code"),  # well formed, does not exist
        ({"state": "NY"}, "zip_code"),  # 06103 is in CT
    ],
)
def test_add_shipping_address_refuses_bad_state_or_zip(family, overrides, field):
    make_centroid("06103", "CT")
    with pytest.raises(ShippingAddressInvalid) as caught:
        _add(family.subscriber, **overrides)
    assert caught.value.code == "order.address_invalid"
    assert caught.value.details["field"] == field
    assert not ShippingAddress.objects.exists()


def test_add_shipping_address_has_a_limit(family):
    make_centroid("06103", "CT")
    for _ in range(domain.MAX_SHIPPING_ADDRESSES):
        ShippingAddressFactory(member=family.subscriber)
    with pytest.raises(ShippingAddressLimitReached) as caught:
        _add(family.subscriber)
    assert caught.value.code == "order.address_limit"


def test_the_database_allows_one_default_address_per_member(family):
    from django.db import IntegrityError, transaction

    ShippingAddressFactory(member=family.subscriber, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShippingAddressFactory(member=family.subscriber, is_default=True)


@pytest.mark.parametrize(("field", "value"), [("state", "ct"), ("zip_code", "6103")])
def test_the_database_checks_state_and_zip_format(family, field, value):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ShippingAddressFactory(member=family.subscriber, **{field: value})


def test_set_default_shipping_address_moves_the_default(family):
    first = ShippingAddressFactory(member=family.subscriber, is_default=True)
    second = ShippingAddressFactory(member=family.subscriber)

    set_default_shipping_address(address=second, actor=family.subscriber.user)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    assert AuditEvent.objects.filter(action="order.address.default_set").count() == 1


def test_remove_shipping_address_promotes_the_newest_other_address(family):
    older = ShippingAddressFactory(member=family.subscriber)
    newer = ShippingAddressFactory(member=family.subscriber)
    default = ShippingAddressFactory(member=family.subscriber, is_default=True)

    remove_shipping_address(address=default, actor=family.subscriber.user)

    assert not ShippingAddress.objects.filter(pk=default.pk).exists()
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.is_default and not older.is_default
    assert AuditEvent.objects.filter(action="order.address.removed").count() == 1
