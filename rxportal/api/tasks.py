"""Celery tasks of the JSON API: each body is one call."""

from __future__ import annotations

from celery import shared_task

from rxportal.api import idempotency
from rxportal.core import clock


@shared_task(name="api.purge_stale_idempotency_records")
def purge_stale_idempotency_records() -> int:
    """Hourly: delete Idempotency-Key records past their day (a claim only clears its own key's
    stale row, so keys never used again would stay forever). Safe to run twice."""
    return idempotency.purge_stale_records(now=clock.now())
