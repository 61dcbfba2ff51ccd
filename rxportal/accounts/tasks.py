"""Celery tasks of the accounts app: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.accounts.services.lockout import purge_expired_counters as purge_service
from rxportal.core import clock


@shared_task(name="accounts.purge_expired_counters")
def purge_expired_counters() -> dict[str, int]:
    """Hourly: delete the sign-in and reset counter windows past their expiry. Safe to run twice;
    limits never depend on it (an expired window is never read)."""
    return {"deleted": purge_service(now=clock.now())}
