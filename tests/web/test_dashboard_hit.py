"""What a dashboard view served from its cache still pays, and what it carries stays fresh.

A hit takes the frame's support numbers from the cached entry and the header's unread count from
the cache round trip that reads the version numbers: it reads no member, message or record row.
So each of those must still change at once: a new message or a read one moves the header's
count, and a sponsor's new member-services line (or a member moving to another sponsor) shows in
the footer on the next view. Each test first proves the cache really serves the old value when
nothing is bumped, so it fails if the entry forgets to be refreshed.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from typing import Any
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.clients.models import Client as Sponsor
from rxportal.core.record_versions import bump_all_records
from rxportal.members.models import Member
from rxportal.members.services import revoke_family_access
from rxportal.notifications import services as notifications
from rxportal.notifications.models import Channel, Notification
from rxportal.web import views
from rxportal.web.dashboard_cache import get_dashboard_view
from tests.conftest import Family
from tests.factories import (
    ClaimFactory,
    ClientFactory,
    DrugFactory,
    UserFactory,
)
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db
URL = reverse("web:dashboard")
OLD_LINE = "1-800-555-0111"
NEW_LINE = "1-800-555-0199"
# A read of a member, message, record or sponsor row (not the audit INSERT, whose details name
# the dashboard's counts).
RECORD_READ = re.compile(
    r'(FROM|JOIN) "(members|notifications|claims|prescriptions|orders|clients)_'
)


def _view(client: Client, **headers: Any) -> str:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def _footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') :]


def _tell(user: Any, key: str) -> Notification:
    with transaction.atomic():
        rows = notifications.notify(
            recipient=user, kind="security.sign_in_paused", context={}, idempotency_key=key
        )
    return next(row for row in rows if row.channel == Channel.INBOX)


@pytest.fixture
def signed_in(client: Client, family: Family) -> Client:
    Sponsor.objects.filter(pk=family.subscriber.client_id).update(member_services_phone=OLD_LINE)
    bump_all_records()
    client.force_login(family.subscriber.user)
    _view(client)  # the session's first request records the session; this one fills the cache
    return client


def test_a_hit_reads_no_member_message_or_record_row(signed_in: Client) -> None:
    _view(signed_in)
    with CaptureQueriesContext(connection) as queries:
        html = _view(signed_in)

    read = [q["sql"] for q in queries.captured_queries if RECORD_READ.search(q["sql"])]
    assert read == []
    assert OLD_LINE in _footer(html)  # the frame still says the sponsor's line


def test_a_new_message_and_a_read_one_move_a_cached_dashboards_unread_count(
    signed_in: Client, family: Family
) -> None:
    user = family.subscriber.user
    assert "unread)" not in _view(signed_in)

    first = _tell(user, "1")
    assert "(1 unread)" in _view(signed_in)
    _tell(user, "2")
    assert "(2 unread)" in _view(signed_in)

    signed_in.get(reverse("notifications:message", args=[first.public_id]))
    assert "(1 unread)" in _view(signed_in)
    signed_in.post(reverse("notifications:mark_all_read"))
    assert "unread)" not in _view(signed_in)


def test_a_sponsors_new_member_services_line_shows_on_a_cached_dashboard(
    signed_in: Client, family: Family
) -> None:
    sponsor = Sponsor.objects.get(pk=family.subscriber.client_id)
    Sponsor.objects.filter(pk=sponsor.pk).update(member_services_phone=NEW_LINE)  # no signal
    assert OLD_LINE in _footer(_view(signed_in))  # the control: the entry serves the old line

    sponsor.member_services_phone = NEW_LINE
    sponsor.save()

    footer = _footer(_view(signed_in))
    assert NEW_LINE in footer
    assert OLD_LINE not in footer


def test_a_member_moved_to_another_sponsor_sees_its_line_on_a_cached_dashboard(
    signed_in: Client, family: Family
) -> None:
    other = ClientFactory(member_services_phone=NEW_LINE)  # a new sponsor bumps everyone...
    _view(signed_in)  # ...so this view fills the entry again, still with the old line
    Member.objects.filter(pk=family.subscriber.pk).update(client=other)  # no signal
    assert OLD_LINE in _footer(_view(signed_in))  # the control

    member = Member.objects.get(pk=family.subscriber.pk)
    member.save()  # what the back office or an eligibility load does: the signal bumps it

    footer = _footer(_view(signed_in))
    assert NEW_LINE in footer
    assert OLD_LINE not in footer


def test_the_cached_support_lines_follow_the_language(signed_in: Client) -> None:
    english = _footer(_view(signed_in))
    spanish = _footer(_view(signed_in, accept_language="es"))

    assert OLD_LINE in english and OLD_LINE in spanish
    assert english != spanish  # the hours are said in each page's language


# What the dashboard's cache reads send to the backend (the middleware's own, the bare view's
# too, are not counted): a hit's reads are one get_many, and it writes nothing.
CACHE_COMMANDS = ("get", "get_many", "set", "set_many", "add", "incr", "delete", "touch", "has_key")


def _cache_commands(client: Client) -> list[str]:
    backend = caches["default"]
    calls: list[str] = []
    counting = False
    depth = 0  # the local-memory backend's get_many calls its own get: one command

    def counted_view(**kwargs: Any) -> Any:
        nonlocal counting
        counting = True
        try:
            return get_dashboard_view(**kwargs)
        finally:
            counting = False

    with ExitStack() as stack:
        for name in CACHE_COMMANDS:
            original = getattr(backend, name)

            def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
                nonlocal depth
                if counting and depth == 0:
                    calls.append(_name)
                depth += 1
                try:
                    return _original(*args, **kw)
                finally:
                    depth -= 1

            stack.enter_context(mock.patch.object(backend, name, counted))
        stack.enter_context(mock.patch.object(views, "get_dashboard_view", counted_view))
        _view(client)
    return calls


def test_a_hit_is_one_cache_round_trip(signed_in: Client) -> None:
    _view(signed_in)

    assert _cache_commands(signed_in) == ["get_many"]


def test_a_revoke_hides_the_member_though_the_worker_remembers_the_old_family(
    signed_in: Client, family: Family
) -> None:
    # The worker remembers whom the viewer may see, to read their numbers in the one trip; a
    # memory the cache disagrees with costs a second trip, never a stale page.
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    FamilyAccessGrantFactory(grantor=family.spouse)
    ClaimFactory(member=family.spouse, drug=DrugFactory(name="Spouseclaimol"))
    assert "Spouseclaimol" in _view(signed_in)
    assert _cache_commands(signed_in) == ["get_many"]

    revoke_family_access(grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user)

    assert "Spouseclaimol" not in _view(signed_in)
    assert _cache_commands(signed_in) == ["get_many"]
