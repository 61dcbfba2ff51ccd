"""The inbox on the API (cursor pages, one message marks it read and is audited when about
someone's records, mark all read, unread count) and notification preferences, through the
services of /notifications/; the family rule on messages about a member, and the scopes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from rxportal.core import clock
from rxportal.notifications.models import Channel, Notification, NotificationSettings, Status
from tests.api.records_support import (
    api_reads,
    assert_insufficient_scope,
    assert_problem,
    call,
    token_for,
)
from tests.conftest import Family
from tests.factories import UserFactory
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db


def inbox_message(
    user: Any, *, kind: str = "security.password_changed", **fields: Any
) -> Notification:
    """An inbox row as ``notify`` writes it (already rendered)."""
    values: dict[str, Any] = {
        "recipient": user,
        "kind": kind,
        "channel": Channel.INBOX,
        "language": "en",
        "subject": "A message",
        "body_text": "Its words.",
        "idempotency_key": uuid.uuid4().hex,
        "status": Status.SENT,
        "next_attempt_at": clock.now(),
    }
    values.update(fields)
    return Notification.objects.create(**values)


def test_the_inbox_pages_newest_first_by_cursor(family: Family) -> None:
    user = family.subscriber.user
    now = clock.now()
    messages = [inbox_message(user, subject=f"Message {n}") for n in range(5)]
    for n, message in enumerate(messages):  # created_at is set on insert: date them after
        Notification.objects.filter(pk=message.pk).update(created_at=now - dt.timedelta(minutes=n))
    inbox_message(UserFactory())  # someone else's
    token = token_for(user)

    first = call("GET", "/notifications?limit=3", token).json()
    second = call("GET", f"/notifications?limit=3&cursor={first['next_cursor']}", token).json()

    assert [item["id"] for item in first["items"] + second["items"]] == [
        str(message.public_id) for message in messages
    ]
    assert first["items"][0]["kind"] == "security.password_changed"
    assert first["items"][0]["topic"] == "security"
    assert first["items"][0]["read_at"] is None
    assert second["next_cursor"] is None


def test_a_bad_cursor_or_limit_is_refused(family: Family) -> None:
    token = token_for(family.subscriber.user)
    someone_elses = inbox_message(UserFactory())

    assert_problem(call("GET", "/notifications?cursor=nope", token), 400, "invalid-cursor")
    assert_problem(
        call("GET", f"/notifications?cursor={someone_elses.public_id}", token),
        400,
        "invalid-cursor",
    )
    assert call("GET", "/notifications?limit=0", token).status_code == 422


def test_opening_a_message_about_records_marks_it_read_and_is_audited(family: Family) -> None:
    user = family.subscriber.user
    message = inbox_message(user, kind="orders.shipped", about_member=family.subscriber)
    token = token_for(user)
    assert call("GET", "/notifications/unread-count", token).json() == {"unread": 1}

    response = call("GET", f"/notifications/{message.public_id}", token)

    assert response.status_code == 200
    body = response.json()
    assert body["body_text"] == "Its words."
    assert body["about_member"] == str(family.subscriber.public_id)
    assert body["read_at"] is not None
    message.refresh_from_db()
    assert message.read_at is not None
    [event] = api_reads("phi.notification.viewed")
    assert event.details["kind"] == "orders.shipped"
    assert call("GET", "/notifications/unread-count", token).json() == {"unread": 0}


def test_opening_a_security_notice_is_not_a_phi_read(family: Family) -> None:
    user = family.subscriber.user
    message = inbox_message(user)

    assert call("GET", f"/notifications/{message.public_id}", token_for(user)).status_code == 200
    assert api_reads("phi.notification.viewed") == []


def test_anothers_message_and_one_about_a_hidden_adult_are_not_found(family: Family) -> None:
    user = family.subscriber.user
    theirs = inbox_message(UserFactory())
    about_adult = inbox_message(user, kind="orders.shipped", about_member=family.adult_child)
    token = token_for(user)

    for public_id in (theirs.public_id, about_adult.public_id, "not-a-uuid"):
        assert_problem(call("GET", f"/notifications/{public_id}", token), 404, "not-found")
    listed = call("GET", "/notifications", token).json()["items"]
    assert str(about_adult.public_id) not in {item["id"] for item in listed}
    about_adult.refresh_from_db()
    assert about_adult.read_at is None

    grant = FamilyAccessGrantFactory(grantor=family.adult_child)
    path = f"/notifications/{about_adult.public_id}"
    assert call("GET", path, token).status_code == 200
    grant.revoked_at = timezone.now()
    grant.save()
    assert_problem(call("GET", path, token), 404)


def test_mark_all_read_needs_the_write_scope(family: Family) -> None:
    user = family.subscriber.user
    inbox_message(user)
    inbox_message(user)
    reading = token_for(user, "patient/Communication.rs")

    assert_insufficient_scope(
        call("POST", "/notifications/mark-all-read", reading), "notifications.write"
    )
    response = call("POST", "/notifications/mark-all-read", token_for(user))

    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_the_inbox_needs_the_communication_scope(family: Family) -> None:
    token = token_for(family.subscriber.user, "patient/Coverage.read notifications.write")

    assert_insufficient_scope(call("GET", "/notifications", token), "patient/Communication.rs")
    assert_insufficient_scope(
        call("GET", "/notifications/preferences", token), "patient/Communication.rs"
    )


def test_preferences_read_as_the_settings_page_shows_them(family: Family) -> None:
    body = call("GET", "/notifications/preferences", token_for(family.subscriber.user)).json()

    assert body["language"] == "en"
    kinds = {row["kind"]: row for row in body["kinds"]}
    locked = {cell["channel"]: cell for cell in kinds["security.password_changed"]["channels"]}
    assert locked["email"] == {"channel": "email", "offered": True, "enabled": True, "locked": True}
    shipped = {cell["channel"]: cell for cell in kinds["orders.shipped"]["channels"]}
    assert shipped["sms"]["enabled"] is False
    assert shipped["sms"]["locked"] is False


def test_preferences_change_through_the_settings_services(family: Family) -> None:
    user = family.subscriber.user
    token = token_for(user)

    response = call(
        "PATCH",
        "/notifications/preferences",
        token,
        {
            "language": "es",
            "quiet_hours_start": "21:00:00",
            "quiet_hours_end": "07:30:00",
            "time_zone": "America/Chicago",
            "channels": [
                {"kind": "orders.shipped", "channel": "email", "enabled": False},
                {"kind": "orders.shipped", "channel": "sms", "enabled": True},
            ],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["language"] == "es"
    assert body["quiet_hours_start"] == "21:00:00"
    shipped = {
        c["channel"]: c["enabled"]
        for c in next(row for row in body["kinds"] if row["kind"] == "orders.shipped")["channels"]
    }
    assert shipped == {"email": False, "sms": True, "inbox": True}
    stored = NotificationSettings.objects.get(user=user)
    assert (stored.language, stored.time_zone) == ("es", "America/Chicago")


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        (
            {
                "channels": [
                    {"kind": "security.password_changed", "channel": "email", "enabled": False}
                ]
            },
            "notification.not_optional",
        ),
        (
            {"channels": [{"kind": "no.such.kind", "channel": "email", "enabled": True}]},
            "notification.channel_not_offered",
        ),
        ({"time_zone": "Mars/Olympus"}, "notification.time_zone"),
        ({"quiet_hours_start": "21:00:00"}, "notification.quiet_hours"),
    ],
    ids=["locked", "unknown-kind", "time-zone", "half-quiet-hours"],
)
def test_refused_preferences_are_422_and_change_nothing(
    family: Family, body: dict[str, Any], slug: str
) -> None:
    user = family.subscriber.user

    response = call("PATCH", "/notifications/preferences", token_for(user), body)

    assert_problem(response, 422, slug)
    assert not NotificationSettings.objects.filter(user=user).exists()


def test_changing_preferences_needs_the_write_scope(family: Family) -> None:
    token = token_for(family.subscriber.user, "patient/*.read")

    response = call("PATCH", "/notifications/preferences", token, {"language": "es"})

    assert_insufficient_scope(response, "notifications.write")


def test_mark_all_read_neither_counts_nor_touches_messages_about_a_hidden_adult(
    family: Family,
) -> None:
    """``marked`` minus ``unread`` must not tell how many messages are about someone the caller
    may no longer see; those stay unread for the day the adult consents again."""
    user = family.subscriber.user
    inbox_message(user)
    about_adult = inbox_message(user, kind="orders.shipped", about_member=family.adult_child)
    token = token_for(user)

    assert call("GET", "/notifications/unread-count", token).json() == {"unread": 1}
    assert call("POST", "/notifications/mark-all-read", token).json() == {"marked": 1}
    about_adult.refresh_from_db()
    assert about_adult.read_at is None
