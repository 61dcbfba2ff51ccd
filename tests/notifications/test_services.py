"""The outbox: written with its event, delivered once after commit, retried with back-off,
parked after the last try, and found by the sweep when its task is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from rxportal.accounts.gateways import FakeSmsGateway
from rxportal.core import clock
from rxportal.notifications import domain, services
from rxportal.notifications.models import Channel, Notification, Status
from tests.factories import UserFactory
from tests.notifications.support import FlakyEmailBackend, notice

pytestmark = pytest.mark.django_db

FLAKY = "tests.notifications.support.FlakyEmailBackend"


@pytest.fixture
def flaky_mail(settings: Any) -> Iterator[type[FlakyEmailBackend]]:
    settings.EMAIL_BACKEND = FLAKY
    FlakyEmailBackend.failures_to_come = 0
    yield FlakyEmailBackend
    FlakyEmailBackend.failures_to_come = 0


@pytest.fixture
def fake_sms(settings: Any) -> Iterator[type[FakeSmsGateway]]:
    settings.RXPORTAL_SMS_GATEWAY = "rxportal.accounts.gateways.FakeSmsGateway"
    FakeSmsGateway.outbox.clear()
    FakeSmsGateway.failures_to_come = 0
    yield FakeSmsGateway
    FakeSmsGateway.outbox.clear()
    FakeSmsGateway.failures_to_come = 0


class Boom(Exception):
    pass


def test_retry_delays_double_from_a_minute_up_to_an_hour() -> None:
    assert [domain.compute_retry_delay(n).total_seconds() / 60 for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]


def test_a_notification_is_sent_after_commit_as_text_with_an_html_alternative(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.enqueue(**notice())
        assert mail.outbox == []

    [message] = mail.outbox
    assert message.to == ["pat@example.org"]
    assert message.subject == "Hello"
    assert message.body == "Plain words."
    assert message.alternatives == [("<p>Plain words.</p>", "text/html")]
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.channel) == (Status.SENT, 1, Channel.EMAIL)
    assert row.sent_at is not None


def test_a_notification_written_in_a_transaction_that_rolls_back_is_never_sent(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        services.enqueue(**notice())
        raise Boom

    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert services.deliver_due_notifications(now=clock.now() + dt.timedelta(hours=1)) == 0
    assert mail.outbox == []


def test_a_delivery_that_fails_twice_then_succeeds_is_sent_once(
    flaky_mail: type[FlakyEmailBackend], django_capture_on_commit_callbacks: Any
) -> None:
    flaky_mail.failures_to_come = 2
    with django_capture_on_commit_callbacks(execute=True):
        row = services.enqueue(**notice())
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error_code) == (Status.QUEUED, 1, "email.refused")
    first_retry = row.next_attempt_at

    # Not due yet: the sweep leaves it alone.
    assert services.deliver_due_notifications(now=first_retry - dt.timedelta(seconds=1)) == 0
    assert services.deliver_due_notifications(now=first_retry) == 0  # second failure
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at - first_retry == dt.timedelta(minutes=2)

    assert services.deliver_due_notifications(now=row.next_attempt_at) == 1
    assert services.deliver_due_notifications(now=row.next_attempt_at + dt.timedelta(days=1)) == 0
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error_code) == (Status.SENT, 3, "")


def test_a_delivery_is_parked_as_failed_after_the_last_try(
    flaky_mail: type[FlakyEmailBackend], django_capture_on_commit_callbacks: Any
) -> None:
    flaky_mail.failures_to_come = domain.MAX_ATTEMPTS
    with django_capture_on_commit_callbacks(execute=True):
        row = services.enqueue(**notice())
    moment = clock.now()
    for _ in range(domain.MAX_ATTEMPTS + 2):
        moment += domain.LONGEST_RETRY_DELAY
        services.deliver_due_notifications(now=moment)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, domain.MAX_ATTEMPTS)
    assert row.body_text == "Plain words."  # kept for the resend
    assert row.can_resend
    assert mail.outbox == []


def test_the_sweep_delivers_a_notification_whose_task_was_lost(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the worker never got the task
        services.enqueue(**notice())
    assert mail.outbox == []

    assert services.deliver_due_notifications(now=clock.now()) == 1
    assert services.deliver_due_notifications(now=clock.now()) == 0
    assert len(mail.outbox) == 1


def test_the_same_idempotency_key_on_a_channel_is_one_notification(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = services.enqueue(**notice(idempotency_key="decision:1"))
        again = services.enqueue(**notice(idempotency_key="decision:1", subject="Other"))

    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_recipient_gets_mail_at_the_address_on_their_account(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = UserFactory(email="robin@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.enqueue(**notice(to_address="", recipient=user))
    assert mail.outbox[0].to == ["robin@example.org"]


def test_an_sms_provider_error_is_a_retried_delivery(
    fake_sms: type[FakeSmsGateway], django_capture_on_commit_callbacks: Any
) -> None:
    fake_sms.failures_to_come = 1
    with django_capture_on_commit_callbacks(execute=True):
        row = services.send_code_message(
            kind="code.test",
            recipient=UserFactory(),
            channel=Channel.SMS,
            to_address="+12025550143",
            body_text="rxportal code: 123456.",
        )
    row.refresh_from_db()
    assert (row.status, row.last_error_code) == (Status.QUEUED, "sms.provider")
    assert fake_sms.outbox == []

    assert services.deliver_due_notifications(now=row.next_attempt_at) == 1
    assert [(sms.to, sms.body) for sms in fake_sms.outbox] == [
        ("+12025550143", "rxportal code: 123456.")
    ]


def test_a_code_is_erased_from_its_row_once_sent(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.send_code_message(
            kind="code.test",
            recipient=None,
            channel=Channel.EMAIL,
            to_address="pat@example.org",
            subject="Your code",
            body_text="Your code is 654321",
        )
    assert "654321" in mail.outbox[0].body
    row = Notification.objects.get()
    assert (row.status, row.subject, row.body_text, row.to_address) == (Status.SENT, "", "", "")


def test_a_code_is_parked_after_fewer_tries_erased_and_never_resent(
    flaky_mail: type[FlakyEmailBackend], django_capture_on_commit_callbacks: Any
) -> None:
    flaky_mail.failures_to_come = 10
    with django_capture_on_commit_callbacks(execute=True):
        row = services.send_code_message(
            kind="code.test",
            recipient=None,
            channel=Channel.EMAIL,
            to_address="pat@example.org",
            subject="Your code",
            body_text="Your code is 654321",
        )
    moment = clock.now()
    for _ in range(domain.MAX_CODE_ATTEMPTS):
        moment += dt.timedelta(minutes=5)
        services.deliver_due_notifications(now=moment)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.body_text) == (
        Status.FAILED,
        domain.MAX_CODE_ATTEMPTS,
        "",
    )
    assert not row.can_resend


def test_a_message_the_mail_backend_refuses_to_build_is_a_failed_try_not_a_stuck_sweep(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A subject with a line break (BadHeaderError) is a failed try like a refusal, so the sweep
    goes on to the rows after it rather than stopping at the same row every minute."""
    with django_capture_on_commit_callbacks(execute=False):
        bad = services.enqueue(**notice(subject="Hello\nBcc: someone@example.org"))
        services.enqueue(**notice(to_address="other@example.org"))

    assert services.deliver_due_notifications(now=clock.now()) == 1

    bad.refresh_from_db()
    assert (bad.status, bad.attempts, bad.last_error_code) == (Status.QUEUED, 1, "email.invalid")
    assert [message.to for message in mail.outbox] == [["other@example.org"]]
