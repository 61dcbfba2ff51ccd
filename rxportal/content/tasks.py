"""Celery tasks of the content hub: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from rxportal.content.services import publish_scheduled_pages as publish_scheduled_pages_service
from rxportal.core import clock


@shared_task(name="content.publish_scheduled_pages")
def publish_scheduled_pages() -> dict[str, int]:
    """Every 5 minutes: Wagtail's scheduled go-live and expiry times take effect. Safe to run
    twice (a published revision's schedule is cleared, an unpublished page is not live)."""
    return publish_scheduled_pages_service(now=clock.now())
