"""One-click unsubscribe (RFC 8058): the headers on an optional kind's email (none on a security
notice), the signed link (a tampered one does nothing), the confirm page (GET) and the POST,
which a mail client makes without a CSRF token."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.notifications import kinds, selectors, services
from rxportal.notifications.models import Channel
from tests.factories import UserFactory
from tests.notifications.support import OPTIONAL_KIND, install_optional_kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def optional_kind(monkeypatch: Any, settings: Any, tmp_path: Any) -> kinds.Kind:
    settings.RXPORTAL_BASE_URL = "https://rx.example.org"
    return install_optional_kind(monkeypatch, settings, tmp_path)


def _url(user: Any, kind: str = OPTIONAL_KIND) -> str:
    return reverse(
        "notifications:unsubscribe", args=[services.make_unsubscribe_token(user=user, kind=kind)]
    )


def test_an_optional_kinds_email_carries_one_click_unsubscribe(
    optional_kind: kinds.Kind, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory(email="ana@example.org")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify(
            recipient=user, kind=OPTIONAL_KIND, context={"first_name": "Ana"}, idempotency_key="1"
        )

    [message] = mail.outbox
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://rx.example.org/notifications/unsubscribe/")
    assert header.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = header.removeprefix("<https://rx.example.org/notifications/unsubscribe/")[:-2]
    found = services.read_unsubscribe_token(token)
    assert (found.user, found.kind.code, found.channel) == (user, OPTIONAL_KIND, Channel.EMAIL)
    assert "ana" not in token.lower()  # ids, never the address


def test_a_security_notice_has_no_unsubscribe_header(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = UserFactory(email="ana@example.org")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify(
            recipient=user, kind="security.sign_in_paused", context={}, idempotency_key="1"
        )
    [message] = mail.outbox
    assert "List-Unsubscribe" not in message.extra_headers
    assert "List-Unsubscribe-Post" not in message.extra_headers


def test_the_one_click_post_switches_the_email_off_without_csrf_or_sign_in(
    optional_kind: kinds.Kind,
) -> None:
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)

    response = client.post(_url(user), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert Channel.EMAIL not in services.channels_for(user, optional_kind)
    assert selectors.get_channel_choices(user=user, kind=OPTIONAL_KIND) == {Channel.EMAIL: False}
    event = AuditEvent.objects.get(action=services.ACTION_UNSUBSCRIBED)
    assert event.details == {"kind": OPTIONAL_KIND, "channel": "email"}


def test_the_get_shows_a_confirm_page_and_changes_nothing(optional_kind: kinds.Kind) -> None:
    user = UserFactory()

    response = Client().get(_url(user))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Refill due (test)" in html
    assert '<form method="post"' in html
    assert Channel.EMAIL in services.channels_for(user, optional_kind)


def test_the_confirm_pages_button_needs_its_csrf_token(optional_kind: kinds.Kind) -> None:
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)

    refused = client.post(_url(user), {})
    assert refused.status_code == 403
    assert Channel.EMAIL in services.channels_for(user, optional_kind)

    page = client.get(_url(user))
    token = page.context["csrf_token"]
    done = client.post(_url(user), {"csrfmiddlewaretoken": str(token)})
    assert done.status_code == 200
    assert "You will no longer get emails about" in done.content.decode()
    assert Channel.EMAIL not in services.channels_for(user, optional_kind)


def test_a_tampered_token_does_nothing(optional_kind: kinds.Kind) -> None:
    user = UserFactory()
    token = services.make_unsubscribe_token(user=user, kind=OPTIONAL_KIND)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    url = reverse("notifications:unsubscribe", args=[tampered])

    assert Client().get(url).status_code == 400
    response = Client().post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 400
    assert Channel.EMAIL in services.channels_for(user, optional_kind)
    assert not AuditEvent.objects.filter(action=services.ACTION_UNSUBSCRIBED).exists()


def test_a_token_for_a_security_notice_is_refused() -> None:
    user = UserFactory()
    url = _url(user, kind="security.sign_in_paused")

    response = Client().post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 400
    assert Channel.EMAIL in services.channels_for(user, kinds.get_kind("security.sign_in_paused"))
