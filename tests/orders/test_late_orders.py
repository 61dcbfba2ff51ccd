"""Orders that need attention: an order past its expected delivery date is flagged as late, with
whom to call (the one contact source), on the orders list, the order page and the dashboard; and
the dashboard keeps every late or on-hold order, however many newer orders there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.core import clock
from rxportal.members.selectors import get_support_contacts
from rxportal.orders import domain
from rxportal.orders.domain import Attention
from rxportal.orders.models import OrderStatus
from rxportal.orders.selectors import find_mail_order, list_mail_orders, list_orders_in_progress
from rxportal.web.selectors import find_member_dashboard
from tests.conftest import Family
from tests.orders.factories import make_order

TODAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("status", "expected", "attention"),
    [
        (OrderStatus.SHIPPED, TODAY - dt.timedelta(days=1), Attention.LATE),
        (OrderStatus.PROCESSING, TODAY - dt.timedelta(days=3), Attention.LATE),
        (OrderStatus.SHIPPED, TODAY, None),  # due today is not late yet
        (OrderStatus.SHIPPED, TODAY + dt.timedelta(days=2), None),
        (OrderStatus.DELIVERED, TODAY - dt.timedelta(days=3), None),
        (OrderStatus.CANCELLED, None, None),
        (OrderStatus.ON_HOLD, None, Attention.ON_HOLD),
        (OrderStatus.RECEIVED, None, None),
    ],
)
def test_what_needs_attention(
    status: str, expected: dt.date | None, attention: Attention | None
) -> None:
    assert (
        domain.compute_attention(status=status, expected_delivery=expected, today=TODAY)
        is attention
    )


def late_order(family: Family, today: dt.date, **kwargs: object):
    return make_order(
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        ordered_at=clock.now() - dt.timedelta(days=10),
        expected_delivery=today - dt.timedelta(days=2),
        **kwargs,
    )


@pytest.mark.django_db
def test_the_selectors_mark_late_orders(family: Family, today: dt.date) -> None:
    late = late_order(family, today)
    on_time = make_order(member=family.subscriber, status=OrderStatus.SHIPPED)
    viewer = family.subscriber.user

    listed = {order.pk: order for order in list_mail_orders(viewer=viewer, today=today).orders}
    found = find_mail_order(viewer=viewer, public_id=late.public_id, today=today)
    in_progress = {o.pk: o for o in list_orders_in_progress(viewer=viewer, today=today)}

    assert listed[late.pk].is_late and not listed[on_time.pk].is_late
    assert found is not None and found.is_late
    assert in_progress[late.pk].is_late and not in_progress[on_time.pk].is_late


@pytest.mark.django_db
def test_the_dashboard_keeps_every_order_that_needs_attention(
    family: Family, today: dt.date
) -> None:
    """Six orders arriving on time, and older ones on hold or late: the five shown used to be
    the soonest expected, so an order on hold (no expected date) dropped off."""
    on_hold = make_order(
        member=family.subscriber,
        status=OrderStatus.ON_HOLD,
        ordered_at=clock.now() - dt.timedelta(days=9),
    )
    late = late_order(family, today)
    for days in range(1, 7):
        make_order(
            member=family.subscriber,
            status=OrderStatus.SHIPPED,
            expected_delivery=today + dt.timedelta(days=days),
        )

    dashboard = find_member_dashboard(viewer=family.subscriber.user, today=today)

    assert dashboard is not None
    shown = dashboard.orders_in_progress
    assert on_hold in shown and late in shown
    assert len(shown) == 5  # the attention ones, then the soonest of the rest
    assert [o.attention for o in shown].count(None) == 3


@pytest.mark.django_db
def test_the_pages_flag_a_late_order_and_say_whom_to_call(
    client: Client, family: Family, today: dt.date
) -> None:
    late = late_order(family, today)
    client.force_login(family.subscriber.user)
    phone = get_support_contacts(viewer=family.subscriber.user).member_phone

    pages = {
        "list": client.get(reverse("orders:list")).content.decode(),
        "detail": client.get(reverse("orders:detail", args=[late.public_id])).content.decode(),
        "dashboard": client.get(reverse("web:dashboard")).content.decode(),
    }

    for name, html in pages.items():
        assert "Late" in html, name
        assert f"Call member services at {phone}" in html, name
        assert "has not arrived" in html, name


@pytest.mark.django_db
def test_an_order_on_time_is_not_flagged(client: Client, family: Family, today: dt.date) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.SHIPPED)
    client.force_login(family.subscriber.user)

    html = client.get(reverse("orders:detail", args=[order.public_id])).content.decode()

    assert "has not arrived" not in html


@pytest.mark.django_db
def test_the_dashboard_says_why_an_order_is_on_hold_and_whom_to_call(
    client: Client, family: Family
) -> None:
    make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    client.force_login(family.subscriber.user)
    phone = get_support_contacts(viewer=family.subscriber.user).member_phone

    html = client.get(reverse("web:dashboard")).content.decode()

    assert "Prior authorization pending" in html
    assert f"Call member services at {phone}" in html


def test_the_order_page_of_an_order_on_hold_says_whom_to_call(
    client: Client, family: Family
) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.ON_HOLD)
    client.force_login(family.subscriber.user)
    phone = get_support_contacts(viewer=family.subscriber.user).member_phone

    html = client.get(reverse("orders:detail", args=[order.public_id])).content.decode()

    assert "Why this order is on hold" in html
    assert f"Call member services at {phone}" in html
