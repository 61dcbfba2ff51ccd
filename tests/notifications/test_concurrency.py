"""Two workers that pick up the same notification at once send it once (PostgreSQL: row locks)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from rxportal.core import clock
from rxportal.notifications import services
from rxportal.notifications.models import Notification, Status
from tests.notifications.support import SlowEmailBackend, notice


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's in-memory test database is one writer"
)
def test_two_concurrent_deliveries_send_once(settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.support.SlowEmailBackend"
    SlowEmailBackend.sends = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    row = services.enqueue(**notice())  # no transaction: delivered at once, by this thread
    Notification.objects.filter(pk=row.pk).update(status=Status.QUEUED, attempts=0)
    SlowEmailBackend.sends = 0
    mail.outbox.clear()
    now = clock.now()
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(services.deliver_notification(public_id=row.public_id, now=now).result)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert SlowEmailBackend.sends == 1
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
