"""The staff console's failed deliveries: listed (audited) for the account team and the service
center, resent with one button (audited), refused to everyone else."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.notifications import domain, services
from rxportal.notifications.models import Notification, Status
from tests.notifications.support import FlakyEmailBackend, notice
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


def _failed_notice(settings: Any, capture: Any, **overrides: Any) -> Notification:
    """A notice that failed every try, as the sweep leaves it."""
    settings.EMAIL_BACKEND = "tests.notifications.support.FlakyEmailBackend"
    FlakyEmailBackend.failures_to_come = 100
    with capture(execute=True):
        row = services.enqueue(**notice(**overrides))
    moment = clock.now()
    for _ in range(domain.MAX_ATTEMPTS):
        moment += domain.LONGEST_RETRY_DELAY
        services.deliver_due_notifications(now=moment)
    FlakyEmailBackend.failures_to_come = 0
    row.refresh_from_db()
    assert row.status == Status.FAILED
    return row


@pytest.fixture
def staff_client() -> Client:
    http = Client()
    http.force_login(make_user("fay.accounts", "account_team"))
    return http


def test_a_failed_delivery_is_listed_masked_and_the_view_is_audited(
    settings: Any, django_capture_on_commit_callbacks: Any, staff_client: Client
) -> None:
    _failed_notice(settings, django_capture_on_commit_callbacks, kind="security.email_changed")

    response = staff_client.get(reverse("staff:notifications_failed"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "security.email_changed" in html
    assert "email.refused" in html
    assert "pat@example.org" not in html  # masked
    assert "p•••••t@e•••••e.org" in html
    event = AuditEvent.objects.get(action="notification.failed.viewed")
    assert event.details == {"count": 1}


def test_resend_queues_it_again_sends_it_and_is_audited(
    settings: Any, django_capture_on_commit_callbacks: Any, staff_client: Client
) -> None:
    row = _failed_notice(settings, django_capture_on_commit_callbacks)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("staff:notifications_resend", args=[row.public_id]))

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:notifications_failed")
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    event = AuditEvent.objects.get(action="notification.resent")
    assert event.subject_id == str(row.public_id)
    assert event.details == {"kind": "test.notice", "channel": "email"}
    assert (
        "test.notice"
        not in staff_client.get(reverse("staff:notifications_failed")).content.decode()
    )


def test_a_sent_notification_or_an_unknown_id_cannot_be_resent(
    django_capture_on_commit_callbacks: Any, staff_client: Client
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.enqueue(**notice())

    for public_id in (sent.public_id, uuid.uuid4()):
        response = staff_client.post(reverse("staff:notifications_resend", args=[public_id]))
        assert response.status_code in (302, 404)
    assert len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(action="notification.resent").exists()


@pytest.mark.parametrize("role", ["member", "client", "advisor"])
def test_other_roles_are_refused_the_list_and_the_resend(
    settings: Any, django_capture_on_commit_callbacks: Any, role: str
) -> None:
    row = _failed_notice(settings, django_capture_on_commit_callbacks)
    http = Client()
    http.force_login(make_user(f"someone.{role}", role))

    assert http.get(reverse("staff:notifications_failed")).status_code == 403
    response = http.post(reverse("staff:notifications_resend", args=[row.public_id]))

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.updated_at < clock.now() + dt.timedelta(seconds=1)
