"""The in-app inbox: only the recipient sees a row (another's id is a 404), newest first and
paginated, unread said in words, opening marks read (audited when it is about PHI), mark all
read, and the unread count in the header."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.notifications import kinds, selectors, services
from rxportal.notifications.models import Channel, Notification
from tests.factories import UserFactory
from tests.notifications.support import OPTIONAL_KIND, install_optional_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def optional_kind(monkeypatch: Any, settings: Any, tmp_path: Any) -> kinds.Kind:
    return install_optional_kind(monkeypatch, settings, tmp_path)


def tell(
    user: Any, kind: str = "security.sign_in_paused", key: str = "1", **context: Any
) -> Notification:
    with transaction.atomic():
        rows = services.notify(
            recipient=user, kind=kind, context=context, idempotency_key=key, link_path="/orders/"
        )
    return next(row for row in rows if row.channel == Channel.INBOX)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_lists_the_persons_messages_newest_first_with_unread_in_words() -> None:
    user = UserFactory()
    first = tell(user, key="a")
    second = tell(user, key="b")
    Notification.objects.filter(pk=first.pk).update(
        created_at=second.created_at.replace(year=second.created_at.year - 1)
    )
    tell(UserFactory(), key="c")  # someone else's

    response = signed_in(user).get(reverse("notifications:inbox"))

    assert response.status_code == 200
    items = list(response.context["page"].object_list)
    assert [item.pk for item in items] == [second.pk, first.pk]
    html = response.content.decode()
    assert html.count("<strong>Unread</strong>") == 2
    assert "You have 2 unread messages." in html


def test_the_inbox_is_paginated(django_assert_max_num_queries: Any) -> None:
    user = UserFactory()
    for number in range(selectors.INBOX_PAGE_SIZE + 3):
        tell(user, key=str(number))
    client = signed_in(user)
    client.get(reverse("notifications:settings"))  # the session's first request records it

    with django_assert_max_num_queries(8):
        first_page = client.get(reverse("notifications:inbox"))
    second_page = client.get(reverse("notifications:inbox") + "?page=2")

    assert len(first_page.context["page"].object_list) == selectors.INBOX_PAGE_SIZE
    assert len(second_page.context["page"].object_list) == 3
    assert "Older messages" in first_page.content.decode()


def test_opening_a_message_shows_its_inbox_text_and_link_and_marks_it_read(
    optional_kind: kinds.Kind,
) -> None:
    user = UserFactory()
    row = tell(user, kind=OPTIONAL_KIND, first_name="Ana", drug="Lisinopril")
    client = signed_in(user)

    response = client.get(reverse("notifications:message", args=[row.public_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your Lisinopril refill is due." in html  # the inbox text, behind sign-in
    assert 'href="/orders/"' in html
    row.refresh_from_db()
    assert row.read_at is not None
    # About a prescription: the read is audited, ids only.
    event = AuditEvent.objects.get(action=services.ACTION_INBOX_READ)
    assert (event.actor_id, event.subject_id) == (user.pk, str(row.public_id))
    assert event.details == {"edge": "web", "kind": OPTIONAL_KIND}
    assert "Lisinopril" not in str(event.details)


def test_reading_a_security_notice_is_not_a_phi_read() -> None:
    user = UserFactory()
    row = tell(user)

    signed_in(user).get(reverse("notifications:message", args=[row.public_id]))

    assert not AuditEvent.objects.filter(action=services.ACTION_INBOX_READ).exists()


def test_another_persons_message_is_a_404() -> None:
    owner, other = UserFactory(), UserFactory()
    row = tell(owner)

    response = signed_in(other).get(reverse("notifications:message", args=[row.public_id]))

    assert response.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_an_emailed_row_is_not_in_the_inbox() -> None:
    user = UserFactory()
    with transaction.atomic():
        rows = services.notify(
            recipient=user, kind="security.sign_in_paused", context={}, idempotency_key="1"
        )
    emailed = next(row for row in rows if row.channel == Channel.EMAIL)

    response = signed_in(user).get(reverse("notifications:message", args=[emailed.public_id]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["notifications:inbox", "notifications:settings"])
def test_signed_out_visitors_are_sent_to_sign_in(name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_signed_out_visitor_cannot_open_a_message() -> None:
    row = tell(UserFactory())
    response = Client().get(reverse("notifications:message", args=[row.public_id]))
    assert response.status_code == 302


def test_the_header_shows_the_unread_count_and_it_follows_reads() -> None:
    user = UserFactory()
    rows = [tell(user, key=str(number)) for number in range(3)]
    client = signed_in(user)

    assert "(3 unread)" in client.get(reverse("notifications:settings")).content.decode()

    client.get(reverse("notifications:message", args=[rows[0].public_id]))
    assert "(2 unread)" in client.get(reverse("notifications:settings")).content.decode()

    tell(user, key="new")
    assert "(3 unread)" in client.get(reverse("notifications:settings")).content.decode()

    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    html = client.get(reverse("notifications:settings")).content.decode()
    assert "unread)" not in html
    assert selectors.count_unread(viewer=user) == 0


def test_mark_all_read_touches_only_the_persons_rows() -> None:
    user, other = UserFactory(), UserFactory()
    tell(user, key="mine")
    theirs = tell(other, key="theirs")

    signed_in(user).post(reverse("notifications:mark_all_read"))

    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert selectors.count_unread(viewer=other) == 1


def test_the_unread_count_is_a_few_indexed_queries_then_cached(
    django_assert_num_queries: Any,
) -> None:
    """The count, and the viewer's member record under the one access rule (none here)."""
    user = UserFactory()
    tell(user)
    selectors.forget_unread_count(user)

    with django_assert_num_queries(2):
        assert selectors.count_unread(viewer=user) == 1
    with django_assert_num_queries(0):
        assert selectors.count_unread(viewer=user) == 1


def test_the_settings_page_shows_security_notices_locked_and_saves_choices(
    optional_kind: kinds.Kind,
) -> None:
    user = UserFactory()
    client = signed_in(user)

    html = client.get(reverse("notifications:settings")).content.decode()
    assert (
        'id="pref-security.sign_in_paused-email" name="channel_on" value="security.sign_in_paused:email" checked disabled'
        in html
    )
    assert "Always sent" in html

    response = client.post(
        reverse("notifications:settings"),
        {
            "channel_on": [f"{OPTIONAL_KIND}:inbox", f"{OPTIONAL_KIND}:sms"],
            "language": "es",
            "quiet_hours_start": "21:30",
            "quiet_hours_end": "07:00",
            "time_zone": "America/Denver",
        },
    )

    assert response.status_code == 302
    assert selectors.get_channel_choices(user=user, kind=OPTIONAL_KIND) == {
        "email": False,
        "sms": True,
    }
    found = selectors.get_notification_settings(user=user)
    assert (found.language, str(found.quiet_hours_start), found.time_zone) == (
        "es",
        "21:30:00",
        "America/Denver",
    )
    # The security notice stays on although its boxes were not sent (disabled boxes never are).
    assert Channel.EMAIL in services.channels_for(user, kinds.get_kind("security.sign_in_paused"))


def test_half_quiet_hours_are_refused_on_the_page() -> None:
    user = UserFactory()
    response = signed_in(user).post(
        reverse("notifications:settings"),
        {"language": "en", "quiet_hours_start": "21:30", "time_zone": "America/New_York"},
    )
    assert response.status_code == 200
    assert "Give both the start and the end" in response.content.decode()


def test_my_account_links_to_the_settings() -> None:
    user = UserFactory()
    html = signed_in(user).get(reverse("rx_myaccount")).content.decode()
    assert reverse("notifications:settings") in html


def test_the_unread_count_forgets_itself_when_a_job_writes_in_bulk(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """``notify_many`` (the refill reminders) writes inbox rows too: the header must not show
    the count cached before them for the next five minutes."""
    user = UserFactory()
    assert selectors.count_unread(viewer=user) == 0  # cached

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify_many(
            kind="prescriptions.refill_due",
            messages=[
                services.BulkMessage(
                    recipient=user,
                    facts={"first_name": "Ana", "patient_first_name": "Ana", "drug_name": "X"},
                    variant=(("about_self", True), ("due_date", "soon")),
                    idempotency_key="bulk",
                )
            ],
        )

    assert selectors.count_unread(viewer=user) == 1


def test_a_revoked_consent_hides_the_adult_dependents_messages_from_the_subscriber(
    family: Any, today: Any
) -> None:
    from rxportal.members.notices import notify_people_who_may_see
    from rxportal.members.services import grant_family_access, revoke_family_access

    adult = family.adult_child
    adult.user = UserFactory(username="mateo")
    adult.save(update_fields=["user"])
    grant_family_access(grantor=adult, grantee=family.subscriber, actor=adult.user)
    notify_people_who_may_see(
        member=adult,
        kind="orders.shipped",
        context={"order_number": "MO-777777", "drug_names": "Sweepamine 10 MG Oral Tablet"},
        idempotency_key="shipped",
        link_path="/orders/",
        today=today,
    )
    told = Notification.objects.get(recipient=family.subscriber.user, channel=Channel.INBOX)
    revoke_family_access(grantor=adult, grantee=family.subscriber, actor=adult.user)

    response = signed_in(family.subscriber.user).get(
        reverse("notifications:message", args=[told.public_id])
    )

    assert response.status_code == 404
    assert "Sweepamine" not in response.content.decode()
    listed = signed_in(family.subscriber.user).get(reverse("notifications:inbox"))
    assert told.public_id not in [row.public_id for row in listed.context["page"]]
