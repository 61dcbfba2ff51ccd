"""Celery tasks of the clients app: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.clients.services import record_due_expiries as record_due_expiries_service
from rxportal.clients.services import warn_of_due_expiries as warn_of_due_expiries_service
from rxportal.core import clock


@shared_task(name="clients.record_due_expiries")
def record_due_expiries() -> dict[str, int]:
    """Daily: mark and audit the tool grants past their one-year expiry. Safe to run twice.
    Pages never wait for it: reads compare the expiry with the clock."""
    return {"expired": record_due_expiries_service(now=clock.now())}


@shared_task(name="clients.warn_of_due_expiries")
def warn_of_due_expiries() -> dict[str, int]:
    """Daily: tell grant holders 14 and 3 days before their access ends. Safe to run twice."""
    return {"warned": warn_of_due_expiries_service(now=clock.now())}
