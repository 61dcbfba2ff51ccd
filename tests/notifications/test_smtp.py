"""Email through a real SMTP server on loopback (aiosmtpd): Django's SMTP backend, a
multipart message (plain text + HTML), its subject and the one-click unsubscribe headers."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from django.db import transaction

from rxportal.notifications import kinds, services
from rxportal.notifications.models import Channel, Notification, Status
from tests.factories import UserFactory
from tests.notifications.support import OPTIONAL_KIND, install_optional_kind

pytestmark = pytest.mark.django_db


class Recorder(Sink):
    """Keeps every message it is handed (the raw bytes and the envelope's recipients)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield recorder
    finally:
        controller.stop()


def _wait_for(recorder: Recorder, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(recorder.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_notification_is_delivered_by_smtp_as_text_and_html_with_unsubscribe_headers(
    smtp_server: Recorder,
    monkeypatch: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    install_optional_kind(monkeypatch, settings, tmp_path)
    settings.RXPORTAL_BASE_URL = "https://rx.example.org"
    user = UserFactory(email="ana@example.org")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.notify(
            recipient=user,
            kind=OPTIONAL_KIND,
            context={"first_name": "Ana", "drug": "Lisinopril"},
            idempotency_key="smtp-1",
        )

    _wait_for(smtp_server, 1)
    [(recipients, raw)] = smtp_server.received
    assert recipients == ["ana@example.org"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "A refill is due for Ana"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and "Sign in to see which prescription is due." in plain.get_content()
    assert html is not None and "<p>Sign in to see which prescription is due.</p>" in (
        html.get_content()
    )
    assert "Lisinopril" not in raw.decode()  # the drug is only in the inbox
    unsubscribe = str(message["List-Unsubscribe"]).strip()  # a long header is folded
    assert unsubscribe.startswith("<https://rx.example.org/notifications/unsubscribe/")
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    emailed = Notification.objects.get(pk=next(r.pk for r in rows if r.channel == Channel.EMAIL))
    assert emailed.status == Status.SENT


def test_a_security_notice_by_smtp_has_no_unsubscribe_header(
    smtp_server: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory(email="ana@example.org")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify(
            recipient=user, kind="security.sign_in_paused", context={}, idempotency_key="smtp-2"
        )

    _wait_for(smtp_server, 1)
    [(_recipients, raw)] = smtp_server.received
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "Sign-in to your rxportal account was paused"
    assert message["List-Unsubscribe"] is None
    assert kinds.get_kind("security.sign_in_paused").optional is False


def test_a_server_that_cannot_be_reached_is_a_retried_delivery(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 5
    user = UserFactory(email="ana@example.org")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.notify(
            recipient=user, kind="security.sign_in_paused", context={}, idempotency_key="smtp-3"
        )

    emailed = Notification.objects.get(pk=next(r.pk for r in rows if r.channel == Channel.EMAIL))
    assert (emailed.status, emailed.last_error_code) == (Status.QUEUED, "email.unreachable")
