"""Whose records a message is about (``Notification.about_member``): the inbox shows it, and a
queued email or text goes out, only while the one access rule lets its recipient see that
member. A revoked consent hides an adult dependent's messages from the subscriber at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from rxportal.core import clock
from rxportal.members.notices import notify_people_who_may_see
from rxportal.members.services import grant_family_access, revoke_family_access
from rxportal.notifications import selectors, services
from rxportal.notifications.models import WITHDRAWN_ACCESS, Channel, Notification, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHIPPED = {"order_number": "MO-777777", "drug_names": "Sweepamine 10 MG Oral Tablet"}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tell_about(member: Any, today: Any, key: str = "shipped") -> None:
    notify_people_who_may_see(
        member=member,
        kind="orders.shipped",
        context=SHIPPED,
        idempotency_key=key,
        link_path="/orders/",
        today=today,
    )


@pytest.fixture
def consenting_adult(family: Any) -> Any:
    adult = family.adult_child
    adult.user = UserFactory(username="mateo")
    adult.save(update_fields=["user"])
    grant_family_access(grantor=adult, grantee=family.subscriber, actor=adult.user)
    return adult


def test_a_message_says_whose_records_it_is_about(
    family: Any, consenting_adult: Any, today: Any
) -> None:
    tell_about(consenting_adult, today)

    assert set(Notification.objects.values_list("about_member_id", flat=True)) == {
        consenting_adult.pk
    }


def test_the_unread_count_drops_at_once_when_consent_is_revoked(
    family: Any, consenting_adult: Any, today: Any
) -> None:
    subscriber = family.subscriber.user
    tell_about(consenting_adult, today)
    assert selectors.count_unread(viewer=subscriber) == 1  # cached now

    revoke_family_access(
        grantor=consenting_adult, grantee=family.subscriber, actor=consenting_adult.user
    )

    assert selectors.count_unread(viewer=subscriber) == 0
    assert list(selectors.list_inbox(viewer=subscriber)) == []


def test_mark_all_read_leaves_a_hidden_members_messages_as_they_were(
    family: Any, consenting_adult: Any, today: Any
) -> None:
    """Found by the token sweep: "mark all read" marked (and counted) the subscriber's messages
    about an adult dependent who had revoked consent, messages the inbox no longer shows."""
    subscriber = family.subscriber.user
    tell_about(consenting_adult, today)
    tell_about(family.subscriber, today, key="own")
    revoke_family_access(
        grantor=consenting_adult, grantee=family.subscriber, actor=consenting_adult.user
    )

    assert services.mark_all_read(viewer=subscriber) == 1

    hidden = Notification.objects.get(
        recipient=subscriber, channel=Channel.INBOX, about_member=consenting_adult
    )
    assert hidden.read_at is None
    assert selectors.count_unread(viewer=subscriber) == 0


def test_the_patient_still_sees_their_own_messages_after_revoking(
    family: Any, consenting_adult: Any, today: Any
) -> None:
    tell_about(consenting_adult, today)
    revoke_family_access(
        grantor=consenting_adult, grantee=family.subscriber, actor=consenting_adult.user
    )

    own = Notification.objects.get(recipient=consenting_adult.user, channel=Channel.INBOX)
    assert selectors.count_unread(viewer=consenting_adult.user) == 1
    response = signed_in(consenting_adult.user).get(
        reverse("notifications:message", args=[own.public_id])
    )
    assert response.status_code == 200
    assert "Sweepamine" in response.content.decode()


def test_a_minors_messages_stay_visible_to_the_subscriber(family: Any, today: Any) -> None:
    tell_about(family.minor_child, today)

    told = Notification.objects.get(recipient=family.subscriber.user, channel=Channel.INBOX)
    assert told.about_member_id == family.minor_child.pk
    assert selectors.count_unread(viewer=family.subscriber.user) == 1
    response = signed_in(family.subscriber.user).get(
        reverse("notifications:message", args=[told.public_id])
    )
    assert "Sweepamine" in response.content.decode()


def queued_email_to_the_subscriber(family: Any, adult: Any, today: Any, capture: Any) -> Any:
    with capture(execute=False), transaction.atomic():  # queued: no task runs
        tell_about(adult, today)
    return Notification.objects.get(recipient=family.subscriber.user, channel=Channel.EMAIL)


def test_a_queued_email_is_withdrawn_when_consent_was_revoked_before_it_was_sent(
    family: Any, consenting_adult: Any, today: Any, django_capture_on_commit_callbacks: Any
) -> None:
    queued = queued_email_to_the_subscriber(
        family, consenting_adult, today, django_capture_on_commit_callbacks
    )
    revoke_family_access(
        grantor=consenting_adult, grantee=family.subscriber, actor=consenting_adult.user
    )

    delivery = services.deliver_notification(public_id=queued.public_id, now=clock.now())

    assert delivery.result == services.DeliveryResult.FAILED
    queued.refresh_from_db()
    assert (queued.status, queued.last_error_code) == (Status.FAILED, WITHDRAWN_ACCESS)
    assert not queued.can_resend
    assert family.subscriber.user.email not in [m.to[0] for m in mail.outbox]


def test_the_batch_withdraws_the_revoked_email_and_sends_the_patients_own(
    family: Any, consenting_adult: Any, today: Any, django_capture_on_commit_callbacks: Any
) -> None:
    queued = queued_email_to_the_subscriber(
        family, consenting_adult, today, django_capture_on_commit_callbacks
    )
    revoke_family_access(
        grantor=consenting_adult, grantee=family.subscriber, actor=consenting_adult.user
    )
    ids = list(Notification.objects.values_list("pk", flat=True))

    sent = services.deliver_notification_batch(ids=ids, now=clock.now())

    queued.refresh_from_db()
    assert (queued.status, queued.last_error_code, queued.attempts) == (
        Status.FAILED,
        WITHDRAWN_ACCESS,
        0,
    )
    assert [m.to[0] for m in mail.outbox] == [consenting_adult.user.email]
    # The patient's email and both inbox rows.
    assert sent == 3


def test_a_queued_email_still_goes_out_while_consent_lasts(
    family: Any, consenting_adult: Any, today: Any, django_capture_on_commit_callbacks: Any
) -> None:
    queued = queued_email_to_the_subscriber(
        family, consenting_adult, today, django_capture_on_commit_callbacks
    )

    services.deliver_notification(public_id=queued.public_id, now=clock.now())

    queued.refresh_from_db()
    assert queued.status == Status.SENT
    assert [m.to[0] for m in mail.outbox] == [family.subscriber.user.email]


def test_a_bulk_message_says_whose_records_it_is_about_and_is_hidden_after_revoking(
    family: Any, consenting_adult: Any
) -> None:
    subscriber = family.subscriber.user
    with transaction.atomic():
        services.notify_many(
            kind="prescriptions.refill_due",
            messages=[
                services.BulkMessage(
                    recipient=subscriber,
                    facts={"first_name": "Dana", "patient_first_name": "Mateo", "drug_name": "X"},
                    variant=(("about_self", False), ("due_date", "soon")),
                    idempotency_key="bulk",
                    about_member_id=consenting_adult.pk,
                )
            ],
        )
    assert set(Notification.objects.values_list("about_member_id", flat=True)) == {
        consenting_adult.pk
    }
    assert selectors.count_unread(viewer=subscriber) == 1

    revoke_family_access(
        grantor=consenting_adult, grantee=family.subscriber, actor=consenting_adult.user
    )

    assert selectors.count_unread(viewer=subscriber) == 0
