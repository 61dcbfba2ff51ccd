"""Celery tasks of the orders app: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.core import clock
from rxportal.orders.services import send_late_order_notices as send_late_order_notices_service


@shared_task(name="orders.send_late_order_notices")
def send_late_order_notices() -> dict[str, int]:
    """Daily: tell the people concerned about orders past their expected delivery date, once
    per order (safe to run twice). Returns counts only (no PHI in task results)."""
    return {"told": send_late_order_notices_service(today=clock.today())}
