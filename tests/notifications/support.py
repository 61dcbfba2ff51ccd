"""Test doubles for the outbox: a mail backend that fails like a mail server, then recovers."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.message import EmailMessage


class FlakyEmailBackend(LocmemBackend):
    """Fails the next ``failures_to_come`` sends (SMTP refusal), then delivers to mail.outbox."""

    failures_to_come: ClassVar[int] = 0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if FlakyEmailBackend.failures_to_come > 0:
            FlakyEmailBackend.failures_to_come -= 1
            raise smtplib.SMTPServerDisconnected("mail server went away")
        return super().send_messages(email_messages)


class SlowEmailBackend(LocmemBackend):
    """Delivers to mail.outbox after a pause, so two workers overlap; counts sends thread-safely."""

    pause_s: ClassVar[float] = 0.3
    sends: ClassVar[int] = 0
    _lock = threading.Lock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(SlowEmailBackend.pause_s)
        with SlowEmailBackend._lock:
            SlowEmailBackend.sends += len(email_messages)
            return super().send_messages(email_messages)


def notice(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "test.notice",
        "to_address": "pat@example.org",
        "subject": "Hello",
        "body_text": "Plain words.",
        "body_html": "<p>Plain words.</p>",
        "language": "en",
    }
    fields.update(overrides)
    return fields


# An optional kind for the tests (the kinds on main are all security notices and answers to the
# person's own requests, which cannot be switched off), with templates of its own.
OPTIONAL_KIND = "test.refill_due"
OPTIONAL_TEMPLATES = {
    "subject.txt": "A refill is due for {{ first_name }}",
    "body.txt": "Sign in to see which prescription is due.",
    "body.html": "<p>Sign in to see which prescription is due.</p>",
    "sms.txt": "rxportal: a refill is due. Sign in to see it.",
    "inbox.txt": "Your {{ drug }} refill is due.",
}


def install_optional_kind(monkeypatch: Any, settings: Any, tmp_path: Any) -> Any:
    """Register ``OPTIONAL_KIND`` (email + inbox by default, texts on request) for one test."""
    from rxportal.notifications import kinds

    folder = tmp_path / "notifications" / "messages" / "test" / "refill_due"
    folder.mkdir(parents=True)
    for name, text in OPTIONAL_TEMPLATES.items():
        (folder / name).write_text(text)
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0].get("DIRS", [])]}
    ]
    kind = kinds.Kind(OPTIONAL_KIND, kinds.Topic.PRESCRIPTIONS, "Refill due (test)")
    monkeypatch.setitem(kinds.KINDS, OPTIONAL_KIND, kind)
    return kind
