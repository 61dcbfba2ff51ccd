"""Celery tasks of the plans app: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.core import clock
from rxportal.plans.services import send_new_plan_year_notices as send_new_plan_year_notices_service


@shared_task(name="plans.send_new_plan_year_notices")
def send_new_plan_year_notices() -> dict[str, int]:
    """Daily: tell members their new plan year has begun, once per plan year (safe to run
    twice). Returns counts only (no PHI in task results)."""
    return {"told": send_new_plan_year_notices_service(today=clock.today())}
