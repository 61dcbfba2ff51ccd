"""The automatic-refill job tells the people who may see the patient's records: the order placed
(with its estimated cost, in the inbox only) or why it was not and what to do. Once per
prescription and due date, however often the job runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from rxportal.core import clock
from rxportal.members.models import FamilyAccessGrant
from rxportal.notifications.models import Channel, Notification
from rxportal.orders.models import MailOrder, OrderStatus
from rxportal.prescriptions import services
from rxportal.prescriptions.models import RefillRequest, RenewalRequest
from tests.factories import DrugFactory, UserFactory
from tests.prescriptions.conftest import Setting, make_rx

PLACED = "prescriptions.auto_refill_placed"
BLOCKED = "prescriptions.auto_refill_blocked"


def inbox(kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=kind, channel=Channel.INBOX)
        .select_related("recipient")
        .order_by("pk")
    )


def recipients(kind: str) -> list[str]:
    return [row.recipient.username for row in inbox(kind)]


def run(today: dt.date, capture: Any) -> services.AutoRefillRun:
    with capture(execute=True):
        return services.run_due_auto_refills(today=today, now=clock.now())


def test_a_placed_refill_tells_the_patient_once_with_its_cost_in_the_inbox_only(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    rx = make_rx(setting, today=today, auto_refill=True)

    first = run(today, django_capture_on_commit_callbacks)
    second = run(today, django_capture_on_commit_callbacks)

    assert len(first.placed) == 1 and second.placed == []
    assert RefillRequest.objects.count() == 1
    [row] = inbox(PLACED)
    assert row.recipient == setting.family.subscriber.user
    order = RefillRequest.objects.get().mail_order
    assert order is not None
    assert row.link_path == f"/orders/{order.public_id}/"
    line = RefillRequest.objects.get().lines.get()
    assert line.estimated_member_cost is not None
    assert rx.drug.display_name in row.body_text
    assert order.order_number in row.body_text
    assert f"${line.estimated_member_cost:,.2f}" in row.body_text
    # The email (sent once, after commit) names no drug and no amount.
    [email] = mail.outbox
    assert email.subject == "Your automatic refill was ordered"
    assert rx.drug.display_name not in email.subject + email.body
    assert "$" not in email.subject + email.body


def test_a_minors_refill_tells_the_subscriber(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, today=today, auto_refill=True, member=setting.family.minor_child)

    run(today, django_capture_on_commit_callbacks)

    [row] = inbox(PLACED)
    assert row.recipient == setting.family.subscriber.user
    assert row.subject == "An automatic refill for Lucia was ordered"


def test_an_adult_dependents_refill_tells_her_and_the_subscriber_only_while_she_consents(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    adult = setting.family.adult_child
    adult.user = UserFactory(username="mateo", first_name="Mateo")
    adult.save(update_fields=["user"])
    grant = FamilyAccessGrant.objects.create(grantor=adult, grantee=setting.family.subscriber)
    make_rx(setting, today=today, auto_refill=True, member=adult)
    run(today, django_capture_on_commit_callbacks)
    assert recipients(PLACED) == ["mateo", "subscriber"]

    # The first order arrived (an open one holds the next refill); consent revoked: the next
    # refill reaches Mateo only.
    MailOrder.objects.update(status=OrderStatus.DELIVERED)
    grant.revoked_at = clock.now()
    grant.save(update_fields=["revoked_at"])
    Notification.objects.all().delete()
    later = today + dt.timedelta(days=30)
    run(later, django_capture_on_commit_callbacks)

    assert recipients(PLACED) == ["mateo"]
    assert inbox(PLACED)[0].subject == "Your automatic refill was ordered"


def test_a_spouses_refill_without_consent_and_without_an_account_tells_nobody(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, today=today, auto_refill=True, member=setting.family.spouse)

    result = run(today, django_capture_on_commit_callbacks)

    assert len(result.placed) == 1
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "code", "why"),
    [
        ({"refills_remaining": 0}, "refill.none_left", "no refills left"),
        ({"expires_in_days": -1}, "refill.expired", "has expired"),
    ],
)
def test_a_due_refill_with_no_refills_or_expired_is_blocked_and_told_once(
    setting: Setting,
    today: dt.date,
    django_capture_on_commit_callbacks: Any,
    kwargs: dict[str, Any],
    code: str,
    why: str,
) -> None:
    # Filled 30 days ago: due 7 days ago (within the notice window).
    rx = make_rx(setting, today=today, auto_refill=True, **kwargs)

    first = run(today, django_capture_on_commit_callbacks)
    second = run(today, django_capture_on_commit_callbacks)

    assert first.blocked == {str(rx.public_id): code} == second.blocked
    assert first.failed == {}
    [row] = inbox(BLOCKED)
    assert why in row.body_text
    assert "request a renewal" in row.body_text
    assert rx.drug.display_name in row.body_text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your automatic refill could not be ordered"
    assert rx.drug.display_name not in mail.outbox[0].body


def test_a_blocked_refill_with_a_renewal_asked_for_says_to_wait(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    rx = make_rx(setting, today=today, auto_refill=True, refills_remaining=0)
    RenewalRequest.objects.create(prescription=rx, requested_by=setting.family.subscriber.user)

    run(today, django_capture_on_commit_callbacks)

    [row] = inbox(BLOCKED)
    assert "A renewal was requested" in row.body_text


def test_a_refill_that_came_due_long_ago_is_not_told_about(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, today=today, auto_refill=True, refills_remaining=0, last_filled_days_ago=60)

    result = run(today, django_capture_on_commit_callbacks)

    assert result.blocked == {}
    assert Notification.objects.count() == 0


def test_a_refill_the_plan_does_not_cover_says_why_and_what_to_do_once(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, today=today, auto_refill=True, drug=DrugFactory(name="Uncoveredol 5 MG"))

    run(today, django_capture_on_commit_callbacks)
    run(today, django_capture_on_commit_callbacks)

    [row] = inbox(BLOCKED)
    assert "prior authorization" in row.body_text
    assert "call member services" in row.body_text
    assert len(mail.outbox) == 1


def test_a_blocked_refill_in_spanish(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "es"
    make_rx(setting, today=today, auto_refill=True, refills_remaining=0)

    run(today, django_capture_on_commit_callbacks)

    [row] = inbox(BLOCKED)
    assert row.subject == "No se pudo pedir su resurtido automático"
    assert "Por qué: a la receta no le quedan resurtidos." in row.body_text
    assert mail.outbox[0].body.startswith(f"Hola, {setting.family.subscriber.user.first_name}:")


def test_the_placed_notice_is_in_the_orders_transaction(setting: Setting, today: dt.date) -> None:
    """Rows are written with the order (the same transaction): no order, no message."""
    make_rx(setting, today=today, auto_refill=True)

    services.run_due_auto_refills(today=today, now=clock.now())

    request = RefillRequest.objects.get()
    [row] = inbox(PLACED)
    assert timezone.localdate(row.created_at) == timezone.localdate(request.created_at)
