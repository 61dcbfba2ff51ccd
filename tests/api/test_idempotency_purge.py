"""Idempotency-Key records are purged by a periodic job a day after their request, not only
when the same caller reuses the same key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from rxportal.api.models import IdempotencyRecord
from rxportal.core import clock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _record(key: str, *, age: dt.timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        user=UserFactory(),
        key=key,
        request_fingerprint="0" * 64,
        status_code=201,
        response_body={"id": key},
        created_at=clock.now() - age,
    )


def test_the_periodic_job_deletes_records_past_their_day_and_keeps_the_rest() -> None:
    from rxportal.api.tasks import purge_stale_idempotency_records

    _record("stale", age=dt.timedelta(hours=25))
    _record("fresh", age=dt.timedelta(hours=23))

    deleted = purge_stale_idempotency_records.delay().get()
    again = purge_stale_idempotency_records.delay().get()

    assert deleted == 1
    assert again == 0  # safe to run twice
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_the_purge_is_scheduled_with_celery_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["api.purge_stale_idempotency_records"]

    assert entry["task"] == "api.purge_stale_idempotency_records"
