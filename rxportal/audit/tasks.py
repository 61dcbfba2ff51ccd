"""Celery tasks of the audit app: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.audit.services import seal_pending_events as seal_pending_events_service


@shared_task(name="audit.seal_pending_events")
def seal_pending_events() -> dict[str, int]:
    """Every few seconds: chain the events recorded off the request path (safe to run twice,
    or in two workers at once: the chain lock serialises them)."""
    return {"sealed": seal_pending_events_service()}
