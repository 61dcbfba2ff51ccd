"""Celery task of the what-if: one service call, with the run's id only."""

from __future__ import annotations

from celery import shared_task

from rxportal.whatif import services


@shared_task(name="whatif.run_what_if")
def run_what_if(*, run_id: int) -> dict[str, int]:
    run = services.run_what_if(run_id=run_id)
    return {"claims": run.claims_done}
