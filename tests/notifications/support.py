"""Test doubles for the outbox: a mail backend that fails like a mail server, then recovers."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
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


class DeliveryLogBackend(BaseEmailBackend):
    """A delivery log that outlives the worker process: one line per message sent (its
    recipients) appended to ``EMAIL_FILE_PATH/delivered.log``.

    To kill a worker in the middle of a batch at a known point, write a number n to
    ``EMAIL_FILE_PATH/hold-at``: the send that would be the (n+1)-th line creates ``held`` and
    then waits (before writing) until the worker is killed. Only the first such send waits.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        log = folder / "delivered.log"
        for message in email_messages:
            self._hold_if_asked(folder, log)
            with log.open("a") as out:
                out.write(",".join(message.to) + "\n")
        return len(email_messages)

    @staticmethod
    def _hold_if_asked(folder: Path, log: Path) -> None:
        hold_at = folder / "hold-at"
        if not hold_at.exists():
            return
        written = len(log.read_text().splitlines()) if log.exists() else 0
        if written < int(hold_at.read_text()):
            return
        try:
            (folder / "held").open("x").close()
        except FileExistsError:
            return
        time.sleep(600)  # the test kills the worker here, before this message is written


def read_delivery_log(folder: Path) -> list[str]:
    log = folder / "delivered.log"
    return log.read_text().splitlines() if log.exists() else []


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


class CountingEmailBackend(LocmemBackend):
    """Delivers to mail.outbox and counts the connections opened; ``refusals_to_come`` sends
    are refused (the mail server drops the connection) first."""

    opened: ClassVar[int] = 0
    refusals_to_come: ClassVar[int] = 0

    def open(self) -> bool:
        CountingEmailBackend.opened += 1
        return True

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if CountingEmailBackend.refusals_to_come > 0:
            CountingEmailBackend.refusals_to_come -= 1
            raise smtplib.SMTPServerDisconnected("mail server went away")
        return super().send_messages(email_messages)
