"""A hostile look at the one-trip dashboard hit: the worker's memory of whom a viewer may see is
only a guess of which numbers to read, so no interleaving of a revoke, a birthday, a second
worker or an evicted memory may serve a member the viewer can no longer see.

Each test first shows the member's claim (the cache and the worker's memory hold them), then
changes who may see them, and looks at the next views (both workers' where there are two).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.core import clock
from rxportal.members.domain import compute_latest_adult_birth_date
from rxportal.members.models import Member
from rxportal.members.services import grant_family_access, revoke_family_access
from rxportal.web import dashboard_cache
from tests.conftest import Family
from tests.factories import (
    ClaimFactory,
    DependentFactory,
    DrugFactory,
    MemberFactory,
    UserFactory,
)
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db
URL = reverse("web:dashboard")
SPOUSE_DRUG = "Spouseclaimol"


def _view(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


@contextmanager
def _worker(monkeypatch: pytest.MonkeyPatch, memory: OrderedDict[str, Any]) -> Iterator[None]:
    """Requests served by one gunicorn worker: its own memory of whom each viewer may see."""
    with monkeypatch.context() as patch:
        patch.setattr(dashboard_cache, "_remembered_visible", memory)
        yield


@pytest.fixture
def spouse_shown(client: Client, family: Family) -> Client:
    """The subscriber's dashboard shows the consenting spouse's claim, cached and remembered."""
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    FamilyAccessGrantFactory(grantor=family.spouse)
    ClaimFactory(member=family.spouse, drug=DrugFactory(name=SPOUSE_DRUG))
    client.force_login(family.subscriber.user)
    assert SPOUSE_DRUG in _view(client)
    assert SPOUSE_DRUG in _view(client)  # the hit
    return client


def _revoke(family: Family, run_on_commit: Callable[..., Any]) -> None:
    # As in production: the bump at once, then the commit's own bump.
    with run_on_commit(execute=True):
        revoke_family_access(
            grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user
        )


def test_a_worker_that_remembers_the_spouse_never_shows_them_after_another_worker_rebuilt(
    spouse_shown: Client,
    family: Family,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first: OrderedDict[str, Any] = OrderedDict(dashboard_cache._remembered_visible)
    second: OrderedDict[str, Any] = OrderedDict()

    _revoke(family, django_capture_on_commit_callbacks)

    with _worker(monkeypatch, second):
        assert SPOUSE_DRUG not in _view(spouse_shown)
    with _worker(monkeypatch, first):  # still remembers the spouse
        assert SPOUSE_DRUG not in _view(spouse_shown)
        assert SPOUSE_DRUG not in _view(spouse_shown)


def test_a_grant_again_then_a_revoke_leaves_no_worker_with_the_spouse(
    spouse_shown: Client,
    family: Family,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first: OrderedDict[str, Any] = OrderedDict(dashboard_cache._remembered_visible)
    second: OrderedDict[str, Any] = OrderedDict()
    _revoke(family, django_capture_on_commit_callbacks)
    with _worker(monkeypatch, second):
        assert SPOUSE_DRUG not in _view(spouse_shown)
    with django_capture_on_commit_callbacks(execute=True):
        grant_family_access(
            grantor=family.spouse, grantee=family.subscriber, actor=family.spouse.user
        )
    with _worker(monkeypatch, second):
        assert SPOUSE_DRUG in _view(spouse_shown)

    _revoke(family, django_capture_on_commit_callbacks)

    for memory in (first, second):
        with _worker(monkeypatch, memory):
            assert SPOUSE_DRUG not in _view(spouse_shown)


def test_a_revoke_right_after_the_family_was_read_is_not_remembered(
    spouse_shown: Client,
    family: Family,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """The view reads the family, the revoke commits, then the view stores the family it read
    (with the spouse) and remembers it: neither may be believed afterwards."""
    read_family = dashboard_cache.list_family_members_visible_to

    def family_then_revoke(**kwargs: Any) -> list[Member]:
        members = read_family(**kwargs)
        if any(member.pk == family.spouse.pk for member in members):
            _revoke(family, django_capture_on_commit_callbacks)
        return members

    FamilyAccessGrantFactory(grantor=family.adult_child)  # any family change: a new read
    with monkeypatch.context() as patch:
        patch.setattr(dashboard_cache, "list_family_members_visible_to", family_then_revoke)
        _view(spouse_shown)  # served while the revoke raced it: either answer is fair

    assert SPOUSE_DRUG not in _view(spouse_shown)
    assert SPOUSE_DRUG not in _view(spouse_shown)


def test_a_revoke_right_after_the_records_were_read_is_not_served_from_the_entry(
    spouse_shown: Client,
    family: Family,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    read_dashboard = dashboard_cache.find_member_dashboard

    def records_then_revoke(**kwargs: Any) -> Any:
        dashboard = read_dashboard(**kwargs)
        _revoke(family, django_capture_on_commit_callbacks)
        return dashboard

    ClaimFactory(member=family.subscriber)  # the subscriber's number moves: the page is rebuilt
    with monkeypatch.context() as patch:
        patch.setattr(dashboard_cache, "find_member_dashboard", records_then_revoke)
        assert SPOUSE_DRUG in _view(spouse_shown)  # read before the revoke

    assert SPOUSE_DRUG not in _view(spouse_shown)
    assert SPOUSE_DRUG not in _view(spouse_shown)


def test_an_evicted_memory_never_brings_the_spouse_back(
    spouse_shown: Client,
    family: Family,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    monkeypatch.setattr(dashboard_cache, "_REMEMBERED_VIEWERS", 1)
    other = Client()
    other.force_login(MemberFactory(user=UserFactory(username="other")).user)
    _view(other)  # the subscriber's memory is evicted
    assert len(dashboard_cache._remembered_visible) == 1

    _revoke(family, django_capture_on_commit_callbacks)

    assert SPOUSE_DRUG not in _view(spouse_shown)
    _view(other)
    assert SPOUSE_DRUG not in _view(spouse_shown)


def test_a_child_turning_18_drops_out_though_every_worker_remembers_them(
    client: Client, family: Family, today: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = today + dt.timedelta(days=1)
    born = compute_latest_adult_birth_date(tomorrow)  # 18 tomorrow, 17 today
    if born <= compute_latest_adult_birth_date(today):
        pytest.skip("today's and tomorrow's cut-offs meet around 29 February")
    child = DependentFactory(subscriber=family.subscriber, date_of_birth=born, first_name="Ana")
    ClaimFactory(member=child, drug=DrugFactory(name="Birthdayol"))
    client.force_login(family.subscriber.user)
    first: OrderedDict[str, Any] = OrderedDict()
    second: OrderedDict[str, Any] = OrderedDict()
    for memory in (first, second):
        with _worker(monkeypatch, memory):
            assert "Birthdayol" in _view(client)
            assert "Birthdayol" in _view(client)

    monkeypatch.setattr(clock, "today", lambda: tomorrow)

    for memory in (first, second, first):
        with _worker(monkeypatch, memory):
            assert "Birthdayol" not in _view(client)
