"""Factories for mail orders and shipping addresses (the shared ones are in tests/factories.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from rxportal.core import clock
from rxportal.orders.models import (
    MailOrder,
    MailOrderEvent,
    MailOrderLine,
    OrderStatus,
    ShippingAddress,
)
from rxportal.pharmacies.models import ZipCentroid
from tests.factories import MemberFactory, PrescriptionFactory


class MailOrderFactory(DjangoModelFactory):
    """An order in status RECEIVED placed a day ago, with no lines or events (see make_order)."""

    class Meta:
        model = MailOrder

    order_number = factory.Sequence(lambda n: f"MO-TEST-{n:06d}")
    member = factory.SubFactory(MemberFactory)
    status = OrderStatus.RECEIVED
    ship_to_name = "Dana Rivera"
    ship_to_address_line = "1 Elm Street"
    ship_to_city = "Hartford"
    ship_to_state = "CT"
    ship_to_zip = "06103"
    ordered_at = factory.LazyFunction(lambda: clock.now() - dt.timedelta(days=1))
    expected_delivery = factory.LazyFunction(lambda: clock.today() + dt.timedelta(days=4))


class MailOrderLineFactory(DjangoModelFactory):
    class Meta:
        model = MailOrderLine

    order = factory.SubFactory(MailOrderFactory)
    prescription = factory.SubFactory(
        PrescriptionFactory, member=factory.SelfAttribute("..order.member")
    )
    quantity = Decimal("90.000")
    days_supply = 90


class ShippingAddressFactory(DjangoModelFactory):
    class Meta:
        model = ShippingAddress

    member = factory.SubFactory(MemberFactory)
    label = "Home"
    name = "Dana Rivera"
    line1 = "1 Elm Street"
    line2 = ""
    city = "Hartford"
    state = "CT"
    zip_code = "06103"
    is_default = False


PATH_BEFORE = {
    OrderStatus.RECEIVED: [],
    OrderStatus.VERIFYING: [OrderStatus.RECEIVED],
    OrderStatus.PROCESSING: [OrderStatus.RECEIVED, OrderStatus.VERIFYING],
    OrderStatus.SHIPPED: [OrderStatus.RECEIVED, OrderStatus.VERIFYING, OrderStatus.PROCESSING],
    OrderStatus.DELIVERED: [
        OrderStatus.RECEIVED,
        OrderStatus.VERIFYING,
        OrderStatus.PROCESSING,
        OrderStatus.SHIPPED,
    ],
    OrderStatus.ON_HOLD: [OrderStatus.RECEIVED, OrderStatus.VERIFYING],
    OrderStatus.CANCELLED: [OrderStatus.RECEIVED],
}


def make_order(
    *, member: object, status: str = OrderStatus.RECEIVED, lines: int = 1, **kwargs: object
) -> MailOrder:
    """An order in ``status`` with ``lines`` lines and the events of the path that led there."""
    if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        kwargs.setdefault("carrier", "UPS")
        kwargs.setdefault("tracking_number", "1Z999AA10123456784")
    if status in (OrderStatus.ON_HOLD, OrderStatus.CANCELLED):
        kwargs.setdefault("status_reason", "prior_authorization")
        kwargs.setdefault("expected_delivery", None)
    order = MailOrderFactory(member=member, status=status, **kwargs)
    for _ in range(lines):
        MailOrderLineFactory(order=order)
    at = order.ordered_at
    for step in [*PATH_BEFORE[OrderStatus(status)], status]:
        reason = order.status_reason if step == status and order.status_reason else ""
        MailOrderEvent.objects.create(order=order, status=step, reason=reason, occurred_at=at)
        at += dt.timedelta(hours=5)
    return order


def make_centroid(zip_code: str = "06103", state: str = "CT") -> ZipCentroid:
    return ZipCentroid.objects.get_or_create(
        zip_code=zip_code,
        defaults={
            "latitude": 41.76,
            "longitude": -72.67,
            "state": state,
            "place_names": "Hartford",
        },
    )[0]
