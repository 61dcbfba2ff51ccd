"""The staff console's audit says whose records a page showed: every member a lookup lists and
every account a search lists is recorded by public id, one event per record (so a search of the
trail by a member's or account's id finds it), never with names or what was typed."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.audit.models import AuditEvent, Outcome
from rxportal.members.models import Member
from tests.factories import DependentFactory
from tests.staff.conftest import events, make_user, staff_client

LOOKUP = {"member_id": "RXP00001234", "date_of_birth": "1980-06-15", "zip_code": "06103"}


def _trail() -> str:
    return json.dumps(list(AuditEvent.objects.values("subject_id", "details", "reason")))


def _subjects(action: str) -> list[tuple[Any, ...]]:
    return [
        (event.actor_id, event.outcome, event.subject_type, event.subject_id)
        for event in events(action)
    ]


def test_every_member_a_lookup_lists_is_recorded(service_agent: User, member: Member) -> None:
    first = DependentFactory(subscriber=member, first_name="Ana")
    second = DependentFactory(
        subscriber=member, first_name="Eva", date_of_birth=first.date_of_birth
    )

    response = staff_client(service_agent).post(
        reverse("staff:member_lookup"),
        {**LOOKUP, "date_of_birth": first.date_of_birth.isoformat()},
    )

    assert response.status_code == 200
    html = response.content.decode()
    shown = [first, second]
    for shown_member in shown:
        assert reverse("staff:member_detail", args=[shown_member.public_id]) in html
    [lookup] = events("phi.staff.member.lookup")
    assert (lookup.subject_id, lookup.details) == ("", {"matches": 2, "edge": "web"})
    assert sorted(_subjects("phi.staff.member.listed")) == sorted(
        (service_agent.pk, Outcome.SUCCESS, "members.member", str(m.public_id)) for m in shown
    )
    assert "Ana" not in _trail() and "Eva" not in _trail()


def test_a_single_match_is_recorded_once_as_the_lookups_subject(
    service_agent: User, member: Member
) -> None:
    staff_client(service_agent).post(reverse("staff:member_lookup"), LOOKUP)

    [lookup] = events("phi.staff.member.lookup")
    assert lookup.subject_id == str(member.public_id)
    assert events("phi.staff.member.listed") == []


def test_every_account_a_search_lists_is_recorded(account_agent: User) -> None:
    jordan = make_user("jordan.smith", "member")
    jo = make_user("jo.ng", "member")
    make_user("quinn.lee", "member")

    response = staff_client(account_agent).post(reverse("staff:user_search"), {"q": "jo"})

    assert response.status_code == 200
    html = response.content.decode()
    for user in (jordan, jo):
        assert reverse("staff:user_detail", args=[user.public_id]) in html
    [searched] = events("staff.user.searched")
    assert searched.details == {"results": 2}
    assert sorted(_subjects("staff.user.listed")) == sorted(
        (account_agent.pk, Outcome.SUCCESS, "accounts.user", str(user.public_id))
        for user in (jordan, jo)
    )
    assert "jordan" not in _trail() and "jo.ng" not in _trail()


def test_a_search_listing_nobody_records_no_account(account_agent: User) -> None:
    make_user("quinn.lee", "member")

    staff_client(account_agent).post(reverse("staff:user_search"), {"q": "zz"})

    [searched] = events("staff.user.searched")
    assert searched.details == {"results": 0}
    assert events("staff.user.listed") == []
