"""The back office's audit search: read-only, PBM staff only, and every search is recorded."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent, Outcome
from rxportal.audit.services import record_event

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditevent_changelist"


def _grant_view(user: User) -> None:
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))


def test_changelist_loads_for_a_superuser_and_the_search_is_recorded(
    client: Client, superuser: User
) -> None:
    record_event(action="auth.login.failed", outcome=Outcome.FAILURE, ip_address="203.0.113.7")
    client.force_login(superuser)

    response = client.get(
        reverse(CHANGELIST), {"q": "203.0.113.7", "action_prefix": "auth", "outcome": "failure"}
    )

    assert response.status_code == 200
    assert "auth.login.failed" in response.content.decode()
    searched = AuditEvent.objects.get(action="audit.searched")
    assert searched.actor == superuser
    assert searched.outcome == "success"
    assert searched.ip_address == "127.0.0.1"
    assert "q=203.0.113.7" in searched.details["query"]


def test_changelist_filters_and_date_hierarchy_render(client: Client, superuser: User) -> None:
    client.force_login(superuser)

    for params in ({"action_prefix": "staff"}, {"occurred_at__year": "2026"}, {"q": "x"}):
        assert client.get(reverse(CHANGELIST), params).status_code == 200


def test_pbm_staff_with_the_view_permission_can_search(client: Client, staff_user: User) -> None:
    _grant_view(staff_user)
    client.force_login(staff_user)

    assert client.get(reverse(CHANGELIST)).status_code == 200


@pytest.mark.parametrize("role", ["account_team", "client"])
def test_refused_searches_are_recorded_as_denied(client: Client, role: str) -> None:
    """Staff without the permission, and non-PBM users even with it, are refused."""
    user = User.objects.create_user(username="someone", password="x", role=role, is_staff=True)
    if role == "client":
        _grant_view(user)
    client.force_login(user)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="audit.searched")
    assert (denied.actor, denied.outcome) == (user, "denied")


def test_events_are_read_only_in_the_back_office(client: Client, superuser: User) -> None:
    event = record_event(action="staff.test.done", outcome=Outcome.SUCCESS, reason="before")
    client.force_login(superuser)

    detail = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="reason"' not in detail.content.decode()
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"reason": "after"})
    event.refresh_from_db()
    assert event.reason == "before"
