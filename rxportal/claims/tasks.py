"""Celery tasks of the claims app: each body is one call, returning counts only."""

from __future__ import annotations

from celery import shared_task

from rxportal.claims.partitions import ensure_claim_partitions as ensure_claim_partitions_now
from rxportal.core import clock


@shared_task(name="claims.ensure_claim_partitions")
def ensure_claim_partitions() -> dict[str, int]:
    """Daily: next year's claims partition exists long before its first claim, and nothing
    stays in DEFAULT (safe to run twice; nothing to do on SQLite)."""
    report = ensure_claim_partitions_now(today=clock.today())
    return {"created": len(report.created), "moved_rows": report.moved_rows}
