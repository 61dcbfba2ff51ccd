"""A prescription with an open mail order is not due: one rule (``domain.apply_open_order``,
applied by ``selectors.compute_row``) for the refill service, the prescriptions page, the
dashboard's refills due, the refill reminders and the automatic-refill job."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.core import clock
from rxportal.notifications.models import Notification
from rxportal.orders.models import MailOrder, MailOrderLine, OrderStatus
from rxportal.prescriptions import domain, errors, reminders, services
from rxportal.prescriptions.domain import RefillStatus
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.prescriptions.selectors import (
    get_prescription_attention,
    get_refill_selection,
    list_prescriptions_by_person,
)
from rxportal.prescriptions.services import RefillLineInput
from tests.orders.factories import MailOrderFactory
from tests.prescriptions.conftest import Setting, make_rx

# --- The rule itself (no database) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (RefillStatus.REFILL_NOW, RefillStatus.ON_ORDER),
        (RefillStatus.TOO_SOON, RefillStatus.ON_ORDER),
        # What a renewal or the alerts are for still shows: an order does not hide it.
        (RefillStatus.NO_REFILLS_LEFT, RefillStatus.NO_REFILLS_LEFT),
        (RefillStatus.EXPIRED, RefillStatus.EXPIRED),
    ],
)
def test_an_open_order_puts_a_live_prescription_on_order(
    status: RefillStatus, expected: RefillStatus
) -> None:
    assert domain.apply_open_order(status, has_open_order=True) is expected
    assert domain.apply_open_order(status, has_open_order=False) is status


def test_a_prescription_on_order_is_not_due_and_cannot_be_renewed() -> None:
    today = dt.date(2026, 12, 7)
    assert not domain.is_refill_due_within(
        status=RefillStatus.ON_ORDER, next_refill_date=today, today=today, days=7
    )
    assert not domain.is_refill_reminder_due(
        status=RefillStatus.ON_ORDER, next_refill_date=today, written_on=today, today=today
    )
    assert not domain.can_request_renewal(RefillStatus.ON_ORDER)


# --- With the database ----------------------------------------------------------------------------


def open_order_for(rx: Prescription, *, status: str = OrderStatus.ON_HOLD) -> MailOrder:
    order = MailOrderFactory(member=rx.member, status=status, expected_delivery=None)
    MailOrderLine.objects.create(order=order, prescription=rx, quantity=rx.quantity, days_supply=30)
    return order


def refill(setting: Setting, rx: Prescription, **kwargs: Any) -> RefillRequest:
    arguments: dict[str, Any] = {
        "actor": setting.family.subscriber.user,
        "member_id": rx.member.public_id,
        "lines": [RefillLineInput(prescription_id=rx.public_id)],
        "fulfilment": "mail",
        "idempotency_key": uuid.uuid4(),
        "today": clock.today(),
        "now": clock.now(),
    }
    arguments.update(kwargs)
    return services.request_refill(**arguments)


@pytest.mark.django_db
@pytest.mark.parametrize("fulfilment", ["mail", "pickup"])
def test_the_refill_service_refuses_a_prescription_with_an_open_order(
    setting: Setting, today: dt.date, fulfilment: str
) -> None:
    rx = make_rx(setting, today=today)  # refillable by the too-soon clock
    open_order_for(rx)
    extra = {"pharmacy_id": setting.pharmacy.public_id} if fulfilment == "pickup" else {}

    with pytest.raises(errors.RefillOnOrder) as raised:
        refill(setting, rx, fulfilment=fulfilment, **extra)

    assert raised.value.code == "refill.on_order"
    assert "open mail order" in raised.value.message
    assert RefillRequest.objects.count() == 0
    assert MailOrder.objects.count() == 1
    rx.refresh_from_db()
    assert rx.refills_remaining == 3


@pytest.mark.django_db
@pytest.mark.parametrize("status", [OrderStatus.DELIVERED, OrderStatus.CANCELLED])
def test_a_closed_order_does_not_hold_a_refill(
    setting: Setting, today: dt.date, status: str
) -> None:
    rx = make_rx(setting, today=today)
    open_order_for(rx, status=status)

    assert refill(setting, rx).mail_order is not None


@pytest.mark.django_db
def test_an_open_order_of_another_prescription_does_not_hold_this_one(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    open_order_for(make_rx(setting, today=today))

    assert refill(setting, rx).mail_order is not None


@pytest.mark.django_db
def test_a_member_cannot_order_the_same_prescription_twice_while_the_first_is_open(
    setting: Setting, today: dt.date
) -> None:
    """The double order: a 30-day fill is refillable again after 23 days, and so far nothing
    asked whether the first order (held at the pharmacy) ever left."""
    rx = make_rx(setting, today=today)
    first = refill(setting, rx)
    assert first.mail_order is not None
    MailOrder.objects.filter(pk=first.mail_order.pk).update(status=OrderStatus.ON_HOLD)
    later = today + dt.timedelta(days=25)

    with pytest.raises(errors.RefillOnOrder):
        refill(setting, rx, today=later)

    assert MailOrder.objects.count() == 1


@pytest.mark.django_db
def test_the_prescriptions_page_and_the_dashboard_agree_with_the_service(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    free = make_rx(setting, today=today)
    open_order_for(rx)
    viewer = setting.family.subscriber.user

    [group, *_] = list_prescriptions_by_person(viewer=viewer, today=today)
    rows = {row.public_id: row for row in group.rows}
    assert rows[rx.public_id].status is RefillStatus.ON_ORDER
    assert not rows[rx.public_id].can_refill
    assert rows[free.public_id].can_refill
    due = get_prescription_attention(viewer=viewer, today=today).refills_due
    assert [row.public_id for row in due] == [free.public_id]
    with pytest.raises(errors.RefillOnOrder):
        get_refill_selection(
            viewer=viewer,
            member_public_id=setting.family.subscriber.public_id,
            prescription_public_ids=[rx.public_id],
            today=today,
        )


@pytest.mark.django_db
def test_no_refill_reminder_for_a_prescription_on_order(setting: Setting, today: dt.date) -> None:
    rx = make_rx(setting, today=today)
    open_order_for(rx)
    make_rx(setting, today=today)

    run = reminders.send_refill_reminders(today=today)

    assert run.prescriptions_due == 1
    assert Notification.objects.filter(kind=reminders.KIND).exists()


@pytest.mark.django_db
def test_the_automatic_refill_job_orders_nothing_while_an_order_is_open(
    setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today, auto_refill=True)
    open_order_for(rx)

    run = services.run_due_auto_refills(today=today, now=clock.now())

    assert run.placed == []
    assert run.failed == {}
    assert MailOrder.objects.count() == 1


@pytest.mark.django_db
def test_the_pages_say_the_prescription_is_on_order(
    client: Client, setting: Setting, today: dt.date
) -> None:
    rx = make_rx(setting, today=today)
    open_order_for(rx)
    client.force_login(setting.family.subscriber.user)

    dashboard = client.get(reverse("web:dashboard")).content.decode()
    page = client.get(reverse("prescriptions:list")).content.decode()

    assert "You can refill it now." not in dashboard
    assert "Refills due" not in dashboard
    card = page[page.index(f'id="rx-{rx.public_id}"') :]
    assert "On order" in card[: card.index("</li>")]
    assert f'value="{rx.public_id}"' not in page  # no checkbox to refill it
