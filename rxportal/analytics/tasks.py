"""Celery tasks of the analytics app: each body is one service call, with ids and months only."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from rxportal.analytics import services


@shared_task(name="analytics.refresh_claim_rollups")
def refresh_claim_rollups(*, client_id: int, months: list[str]) -> dict[str, int]:
    """Recompute the client's rollups for these months (ISO dates). Safe to run twice: the
    months' rows are replaced. Returns counts only."""
    summary = services.refresh_claim_rollups(
        client_id=client_id, months=[dt.date.fromisoformat(month) for month in months]
    )
    return {"months": len(summary.months), "drug_rows": summary.drug_rows,
            "member_rows": summary.member_rows}  # fmt: skip


@shared_task(name="analytics.rebuild_claim_rollups")
def rebuild_claim_rollups(*, client_id: int) -> dict[str, int]:
    summary = services.rebuild_claim_rollups(client_id=client_id)
    return {"months": len(summary.months), "drug_rows": summary.drug_rows,
            "member_rows": summary.member_rows}  # fmt: skip
