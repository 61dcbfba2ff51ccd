"""``notify``: a kind's templates rendered in the person's language, one outbox row per channel,
the email with its HTML, and the same event told once however often its job runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from rxportal.notifications import kinds, services
from rxportal.notifications.models import Channel, Notification, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_security_notice_goes_by_email_with_html_and_to_the_inbox(
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = UserFactory(email="ana@example.org")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.notify(
            recipient=person, kind="security.sign_in_paused", context={}, idempotency_key="e1"
        )

    assert sorted(row.channel for row in rows) == [Channel.EMAIL, Channel.INBOX]
    assert Notification.objects.filter(recipient=person, status=Status.SENT).count() == 2
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    assert message.subject == "Sign-in to your rxportal account was paused"
    assert "wrong password" in message.body
    [(html, mimetype)] = message.alternatives  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert "<p>" in html and "wrong password" in html


def test_the_same_event_twice_is_told_once(django_capture_on_commit_callbacks: Any) -> None:
    person = UserFactory(email="ana@example.org")

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            services.notify(
                recipient=person, kind="security.sign_in_paused", context={}, idempotency_key="e1"
            )

    assert Notification.objects.filter(recipient=person).count() == 2  # email + inbox, once
    assert len(mail.outbox) == 1


def test_a_person_without_an_email_address_still_gets_the_inbox_row() -> None:
    person = UserFactory(email="")

    with transaction.atomic():
        rows = services.notify(
            recipient=person, kind="security.sign_in_paused", context={}, idempotency_key="e2"
        )

    assert [row.channel for row in rows] == [Channel.INBOX]
    assert mail.outbox == []


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(kinds.UnknownKind):
        services.notify(
            recipient=UserFactory(), kind="no.such.kind", context={}, idempotency_key="e3"
        )


# Still written by hand in accounts/services/staff.py (the staff app takes them over).
@pytest.mark.parametrize("code", sorted(kinds.KINDS))
def test_every_kind_has_its_subject_and_plain_text(code: str) -> None:
    kind = kinds.get_kind(code)
    message = services.render_message(kind, {})
    assert message.subject and "\n" not in message.subject
    assert message.body_text.strip()
    assert message.sms_text and "\n" not in message.sms_text


def test_plain_text_is_not_html_escaped(settings: Any, tmp_path: Any) -> None:
    folder = tmp_path / "notifications" / "messages" / "security" / "sign_in_paused"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("{{ drug }}")
    (folder / "body.txt").write_text("Your {{ drug }} refill")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    message = services.render_message(
        kinds.get_kind("security.sign_in_paused"), {"drug": 'Acetaminophen & Oxycodone "5/325"'}
    )

    assert message.subject == 'Acetaminophen & Oxycodone "5/325"'
    assert message.body_text == 'Your Acetaminophen & Oxycodone "5/325" refill'


def test_one_event_tells_two_people_each_once(django_capture_on_commit_callbacks: Any) -> None:
    dependent, subscriber = UserFactory(), UserFactory()

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            for person in (dependent, subscriber):
                services.notify(
                    recipient=person,
                    kind="security.sign_in_paused",
                    context={},
                    idempotency_key="refill-of-rx-1",
                )

    assert Notification.objects.filter(recipient=dependent).count() == 2  # email + inbox
    assert Notification.objects.filter(recipient=subscriber).count() == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [dependent.email, subscriber.email]
    )


def test_a_long_event_key_still_fits() -> None:
    person = UserFactory()
    with transaction.atomic():
        rows = services.notify(
            recipient=person,
            kind="security.sign_in_paused",
            context={},
            idempotency_key="x" * 200,
        )
    assert all(len(row.idempotency_key) <= 128 for row in rows)
