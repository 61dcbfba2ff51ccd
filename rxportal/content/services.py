"""Writes of the content hub: the hub-visit mark, webinar registrations and scheduled publishing.
(Pages and documents are written in Wagtail's editor, which keeps its own revisions and log of
who published what.)"""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.db import IntegrityError, transaction
from wagtail.models import Page, Revision

from rxportal.content.errors import WebinarRegistrationClosed
from rxportal.content.models import HubVisit, WebinarPage, WebinarRegistration
from rxportal.content.selectors import HubViewer


def record_hub_visit(*, viewer: HubViewer, now: dt.datetime) -> dt.datetime | None:
    """Mark the hub visited now; returns the previous visit (None the first time)."""
    with transaction.atomic():
        visit, created = HubVisit.objects.select_for_update().get_or_create(
            user=viewer.user, defaults={"last_visit_at": now}
        )
        if created:
            return None
        previous = visit.last_visit_at
        visit.last_visit_at = now
        visit.save(update_fields=["last_visit_at", "updated_at"])
        return previous


def register_for_webinar(
    *, viewer: HubViewer, webinar: WebinarPage, now: dt.datetime
) -> WebinarRegistration:
    """Idempotent: registering twice keeps the first registration. Only before it ends."""
    if not webinar.is_upcoming(now=now):
        raise WebinarRegistrationClosed("This webinar has ended.", webinar=str(webinar.pk))
    existing = WebinarRegistration.objects.filter(
        user=viewer.user, webinar_key=webinar.translation_key
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return WebinarRegistration.objects.create(
                user=viewer.user, webinar_key=webinar.translation_key
            )
    except IntegrityError:  # a double submit raced us
        return WebinarRegistration.objects.get(
            user=viewer.user, webinar_key=webinar.translation_key
        )


def publish_scheduled_pages(*, now: dt.datetime) -> dict[str, int]:
    """What editors scheduled in Wagtail whose time has come: revisions with a go-live time
    are published, live pages past their expiry unpublished. Wagtail's own command does the work
    (it also writes the page history); the counts are what was due when it started."""
    due = {
        "published": Revision.objects.filter(approved_go_live_at__lt=now).count(),
        "unpublished": Page.objects.filter(live=True, expire_at__lt=now).count(),
    }
    call_command("publish_scheduled", verbosity=0)
    return due
