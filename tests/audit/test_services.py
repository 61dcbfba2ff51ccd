"""record_event: the chain, what is taken from the request, and the guards."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from rxportal.accounts.models import User
from rxportal.audit import domain
from rxportal.audit.models import AuditEvent, Outcome
from rxportal.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_events_form_a_chain(staff_user: User) -> None:
    events = [
        record_event(action="staff.test.done", outcome=Outcome.SUCCESS, actor=staff_user)
        for _ in range(4)
    ]

    stored = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in stored] == [1, 2, 3, 4]
    assert stored[0].prev_hash == domain.GENESIS_HASH
    for previous, current in itertools.pairwise(stored):
        assert current.prev_hash == previous.hash
    assert [e.hash for e in events] == [e.hash for e in stored]
    assert len({e.hash for e in stored}) == 4


def test_actor_is_snapshotted(staff_user: User) -> None:
    event = record_event(action="staff.test.done", outcome=Outcome.SUCCESS, actor=staff_user)

    staff_user.username = "renamed"
    staff_user.save()
    event.refresh_from_db()
    assert event.actor == staff_user
    assert event.actor_username == "avery.staff"
    assert event.actor_role == "account_team"


def test_ip_and_user_agent_come_from_the_request_and_forwarded_for_is_ignored() -> None:
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400,
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )

    event = record_event(action="auth.test.done", outcome=Outcome.SUCCESS, request=request)

    event.refresh_from_db()
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent.startswith("Mozilla/5.0 ")
    assert len(event.user_agent) == 300


def test_ipv6_addresses_are_stored_as_hashed(staff_user: User) -> None:
    from rxportal.audit.selectors import verify_chain

    for address in ("2001:DB8:0:0::1", "::ffff:10.0.0.1", "fe80::1%eth0"):
        record_event(action="auth.test.done", outcome=Outcome.SUCCESS, ip_address=address)

    assert list(AuditEvent.objects.order_by("sequence").values_list("ip_address", flat=True)) == [
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "fe80::1",
    ]
    assert verify_chain().ok


def test_anonymous_actor_is_recorded_as_nobody() -> None:
    from django.contrib.auth.models import AnonymousUser

    event = record_event(action="auth.test.done", outcome=Outcome.DENIED, actor=AnonymousUser())

    assert event.actor is None
    assert event.actor_username == ""


def test_subject_is_referenced_by_its_public_id(member_user: User, staff_user: User) -> None:
    event = record_event(
        action="staff.username.changed",
        outcome=Outcome.SUCCESS,
        actor=staff_user,
        subject=member_user,
        reason="member asked by phone, ticket 1234",
    )

    assert event.subject_type == "accounts.user"
    assert event.subject_id == str(member_user.public_id)


def test_subject_and_subject_id_are_exclusive(member_user: User) -> None:
    with pytest.raises(ValueError, match="not both"):
        record_event(
            action="staff.x.y", outcome=Outcome.SUCCESS, subject=member_user, subject_id="abc"
        )


def test_details_guard_refuses_a_password_and_writes_nothing() -> None:
    with pytest.raises(ValueError, match="password"):
        record_event(
            action="auth.password.changed", outcome=Outcome.SUCCESS, details={"password": "x"}
        )

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "Login", "outcome": "success"}, "dotted"),
        ({"action": "auth.login", "outcome": "ok"}, "outcome"),
        ({"action": "auth.login", "outcome": "success", "reason": "x" * 1001}, "reason"),
    ],
)
def test_malformed_events_are_refused(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record_event(**kwargs)  # type: ignore[arg-type]


def test_events_cannot_be_updated(staff_user: User) -> None:
    event = record_event(action="staff.test.done", outcome=Outcome.SUCCESS, actor=staff_user)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.reason = "rewritten"
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'rewritten'")

    event.refresh_from_db()
    assert event.reason == ""


def test_events_cannot_be_deleted(staff_user: User) -> None:
    event = record_event(action="staff.test.done", outcome=Outcome.SUCCESS, actor=staff_user)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")

    assert AuditEvent.objects.count() == 1


def test_a_user_with_audit_history_cannot_be_deleted(staff_user: User) -> None:
    from django.db.models import ProtectedError

    record_event(action="staff.test.done", outcome=Outcome.SUCCESS, actor=staff_user)

    with pytest.raises(ProtectedError), transaction.atomic():
        staff_user.delete()
