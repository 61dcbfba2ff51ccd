"""Forgot username: the username goes only to the stored address; the page never tells."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from tests.accounts.test_recovery_support import without_csrf
from tests.accounts.test_signin_support import (
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

URL = "rx_forgot_username"


def _ask(client: Client, email: str, capture):
    with capture(execute=True):
        return client.post(reverse(URL), {"email": email})


def test_the_username_goes_to_that_inbox_only(client: Client, django_capture_on_commit_callbacks):
    user = make_user(username="dana-rivera")

    response = _ask(client, "  Dana-Rivera@EXAMPLE.org ", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_forgot_username_sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]  # the stored address, not what was typed
    assert "Your username: dana-rivera" in message.body
    assert "dana-rivera" not in html_of(client.get(response["Location"]))
    event = AuditEvent.objects.get(action="account.username.reminder_requested")
    assert event.subject_id == str(user.public_id)


def test_existing_and_unknown_addresses_get_byte_identical_pages(
    django_capture_on_commit_callbacks,
) -> None:
    make_user(username="dana")
    pages = {}
    for email in ("dana@example.org", "nobody@example.org"):
        client = Client()
        form = client.get(reverse(URL))
        sent = _ask(client, email, django_capture_on_commit_callbacks)
        after = client.get(sent["Location"])
        pages[email] = [
            (r.status_code, r.get("Location", ""), without_csrf(html_of(r)))
            for r in (form, sent, after)
        ]

    assert pages["dana@example.org"] == pages["nobody@example.org"]
    assert [m.to for m in mail.outbox] == [["dana@example.org"]]


@pytest.mark.parametrize("how", ["unverified", "inactive", "not_primary"])
def test_no_email_for_an_unverified_address_or_an_inactive_account(
    client: Client, django_capture_on_commit_callbacks, how: str
) -> None:
    user = make_user(username="dana")
    if how == "inactive":
        user.is_active = False
        user.save()
    else:
        field = "verified" if how == "unverified" else "primary"
        EmailAddress.objects.filter(user=user).update(**{field: False})

    response = _ask(client, "dana@example.org", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert mail.outbox == []


def test_a_lookalike_address_never_receives_the_username(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    make_user(username="dana")
    _ask(client, "dana@example.org\u0131", django_capture_on_commit_callbacks)  # dotless i
    _ask(client, "dan\u0430@example.org", django_capture_on_commit_callbacks)  # Cyrillic a
    assert all(message.to == ["dana@example.org"] for message in mail.outbox)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "This field is required"),
        ("not-an-email", "Enter a valid email address"),
        ("a" * 250 + "@example.org", "at most 254 characters"),
        ("dana\x00@example.org", "Null characters"),
        ("dana\u202e@example.org", "Enter a valid email address"),
    ],
)
def test_bad_input_is_explained_and_kept(client: Client, email: str, message: str) -> None:
    response = client.post(reverse(URL), {"email": email})

    assert response.status_code == 200
    page = html_of(response)
    assert message in page
    if email and "\x00" not in email:
        assert f'value="{email}"' in page
    assert mail.outbox == []


def test_asking_is_rate_limited_per_address_and_per_ip(
    django_capture_on_commit_callbacks,
) -> None:
    make_user(username="dana")
    per_address = [
        _ask(Client(), "dana@example.org", django_capture_on_commit_callbacks).status_code
        for _ in range(4)
    ]
    others = [
        _ask(Client(), f"other{n}@example.org", django_capture_on_commit_callbacks).status_code
        for n in range(2)
    ]

    assert per_address == [302, 302, 302, 429]
    assert others == [302, 429]  # five per hour from one address (IP)
    assert len(mail.outbox) == 3
