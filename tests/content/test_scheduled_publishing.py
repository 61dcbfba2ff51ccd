"""Scheduled publishing: editors set "go live" and "expiry" dates in Wagtail's editor; the beat
job `content.publish_scheduled_pages` is what makes them happen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from wagtail.models import Page, Revision

from rxportal.content.models import NewsPage
from rxportal.core import clock
from tests.content.conftest import Hub, publish_item, signed_in

pytestmark = pytest.mark.django_db


def _scheduled_news(hub: Hub) -> tuple[NewsPage, Revision]:
    """A new item whose editor chose a go-live time; moved into the past below, as if that
    time had come (Wagtail refuses to schedule a time already gone)."""
    item = NewsPage(
        title="Scheduled news",
        audience="both",
        topic="cost",
        summary="Formulary savings on a schedule.",
        body="<p>Formulary savings.</p>",
        date=clock.today(),
        live=False,
    )
    hub.section_for("newspage").add_child(instance=item)
    item.go_live_at = clock.now() + dt.timedelta(hours=1)
    revision = item.save_revision()
    revision.publish()
    past = clock.now() - dt.timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    Page.objects.filter(pk=item.pk).update(go_live_at=past)
    return item, revision


def test_a_scheduled_revision_whose_time_has_come_goes_live(hub: Hub, client_user) -> None:
    from rxportal.content.tasks import publish_scheduled_pages

    item, revision = _scheduled_news(hub)
    assert not Page.objects.get(pk=item.pk).live

    assert publish_scheduled_pages.delay().get() == {"published": 1, "unpublished": 0}

    page = Page.objects.get(pk=item.pk)
    assert page.live and page.live_revision_id == revision.pk
    assert not Revision.objects.filter(pk=revision.pk).exclude(approved_go_live_at=None).exists()
    assert signed_in(client_user).get(page.url).status_code == 200


def test_a_live_page_past_its_expiry_is_unpublished(hub: Hub, client_user) -> None:
    from rxportal.content.tasks import publish_scheduled_pages

    item = publish_item(
        hub.section_for("newspage"), NewsPage, title="Expiring news", audience="both"
    )
    url = item.url
    Page.objects.filter(pk=item.pk).update(expire_at=clock.now() - dt.timedelta(minutes=1))

    assert publish_scheduled_pages.delay().get() == {"published": 0, "unpublished": 1}

    page = Page.objects.get(pk=item.pk)
    assert not page.live and page.expired
    assert signed_in(client_user).get(url).status_code == 404


def test_nothing_due_changes_nothing(hub: Hub) -> None:
    from rxportal.content.tasks import publish_scheduled_pages

    live_before = set(Page.objects.filter(live=True).values_list("pk", flat=True))

    assert publish_scheduled_pages.delay().get() == {"published": 0, "unpublished": 0}
    assert set(Page.objects.filter(live=True).values_list("pk", flat=True)) == live_before


def test_beat_runs_the_job_every_five_minutes() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["content.publish_scheduled_pages"]
    assert entry["task"] == "content.publish_scheduled_pages"
    assert entry["schedule"].minute == set(range(0, 60, 5))
