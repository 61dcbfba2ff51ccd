"""Order notices: shipped, delivered and on hold when the pharmacy moves an order on
(``record_order_status``), and late once per order (the daily check). Told to the patient and
whoever may see their records, and nobody else."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.members.models import FamilyAccessGrant
from rxportal.notifications.models import Channel, Notification
from rxportal.orders import services
from rxportal.orders.models import MailOrderEvent, OrderStatus
from tests.conftest import Family
from tests.factories import UserFactory
from tests.orders.factories import make_order


def inbox(kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=kind, channel=Channel.INBOX)
        .select_related("recipient")
        .order_by("pk")
    )


def test_a_shipped_order_tells_the_subscriber_once_with_tracking_in_the_inbox(
    family: Family, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(member=family.subscriber, status=OrderStatus.PROCESSING)
    drug = order.lines.get().prescription.drug.display_name

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.record_order_status(
                order=order,
                status=OrderStatus.SHIPPED,
                now=clock.now(),
                carrier="UPS",
                tracking_number="1Z999AA10123456784",
            )

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_number == "1Z999AA10123456784"
    assert MailOrderEvent.objects.filter(order=order, status=OrderStatus.SHIPPED).count() == 1
    assert AuditEvent.objects.filter(action="order.status_changed").count() == 1
    [row] = inbox("orders.shipped")
    assert row.recipient == family.subscriber.user
    assert row.link_path == f"/orders/{order.public_id}/"
    assert order.order_number in row.body_text and drug in row.body_text
    assert "1Z999AA10123456784" in row.body_text
    [email] = mail.outbox
    assert email.subject == "Your mail order has shipped"
    assert drug not in email.body


@pytest.mark.parametrize(
    ("status", "kind", "subject"),
    [
        (OrderStatus.DELIVERED, "orders.delivered", "The mail order for Lucia was delivered"),
        (OrderStatus.ON_HOLD, "orders.on_hold", "The mail order for Lucia is on hold"),
    ],
)
def test_a_minors_order_tells_the_subscriber(
    family: Family, status: OrderStatus, kind: str, subject: str
) -> None:
    order = make_order(member=family.minor_child, status=OrderStatus.SHIPPED)

    services.record_order_status(order=order, status=status, now=clock.now())

    [row] = inbox(kind)
    assert row.recipient == family.subscriber.user
    assert row.subject == subject


def test_steps_without_a_notice_tell_nobody(family: Family) -> None:
    order = make_order(member=family.subscriber)

    services.record_order_status(order=order, status=OrderStatus.VERIFYING, now=clock.now())
    services.record_order_status(order=order, status=OrderStatus.PROCESSING, now=clock.now())

    assert Notification.objects.count() == 0
    assert list(order.events.values_list("status", flat=True).order_by("pk")) == [
        "received",
        "verifying",
        "processing",
    ]


def test_an_adult_dependents_order_reaches_the_subscriber_only_with_consent(
    family: Family,
) -> None:
    adult = family.adult_child
    adult.user = UserFactory(username="mateo")
    adult.save(update_fields=["user"])
    grant = FamilyAccessGrant.objects.create(grantor=adult, grantee=family.subscriber)
    first = make_order(member=adult, status=OrderStatus.PROCESSING)
    services.record_order_status(order=first, status=OrderStatus.SHIPPED, now=clock.now())
    assert [row.recipient.username for row in inbox("orders.shipped")] == ["mateo", "subscriber"]

    grant.revoked_at = clock.now()
    grant.save(update_fields=["revoked_at"])
    second = make_order(member=adult, status=OrderStatus.PROCESSING)
    services.record_order_status(order=second, status=OrderStatus.SHIPPED, now=clock.now())

    told_about_second = [
        row.recipient.username
        for row in inbox("orders.shipped")
        if second.order_number in row.body_text
    ]
    assert told_about_second == ["mateo"]


def test_an_adult_without_an_account_or_a_grant_tells_nobody(family: Family) -> None:
    other = make_order(member=family.spouse, status=OrderStatus.PROCESSING)

    services.record_order_status(order=other, status=OrderStatus.SHIPPED, now=clock.now())

    # The spouse is an adult without an account or a grant: nobody may see her order.
    assert Notification.objects.count() == 0


def test_a_late_order_is_told_once_and_delivered_or_cancelled_ones_never(
    family: Family, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    late = make_order(
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        expected_delivery=today - dt.timedelta(days=1),
    )
    make_order(
        member=family.subscriber,
        status=OrderStatus.DELIVERED,
        expected_delivery=today - dt.timedelta(days=3),
    )
    make_order(member=family.subscriber, status=OrderStatus.CANCELLED)
    make_order(member=family.subscriber, status=OrderStatus.SHIPPED)  # due in 4 days
    make_order(  # old news: expected a month ago
        member=family.subscriber,
        status=OrderStatus.SHIPPED,
        expected_delivery=today - dt.timedelta(days=30),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_late_order_notices(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.send_late_order_notices(today=today + dt.timedelta(days=1))

    [row] = inbox("orders.late")
    assert late.order_number in row.body_text
    assert row.link_path == f"/orders/{late.public_id}/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your mail order is late"


def test_the_late_order_task_is_scheduled_and_runs_the_service(
    family: Family, today: dt.date, settings: Any
) -> None:
    from rxportal.orders.tasks import send_late_order_notices

    assert (
        settings.CELERY_BEAT_SCHEDULE["orders.send_late_order_notices"]["task"]
        == "orders.send_late_order_notices"
    )
    make_order(
        member=family.minor_child,
        status=OrderStatus.PROCESSING,
        expected_delivery=today - dt.timedelta(days=2),
    )

    assert send_late_order_notices.delay().get() == {"told": 1}
    assert inbox("orders.late")[0].subject == "The mail order for Lucia is late"


def test_a_shipped_order_in_spanish(family: Family, settings: Any) -> None:
    settings.LANGUAGE_CODE = "es"
    order = make_order(member=family.minor_child, status=OrderStatus.PROCESSING)

    services.record_order_status(
        order=order,
        status=OrderStatus.SHIPPED,
        now=clock.now(),
        carrier="UPS",
        tracking_number="1Z9",
    )

    [row] = inbox("orders.shipped")
    assert row.subject == "Se envió el pedido por correo para Lucia"
    assert f"Se envió el pedido {order.order_number} para Lucia" in row.body_text
    assert "Transportista: UPS, número de seguimiento 1Z9." in row.body_text


def test_cancelling_is_not_a_status_change(family: Family) -> None:
    order = make_order(member=family.subscriber)

    with pytest.raises(ValueError, match="cancel_mail_order"):
        services.record_order_status(order=order, status=OrderStatus.CANCELLED, now=clock.now())
