"""Celery tasks of the formulary app: each body is one service call; ids and counts only."""

from __future__ import annotations

from celery import shared_task

from rxportal.core import clock
from rxportal.formulary.alerts import scan_formulary_version as scan_version
from rxportal.formulary.services import apply_due_formulary_changes as apply_due


@shared_task(name="formulary.scan_formulary_version")
def scan_formulary_version(version_public_id: str) -> dict[str, int]:
    """After an import commits: alert the members who take a drug it changes. Safe to run
    twice (one message per member, recipient and version)."""
    result = scan_version(version_public_id=version_public_id)
    return {"members": result.members, "notifications": result.notifications}


@shared_task(name="formulary.apply_due_formulary_changes")
def apply_due_formulary_changes() -> dict[str, int]:
    """Daily: write the scheduled coverage changes whose day has come. Safe to run twice."""
    return {"applied": apply_due(today=clock.today())}
