"""Celery tasks of the sponsors' PHI tools: each body is one service call, with ids only."""

from __future__ import annotations

from celery import shared_task

from rxportal.core import clock
from rxportal.sponsor_tools import services


@shared_task(name="sponsor_tools.build_claims_report")
def build_claims_report(*, report_id: int) -> dict[str, int]:
    """Build one claims report. Safe to run twice (a built report is left alone)."""
    report = services.build_claims_report(report_id=report_id, now=clock.now())
    return {"rows": report.rows_done}


@shared_task(name="sponsor_tools.purge_expired_claims_reports")
def purge_expired_claims_reports() -> dict[str, int]:
    """Hourly: forget the files of expired reports. Safe to run twice."""
    return {"purged": services.purge_expired_claims_reports(now=clock.now())}
