"""The PHI-read door: the edge and the app go into every event; only phi.* actions pass."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from rxportal.audit.models import AuditEvent
from rxportal.records.reads import (
    Edge,
    Reader,
    find_visible_member,
    record_phi_read,
    visible_members,
)
from tests.conftest import Family


@pytest.mark.django_db
def test_an_api_read_records_its_edge_and_app(family: Family, today: object) -> None:
    user = family.subscriber.user
    reader = Reader(user=user, edge=Edge.API, request=RequestFactory().get("/"), client_id="app1")
    record_phi_read(
        reader, action="phi.claims.viewed", subject=family.subscriber, details={"count": 3}
    )
    event = AuditEvent.objects.get(action="phi.claims.viewed")
    assert event.actor_id == user.pk
    assert event.details == {"count": 3, "edge": "api", "app": "app1"}
    assert event.subject_id == str(family.subscriber.public_id)


@pytest.mark.django_db
def test_only_phi_actions_and_the_family_rule(family: Family, today: object) -> None:
    reader = Reader(user=family.subscriber.user, edge=Edge.WEB)
    with pytest.raises(ValueError, match="phi"):
        record_phi_read(reader, action="account.viewed")
    seen = visible_members(reader, today=today)  # type: ignore[arg-type]
    assert seen[0] == family.subscriber
    assert family.minor_child in seen and family.adult_child not in seen


@pytest.mark.django_db
def test_find_visible_member_answers_none_for_anyone_the_reader_may_not_see(
    family: Family, today: object
) -> None:
    reader = Reader(user=family.subscriber.user, edge=Edge.FHIR)
    assert find_visible_member(reader, public_id=None, today=today) == family.subscriber  # type: ignore[arg-type]
    child = str(family.minor_child.public_id).upper()
    assert find_visible_member(reader, public_id=child, today=today) == family.minor_child  # type: ignore[arg-type]
    for hidden in (str(family.adult_child.public_id), "not-a-uuid", ""):
        assert find_visible_member(reader, public_id=hidden, today=today) is None  # type: ignore[arg-type]
