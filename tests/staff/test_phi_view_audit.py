"""Every staff view of member data writes an audit event: a walk over every staff-console URL
that shows member data (as the service center and as an administrator) and over every page of
every PHI admin (as a superuser). A new console URL must be listed in ``MEMBER_DATA_PAGES`` or in
``NO_MEMBER_DATA`` (with why), else the first test fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, reverse

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent
from rxportal.members.models import Member
from rxportal.staff import urls as staff_urls
from tests.audit.phi_admin_support import PHI_MODELS, make_record
from tests.factories import ClaimFactory
from tests.orders.factories import make_order
from tests.staff.conftest import make_user, staff_client

pytestmark = pytest.mark.django_db

BY_NAME = {
    "first_name": "Jordan",
    "last_name": "Smith",
    "date_of_birth": "1980-06-15",
    "zip_code": "06103",
}
CLIENT_CALLER = {
    "username": "",
    "first_name": "Casey",
    "last_name": "Nguyen",
    "email": "casey.client@example.org",
    "organization": "acme manufacturing",
}

# Staff-console pages without member data, and why they need no PHI-view event.
NO_MEMBER_DATA = {
    "home": "links only",
    "member_lookup": "an empty form on GET; the lookup itself is audited (phi.staff.member.lookup)",
    "member_find": "an empty form on GET; the lookup itself is audited (phi.staff.member.lookup)",
    "member_challenges_reset": "POST only; the reset is audited (staff.challenges.reset)",
    "user_search": "an empty form on GET; the search is audited (staff.user.searched)",
    "client_user_find": "an empty form on GET; the lookup is audited (staff.client_user.lookup)",
    "clients_queue": "client and advisor accounts and requests, no member data",
    "clients_directory": "clients and their designated contacts, no member data",
    "clients_user": "a client or advisor account and its links, no member data",
    "clients_request": "an access request, no member data",
    "clients_grant_revoke": "a tool grant, no member data",
    "clients_link_end": "a client link, no member data",
    "notifications_failed": "failed deliveries: kind, masked address, error code; the list view "
    "is audited (notification.failed.viewed)",
    "notifications_resend": "POST only; the resend is audited (notification.resent)",
}


@pytest.fixture
def member(db: None) -> Member:
    from tests.factories import MemberFactory

    account = make_user("jordan.smith", "member", first_name="Jordan", last_name="Smith")
    person = MemberFactory(
        user=account,
        member_id="RXP00001234",
        first_name="Jordan",
        last_name="Smith",
        zip_code="06103",
    )
    person.date_of_birth = "1980-06-15"
    person.save(update_fields=["date_of_birth"])
    return Member.objects.get(pk=person.pk)


def _pages(member: Member) -> dict[str, tuple[str, str]]:
    """Each member-data page: its URL and the subject its event names."""
    order = make_order(member=member, lines=1)
    claim = ClaimFactory(member=member)
    caller = make_user(
        "casey.client",
        "client",
        first_name="Casey",
        last_name="Nguyen",
        organization_claim="Acme Manufacturing",
    )
    pid = member.public_id
    return {
        "member_detail": (reverse("staff:member_detail", args=[pid]), str(pid)),
        "member_records": (reverse("staff:member_records", args=[pid]), str(pid)),
        "member_orders": (
            reverse("staff:member_orders", args=[pid]) + "?reason=order_question",
            str(pid),
        ),
        "member_order": (
            reverse("staff:member_order", args=[pid, order.public_id]) + "?reason=order_question",
            str(pid),
        ),
        "member_claims": (
            reverse("staff:member_claims", args=[pid]) + "?reason=claim_question",
            str(pid),
        ),
        "member_claim": (
            reverse("staff:member_claim", args=[pid, claim.public_id]) + "?reason=claim_question",
            str(pid),
        ),
        "user_detail": (
            reverse("staff:user_detail", args=[member.user.public_id]),
            str(member.user.public_id),
        ),
        "client_user_help": (
            reverse("staff:client_user_help", args=[caller.public_id]),
            str(caller.public_id),
        ),
    }


def _verified(agent: User, member: Member) -> Client:
    """A console session that verified both callers, as the pages require."""
    client = staff_client(agent)
    assert client.post(reverse("staff:member_find"), BY_NAME).status_code == 302
    assert client.post(reverse("staff:client_user_find"), CLIENT_CALLER).status_code == 302
    return client


def test_every_console_url_is_walked_or_says_why_not(member: Member) -> None:
    names = {p.name for p in staff_urls.urlpatterns if isinstance(p, URLPattern)}
    walked = set(_pages(member))
    assert not walked & set(NO_MEMBER_DATA)
    assert names == walked | set(NO_MEMBER_DATA)


def _new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(sequence__gt=since).order_by("sequence"))


def _last_sequence() -> int:
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    return last or 0


# Which pages each role's console holds (the others answer 403, also audited).
ROLE_PAGES: dict[str, Callable[[str], bool]] = {
    "service_center": lambda name: name != "user_detail",
    "account_team": lambda name: name in {"user_detail", "client_user_help"},
    "admin": lambda name: True,
}


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_every_member_data_page_writes_an_audit_event_per_view(member: Member, role: str) -> None:
    agent = make_user(f"agent.{role}", role)
    pages = _pages(member)
    client = _verified(agent, member) if role != "account_team" else staff_client(agent)
    if role == "account_team":  # the account team verifies client callers only
        assert client.post(reverse("staff:client_user_find"), CLIENT_CALLER).status_code == 302

    for name, (url, subject) in pages.items():
        if not ROLE_PAGES[role](name):
            continue
        for _ in range(2):  # every view, not once per session
            since = _last_sequence()
            response = client.get(url)
            assert response.status_code == 200, (role, name)
            events = [e for e in _new_events(since) if e.subject_id == subject]
            assert len(events) == 1, (role, name, [e.action for e in _new_events(since)])
            assert events[0].actor_id == agent.pk, name
            assert events[0].outcome == "success", name


def _admin_pages(label: str, record: Model) -> dict[str, str]:
    app_label, model_name = label.split(".")

    def url(view: str, *args: Any) -> str:
        return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)

    return {
        "changelist": url("changelist"),
        "change": url("change", record.pk),
        "history": url("history", record.pk),
        "delete": url("delete", record.pk),
    }


@pytest.mark.parametrize("label", sorted(PHI_MODELS))
def test_every_page_of_a_phi_admin_writes_an_audit_event_per_view(label: str) -> None:
    root = get_user_model().objects.create_superuser(
        username="root.admin", password="x" * 24, role="admin"
    )
    client = Client()
    client.force_login(root)
    record = make_record(label)

    for page, url in _admin_pages(label, record).items():
        since = _last_sequence()
        response = client.get(url)
        if page == "delete" and response.status_code == 403:
            continue  # this admin deletes nothing: the page shows no record
        assert response.status_code == 200, (label, page)
        events = [e for e in _new_events(since) if e.action.startswith("phi.admin.")]
        assert len(events) == 1, (label, page, [e.action for e in _new_events(since)])
        assert events[0].actor_id == root.pk
