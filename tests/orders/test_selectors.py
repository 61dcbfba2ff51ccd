"""Mail-order reads: the dashboard's orders in progress and the shipping addresses."""

from __future__ import annotations

import datetime as dt

import pytest

from rxportal.core import clock
from rxportal.orders.models import OrderStatus
from rxportal.orders.selectors import (
    find_mail_order,
    list_orders_in_progress,
    list_shipping_addresses,
)
from tests.conftest import Family
from tests.factories import MemberFactory, UserFactory
from tests.orders.factories import ShippingAddressFactory, make_order

pytestmark = pytest.mark.django_db


def test_orders_in_progress_are_open_visible_and_soonest_first(
    family: Family, django_assert_max_num_queries
) -> None:
    today = clock.today()
    later = make_order(
        member=family.subscriber,
        status=OrderStatus.PROCESSING,
        expected_delivery=today + dt.timedelta(days=6),
    )
    sooner = make_order(
        member=family.minor_child,
        status=OrderStatus.SHIPPED,
        expected_delivery=today + dt.timedelta(days=2),
    )
    on_hold = make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    make_order(member=family.subscriber, status=OrderStatus.DELIVERED)
    make_order(member=family.subscriber, status=OrderStatus.CANCELLED)
    make_order(member=family.spouse, status=OrderStatus.RECEIVED)  # adult, no consent
    make_order(member=MemberFactory(), status=OrderStatus.RECEIVED)
    make_order(
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        ordered_at=clock.now() - dt.timedelta(days=600),
    )

    with django_assert_max_num_queries(4):  # member, family, orders, their lines
        orders = list_orders_in_progress(viewer=family.subscriber.user, today=today)
        tracking = [order.tracking_url for order in orders]
        names = [order.patient_first_names[0] for order in orders]

    assert orders == [sooner, later, on_hold]
    assert tracking[0] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert names[0] == family.minor_child.first_name


def test_orders_in_progress_for_the_dashboard_are_limited_without_lines(
    family: Family, django_assert_max_num_queries
) -> None:
    today = clock.today()
    orders = [
        make_order(
            member=family.minor_child if days % 2 else family.subscriber,
            status=OrderStatus.SHIPPED,
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            expected_delivery=today + dt.timedelta(days=days),
        )
        for days in range(6, 0, -1)
    ]
    on_hold = make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    full = list_orders_in_progress(viewer=family.subscriber.user, today=today)

    with django_assert_max_num_queries(3):  # member, family, orders
        shown = list_orders_in_progress(
            viewer=family.subscriber.user, today=today, limit=5, with_lines=False
        )
        seen = [
            (o.order_number, o.member.first_name, o.get_status_display(), o.tracking_url)
            for o in shown
        ]

    # The order on hold needs attention: it stays (last, having no expected date), and the
    # four soonest of the others fill the five.
    assert shown == [*full[:4], on_hold] == [*orders[::-1][:4], on_hold]
    assert len(seen) == 5


def test_orders_in_progress_is_empty_for_non_members(db: None) -> None:
    assert list_orders_in_progress(viewer=UserFactory(role="client"), today=clock.today()) == []


def test_find_mail_order_refuses_bad_and_foreign_ids(family: Family) -> None:
    foreign = make_order(member=MemberFactory())
    viewer = family.subscriber.user
    assert find_mail_order(viewer=viewer, public_id="not-a-uuid", today=clock.today()) is None
    assert find_mail_order(viewer=viewer, public_id=foreign.public_id, today=clock.today()) is None


def test_shipping_addresses_default_first_then_newest(family: Family) -> None:
    first = ShippingAddressFactory(member=family.subscriber)
    default = ShippingAddressFactory(member=family.subscriber, is_default=True)
    newest = ShippingAddressFactory(member=family.subscriber)
    ShippingAddressFactory(member=MemberFactory())

    assert list(list_shipping_addresses(member=family.subscriber)) == [default, newest, first]
