"""Celery tasks of the outbox: each body is one service call, with ids as arguments."""

from __future__ import annotations

import uuid

from celery import Task, shared_task

from rxportal.core import clock
from rxportal.notifications import domain, services


@shared_task(bind=True, name="notifications.deliver_notification", max_retries=domain.MAX_ATTEMPTS)
def deliver_notification(self: Task, public_id: str) -> str:
    """Send one notification; a failed try comes back at the row's next attempt time (the
    row, not Celery, counts the tries, and the sweep catches a retry that is lost)."""
    delivery = services.deliver_notification(public_id=uuid.UUID(public_id), now=clock.now())
    # Run in process (no broker: the embedded default, tests), a retry would come back at once
    # and raise into the request; the row keeps its next attempt time for the sweep instead.
    if delivery.next_attempt_at is not None and not self.request.is_eager:
        raise self.retry(eta=delivery.next_attempt_at)
    return delivery.result.value


@shared_task(name="notifications.deliver_due_notifications")
def deliver_due_notifications() -> dict[str, int]:
    """Every minute: queued notifications whose time has come (lost tasks, due retries)."""
    return {"sent": services.deliver_due_notifications(now=clock.now())}


@shared_task(name="notifications.deliver_notification_batch")
def deliver_notification_batch(ids: list[int]) -> dict[str, int]:
    """A batch of rows written together (``services.notify_many``): one task, not one per row.
    A row that fails waits for its retry in the sweep (``deliver_due_notifications``)."""
    return {"sent": services.deliver_notification_batch(ids=ids, now=clock.now())}
