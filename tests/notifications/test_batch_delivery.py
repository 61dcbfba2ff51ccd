"""Batch delivery: a batch's rows are claimed under a lease, sent over one mail connection and
marked sent one by one; a dead worker's rows wait for its lease to end, then the sweep sends them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from rxportal.core import clock
from rxportal.notifications import domain, services
from rxportal.notifications.models import Notification, Status
from tests.notifications.support import CountingEmailBackend, notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting_mail(settings: Any) -> Iterator[type[CountingEmailBackend]]:
    settings.EMAIL_BACKEND = "tests.notifications.support.CountingEmailBackend"
    CountingEmailBackend.opened = CountingEmailBackend.refusals_to_come = 0
    yield CountingEmailBackend
    CountingEmailBackend.opened = CountingEmailBackend.refusals_to_come = 0


def queued_notices(count: int, django_capture_on_commit_callbacks: Any) -> list[Notification]:
    with django_capture_on_commit_callbacks(execute=False):  # no task: the batch delivers them
        return [services.enqueue(**notice(to_address=f"pat{n}@example.org")) for n in range(count)]


def test_a_batch_sends_its_emails_over_one_mail_connection(
    counting_mail: type[CountingEmailBackend], django_capture_on_commit_callbacks: Any
) -> None:
    rows = queued_notices(5, django_capture_on_commit_callbacks)

    sent = services.deliver_notification_batch(ids=[row.pk for row in rows], now=clock.now())

    assert sent == 5
    assert counting_mail.opened == 1
    assert sorted(m.to[0] for m in mail.outbox) == [f"pat{n}@example.org" for n in range(5)]
    assert set(Notification.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_refused_email_in_a_batch_is_retried_with_back_off_and_the_rest_are_sent(
    counting_mail: type[CountingEmailBackend], django_capture_on_commit_callbacks: Any
) -> None:
    rows = queued_notices(3, django_capture_on_commit_callbacks)
    counting_mail.refusals_to_come = 1
    now = clock.now()

    assert services.deliver_notification_batch(ids=[row.pk for row in rows], now=now) == 2

    first = Notification.objects.get(pk=rows[0].pk)
    assert (first.status, first.attempts, first.last_error_code) == (
        Status.QUEUED,
        1,
        "email.refused",
    )
    assert first.next_attempt_at == now + domain.compute_retry_delay(1)
    assert counting_mail.opened == 2  # opened again after the server dropped it
    assert services.deliver_due_notifications(now=first.next_attempt_at) == 1
    assert len(mail.outbox) == 3


def test_rows_a_dead_worker_claimed_wait_for_its_lease_then_the_sweep_sends_them_once(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rows = queued_notices(3, django_capture_on_commit_callbacks)
    now = clock.now()
    lease = dt.timedelta(seconds=settings.RXPORTAL_OUTBOX_LEASE_SECONDS)
    # A worker claims the batch and dies before sending anything.
    claimed = services._claim([row.pk for row in rows], now=now, lease_ends=now + lease)
    assert len(claimed) == 3

    # Neither a second copy of the batch's task, nor a row's own task, nor the sweep takes them.
    assert services.deliver_notification_batch(ids=[row.pk for row in rows], now=now) == 0
    assert services.deliver_notification(public_id=rows[0].public_id, now=now).result == "skipped"
    assert services.deliver_due_notifications(now=now + lease - dt.timedelta(seconds=1)) == 0
    assert mail.outbox == []

    # In doubt once the lease ends (as a crash between send and commit was): sent again, once.
    assert services.deliver_due_notifications(now=now + lease) == 3
    assert services.deliver_due_notifications(now=now + 2 * lease) == 0
    assert len(mail.outbox) == 3
    assert set(Notification.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_row_whose_claim_was_taken_over_is_not_marked_by_the_first_worker(
    django_capture_on_commit_callbacks: Any,
) -> None:
    [row] = queued_notices(1, django_capture_on_commit_callbacks)
    now = clock.now()
    lease = dt.timedelta(minutes=2)
    [first] = services._claim([row.pk], now=now, lease_ends=now + lease)
    later = now + lease
    services._claim([row.pk], now=later, lease_ends=later + lease)  # the sweep's claim

    first.status = Status.SENT
    assert not services._save_claimed(first, ["status"], claim=now + lease)
    assert Notification.objects.get(pk=row.pk).status == Status.QUEUED


def test_a_code_sent_by_the_sweep_is_erased_from_its_row(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # its task was lost
        services.send_code_message(
            kind="code.test",
            recipient=None,
            channel="email",
            to_address="pat@example.org",
            subject="Your code",
            body_text="Your code is 654321",
        )

    assert services.deliver_due_notifications(now=clock.now()) == 1
    assert "654321" in mail.outbox[0].body
    row = Notification.objects.get()
    assert (row.status, row.subject, row.body_text, row.to_address) == (Status.SENT, "", "", "")
