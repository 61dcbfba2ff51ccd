"""Celery tasks of the prescriptions app: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.core import clock
from rxportal.prescriptions.reminders import send_refill_reminders as send_refill_reminders_service
from rxportal.prescriptions.services import run_due_auto_refills as run_due_auto_refills_service


@shared_task(name="prescriptions.run_due_auto_refills")
def run_due_auto_refills() -> dict[str, int]:
    """Daily: place the automatic mail refills that are due. Safe to run twice (idempotent
    per prescription and due date). Returns counts only (no PHI in task results)."""
    run = run_due_auto_refills_service(today=clock.today(), now=clock.now())
    return {"placed": len(run.placed), "failed": len(run.failed)}


@shared_task(name="prescriptions.send_refill_reminders")
def send_refill_reminders() -> dict[str, int]:
    """Daily: tell people of the refills due (once per prescription, due date and person, so
    safe to run twice). Counts only."""
    run = send_refill_reminders_service(today=clock.today())
    return {"due": run.prescriptions_due, "written": run.notifications_written}
